"""Document conversion (文档转换服务): the built-in converter (text, images, HTML, PDF), LibreOffice
for Office files, and the selector that follows the console's conversion setting."""

from esign_adapters.convert.builtin import BuiltinConverter
from esign_adapters.convert.office import LibreOfficeConverter
from esign_adapters.convert.selecting import SelectingConverter

__all__ = ["BuiltinConverter", "LibreOfficeConverter", "SelectingConverter"]
