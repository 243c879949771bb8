"""Batch-import templates (manual 二: 组织单元数据导入模板, 批量添加外部企业数据模板, 组织成员数据模板,
企业联系人数据模板, 个人联系人数据模板): their columns and the validation of one row."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import Any

import attrs

from esign_core.errors import DomainError, InvalidValue
from esign_core.values import Email, IdNumber, Phone, Uscc


class ImportKind(enum.Enum):
    ORG_UNITS = "org-units"
    EXTERNAL_ENTERPRISES = "external-enterprises"
    MEMBERS = "members"
    ENTERPRISE_CONTACTS = "enterprise-contacts"
    PERSONAL_CONTACTS = "personal-contacts"


@attrs.frozen
class Column:
    key: str
    title: str  # the template's header (Chinese, as in the manual)
    required: bool = False
    example: str = ""


@attrs.frozen
class ImportSpec:
    kind: ImportKind
    template_name: str  # file name stem of the downloadable template
    columns: tuple[Column, ...]

    @property
    def headers(self) -> list[str]:
        return [c.title + ("*" if c.required else "") for c in self.columns]


SPECS: dict[ImportKind, ImportSpec] = {
    ImportKind.ORG_UNITS: ImportSpec(ImportKind.ORG_UNITS, "组织单元数据导入模板", (
        Column("name", "组织单元名称", True, "华东分公司"),
        Column("parent", "上级组织单元", True, "测试集团有限公司"),
        Column("type", "类型(企业/部门)", False, "企业"),
        Column("uscc", "统一社会信用代码", False, "91350100M000100Y43"),
        Column("admin_name", "初始管理员", True, "张三"),
        Column("admin_mobile", "管理员手机号", True, "13800000001"),
    )),
    ImportKind.EXTERNAL_ENTERPRISES: ImportSpec(ImportKind.EXTERNAL_ENTERPRISES, "批量添加外部企业数据模板", (
        Column("name", "企业名称", True, "某某供应商有限公司"),
        Column("uscc", "统一社会信用代码", False, ""),
        Column("admin_name", "初始管理员", True, "李四"),
        Column("admin_mobile", "管理员手机号", True, "13900000001"),
    )),
    ImportKind.MEMBERS: ImportSpec(ImportKind.MEMBERS, "组织成员数据模板", (
        Column("name", "姓名", True, "王五"),
        Column("mobile", "手机号", False, "13700000001"),
        Column("email", "邮箱", False, "wangwu@example.com"),
        Column("id_number", "身份证号", False, ""),
        Column("number", "工号", False, "E0001"),
        Column("unit", "所属组织单元", True, "测试集团有限公司"),
    )),
    ImportKind.ENTERPRISE_CONTACTS: ImportSpec(ImportKind.ENTERPRISE_CONTACTS, "企业联系人数据模板", (
        Column("number", "联系人编号", False, "C001"),
        Column("enterprise_name", "企业名称", True, "某某客户有限公司"),
        Column("name", "联系人姓名", True, "赵六"),
        Column("mobile", "手机号", False, "13600000001"),
        Column("email", "邮箱", False, ""),
    )),
    ImportKind.PERSONAL_CONTACTS: ImportSpec(ImportKind.PERSONAL_CONTACTS, "个人联系人数据模板", (
        Column("number", "联系人编号", False, "P001"),
        Column("name", "联系人姓名", True, "孙七"),
        Column("mobile", "手机号", False, "13500000001"),
        Column("email", "邮箱", False, ""),
    )),
}

_PARSERS: dict[str, Any] = {"uscc": Uscc, "admin_mobile": Phone, "mobile": Phone, "email": Email,
                            "id_number": IdNumber}
_MAX_TEXT = {"name": 100, "parent": 100, "unit": 100, "enterprise_name": 200, "admin_name": 50, "number": 64}
_UNIT_TYPES = {"": "CHILD", "企业": "CHILD", "子公司": "CHILD", "enterprise": "CHILD",
               "部门": "SECTION", "department": "SECTION"}


def cell_text(value: object) -> str:
    """A cell as text: numbers typed into Excel (mobiles, codes) lose their ``.0``."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def check_headers(spec: ImportSpec, headers: Sequence[object]) -> None:
    """Raise InvalidValue unless the first row is the template's header row."""
    got = [cell_text(h).rstrip("*") for h in headers[: len(spec.columns)]]
    want = [c.title for c in spec.columns]
    if got != want:
        raise InvalidValue("file", f"this is not the {spec.template_name} template: expected the columns "
                                   f"{', '.join(want)}")


def parse_row(spec: ImportSpec, cells: Sequence[object]) -> dict[str, Any]:
    """Validated values of one data row, keyed by column key (blank optional cells are None).
    Raises InvalidValue / DomainError with a message fit for the error workbook."""
    values: dict[str, Any] = {}
    for i, column in enumerate(spec.columns):
        raw = cell_text(cells[i]) if i < len(cells) else ""
        if not raw:
            if column.required:
                raise InvalidValue(column.key, f"{column.title}为必填项 / {column.title} is required")
            values[column.key] = None
            continue
        if len(raw) > _MAX_TEXT.get(column.key, 254):
            raise InvalidValue(column.key, f"{column.title}过长 / {column.title} is too long")
        parser = _PARSERS.get(column.key)
        if parser is not None:
            try:
                values[column.key] = parser(raw)
            except InvalidValue as exc:
                raise InvalidValue(column.key, f"{column.title}格式错误 / {exc.message}") from None
        else:
            values[column.key] = raw
    if "type" in values:
        unit_type = _UNIT_TYPES.get((values["type"] or "").lower())
        if unit_type is None:
            raise InvalidValue("type", "类型只能是 企业 或 部门 / type must be 企业 or 部门")
        values["type"] = unit_type
    if "mobile" in values and values["mobile"] is None and values.get("email") is None:
        raise DomainError("手机号和邮箱至少填写一个 / a mobile number or an e-mail address is required",
                          field="mobile")
    return values
