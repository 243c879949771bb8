"""HTML → PDF with WeasyPrint (optional: ``pip install weasyprint`` and the Debian packages
``libpango-1.0-0 libpangoft2-1.0-0``). Only ``data:`` URLs and the shipped font are fetched: an
uploaded page may not read server files or reach the network (WeasyPrint would otherwise embed
``file://`` links as attachments)."""

from __future__ import annotations

import functools
import io
from typing import Any

from esign_adapters.fonts import handwriting_font_path
from esign_core.errors import InvalidValue
from esign_core.ports.conversion import ConversionError

MAX_HTML_BYTES = 5 * 1024 * 1024
ENABLE_OFFICE = ("HTML conversion needs WeasyPrint (pip install weasyprint) or the Office document "
                 "conversion service (LibreOffice), enabled in 系统参数设置 → 文档转换服务")


@functools.cache
def _weasyprint() -> Any | None:
    try:
        import weasyprint
    except (ImportError, OSError):  # not installed, or its Debian libraries (pango) are missing
        return None
    # WeasyPrint sets Pillow's process-wide ImageFile.LOAD_TRUNCATED_IMAGES = True on import, which
    # would make every later image check in this process accept truncated uploads (seal images,
    # conversions). Our HTML only embeds data: URLs we produced, so the strict default is restored.
    from PIL import ImageFile

    ImageFile.LOAD_TRUNCATED_IMAGES = False
    return weasyprint


def html_available() -> bool:
    """Whether WeasyPrint and its system libraries are installed."""
    return _weasyprint() is not None


def _fetcher(wp: Any, font_uri: str) -> Any:
    def allowed(url: str) -> bool:
        return url.startswith("data:") or url == font_uri

    if hasattr(wp, "URLFetcher"):  # WeasyPrint ≥ 66

        class Fetcher(wp.URLFetcher):
            def fetch(self, url: str, headers: Any = None) -> Any:
                if not allowed(url):
                    raise ValueError(f"esign does not fetch {url[:80]!r} while converting HTML")
                return super().fetch(url, headers)

        return Fetcher(timeout=5, allowed_protocols=("data", "file"), allow_redirects=False)

    def fetch(url: str, timeout: int = 5, ssl_context: Any = None) -> Any:
        if not allowed(url):
            raise ValueError(f"esign does not fetch {url[:80]!r} while converting HTML")
        return wp.default_url_fetcher(url, timeout=timeout, ssl_context=ssl_context)

    return fetch


def html_to_pdf(data: bytes) -> bytes:
    """The page's own <title> names the PDF. Raises ConversionError when WeasyPrint is not
    installed or fails, InvalidValue (``file``) for a page over 5 MiB."""
    wp = _weasyprint()
    if wp is None:
        raise ConversionError(ENABLE_OFFICE)
    if len(data) > MAX_HTML_BYTES:
        raise InvalidValue("file", "an HTML page is at most 5 MiB")
    font = handwriting_font_path()
    font_uri = font.as_uri() if font else ""
    fetcher = _fetcher(wp, font_uri)
    # A default, not !important: the page's own fonts win where the host has them.
    css = "html { font-family: EsignKai, sans-serif; }"
    if font_uri:
        css = f"@font-face {{ font-family: EsignKai; src: url({font_uri}); }} " + css
    try:
        # Bytes, so the parser honours a <meta charset> (GBK pages exist) and defaults to UTF-8.
        page = wp.HTML(file_obj=io.BytesIO(data), encoding=None, url_fetcher=fetcher, base_url="data:,")
        sheet = wp.CSS(string=css, url_fetcher=fetcher)
        pdf = page.write_pdf(stylesheets=[sheet])
    except Exception as exc:  # WeasyPrint raises many kinds; none may leave the adapter
        raise ConversionError("the HTML page could not be converted", reason=type(exc).__name__) from exc
    return pdf
