"""Templates (模板): an HTML page with ``{{ name }}`` placeholders or a PDF with AcroForm fields,
and the typed parameters a user fills to make a document from it (open API §2.1
createbytemplate, HTML-template value rules)."""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import attrs

from esign_core.errors import InvalidTransition, InvalidValue
from esign_core.model.base import Aggregate, require_text
from esign_core.values import BlobRef, IdNumber

MAX_TEXT = 300
MAX_PARAMS = 200
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ID_NUMBER = re.compile(r"[0-9A-Za-z]{15}|[0-9A-Za-z]{18}")
_NAME = re.compile(r"[^\s{}|,]{1,100}")


class TemplateKind(enum.Enum):
    HTML = "HTML"
    PDF_FORM = "PDF_FORM"


class ParamType(enum.Enum):
    TEXT = "TEXT"  # single line, at most 300 characters
    DATE = "DATE"  # yyyy-MM-dd
    ID_NUMBER = "ID_NUMBER"  # 15 or 18 letters/digits
    RADIO = "RADIO"  # one of the options
    CHECKBOX = "CHECKBOX"  # options joined by commas
    TABLE = "TABLE"  # rows of {column: value}


class TemplateStatus(enum.Enum):
    ENABLED = "ENABLED"
    DISABLED = "DISABLED"
    DELETED = "DELETED"


def _names(field: str) -> Any:
    def convert(value: Any) -> tuple[str, ...]:
        items = tuple(str(v).strip() for v in (value or ()))
        if any(not v or "," in v for v in items) or len(set(items)) != len(items):
            raise InvalidValue(field, f"{field} must be distinct non-empty names without commas")
        return items

    return convert


@attrs.frozen
class TemplateParam:
    """One parameter. RADIO and CHECKBOX need ``options``; TABLE needs ``columns``. Raises
    InvalidValue (``params``) for a malformed declaration."""

    name: str
    type: ParamType = ParamType.TEXT
    required: bool = False
    options: tuple[str, ...] = attrs.field(default=(), converter=_names("options"))
    columns: tuple[str, ...] = attrs.field(default=(), converter=_names("columns"))

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.name, str) or not _NAME.fullmatch(self.name):
            raise InvalidValue("params", f"invalid parameter name {self.name!r}")
        if self.type in (ParamType.RADIO, ParamType.CHECKBOX) and not self.options:
            raise InvalidValue("params", f"parameter {self.name!r} ({self.type.value}) needs options", param=self.name)
        if self.type is ParamType.TABLE and not self.columns:
            raise InvalidValue("params", f"parameter {self.name!r} (TABLE) needs columns", param=self.name)

    def blank(self) -> Any:
        return [] if self.type is ParamType.TABLE else ""

    def check(self, value: Any) -> Any:
        """The value, normalised: a string, or for TABLE a list of rows holding every column.
        Raises InvalidValue whose field is the parameter's name."""
        if self.type is ParamType.TABLE:
            return self._table(value)
        text = self._scalar(value)
        if self.type is ParamType.TEXT:
            if len(text) > MAX_TEXT:
                self._fail(f"is longer than {MAX_TEXT} characters")
            if "\n" in text or "\r" in text:
                self._fail("must be a single line")
        elif self.type is ParamType.DATE:
            if not _DATE.fullmatch(text):
                self._fail("must be a date yyyy-MM-dd")
            try:
                date.fromisoformat(text)
            except ValueError:
                self._fail("is not a real date")
        elif self.type is ParamType.ID_NUMBER:
            text = text.upper()
            if not _ID_NUMBER.fullmatch(text):
                self._fail("must be 15 or 18 letters or digits")
            if len(text) == 18 and text[:17].isdigit():
                try:
                    IdNumber(text)
                except InvalidValue:
                    self._fail("is not a valid resident ID number")
        elif self.type is ParamType.RADIO:
            if text not in self.options:
                self._fail(f"must be one of {', '.join(self.options)}")
        elif self.type is ParamType.CHECKBOX:
            chosen = [c.strip() for c in text.split(",")] if text else []
            unknown = [c for c in chosen if c not in self.options]
            if unknown or len(set(chosen)) != len(chosen):
                self._fail(f"must be options among {', '.join(self.options)} joined by commas")
            text = ",".join(chosen)
        return text

    def _scalar(self, value: Any) -> str:
        if isinstance(value, bool):
            self._fail("must be text")
        if isinstance(value, datetime):
            self._fail("must be a date yyyy-MM-dd")
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, int | float):
            return str(value)
        if self.type is ParamType.CHECKBOX and isinstance(value, list | tuple):
            return ",".join(str(v).strip() for v in value)
        if not isinstance(value, str):
            self._fail("must be text")
        return value.strip()

    def _table(self, value: Any) -> list[dict[str, str]]:
        if isinstance(value, str):
            try:
                value = json.loads(value) if value.strip() else []
            except ValueError:
                self._fail("must be a JSON array of row objects")
        if not isinstance(value, list | tuple):
            self._fail("must be an array of row objects")
        rows = []
        for i, row in enumerate(value):
            if not isinstance(row, Mapping):
                self._fail(f"row {i + 1} is not an object")
            unknown = sorted(str(k) for k in row if k not in self.columns)
            if unknown:
                self._fail(f"row {i + 1} has columns the table does not have: {', '.join(unknown)}")
            cells = {}
            for col in self.columns:
                cell = row.get(col, "")
                cell = "" if cell is None else cell
                if isinstance(cell, Mapping | list | tuple):
                    self._fail(f"row {i + 1}, column {col} must be text")
                cell = str(cell)
                if len(cell) > MAX_TEXT:
                    self._fail(f"row {i + 1}, column {col} is longer than {MAX_TEXT} characters")
                cells[col] = cell
            rows.append(cells)
        return rows

    def _fail(self, why: str) -> Any:
        raise InvalidValue(self.name, f"parameter {self.name!r} {why}", param=self.name)


def _params(value: Any) -> tuple[TemplateParam, ...]:
    params = tuple(value)
    names = [p.name for p in params]
    if len(set(names)) != len(names):
        raise InvalidValue("params", "parameter names must be distinct")
    if len(params) > MAX_PARAMS:
        raise InvalidValue("params", f"at most {MAX_PARAMS} parameters")
    return params


@attrs.define(kw_only=True, eq=False)
class Template(Aggregate):
    """A template whose ``source`` (the HTML page or the PDF form) is in storage."""

    title: str = attrs.field(converter=lambda v: require_text("title", v, max_len=100))
    kind: TemplateKind
    source: BlobRef
    params: tuple[TemplateParam, ...] = attrs.field(default=(), converter=_params)
    status: TemplateStatus = TemplateStatus.ENABLED
    created_at: datetime

    def param(self, name: str) -> TemplateParam | None:
        return next((p for p in self.params if p.name == name), None)

    def fill(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Every parameter's normalised value (blank when not given). Raises InvalidTransition
        (the template is not enabled) and InvalidValue whose field names the parameter: a
        required one missing or blank, an unknown name, a value breaking its type's rule."""
        if self.status is not TemplateStatus.ENABLED:
            raise InvalidTransition(f"the template is {self.status.value.lower()}", template_id=str(self.id))
        unknown = sorted(str(k) for k in values if self.param(str(k)) is None)
        if unknown:
            raise InvalidValue(unknown[0], f"the template has no parameter {unknown[0]!r}", param=unknown[0])
        filled: dict[str, Any] = {}
        for p in self.params:
            raw = values.get(p.name)
            value = p.blank() if raw is None else p.check(raw)
            if p.required and value in ("", []):
                raise InvalidValue(p.name, f"parameter {p.name!r} is required", param=p.name)
            filled[p.name] = value
        return filled

    def disable(self) -> None:
        """Refuse new documents from this template until enabled again."""
        self._require_not_deleted()
        self.status = TemplateStatus.DISABLED

    def enable(self) -> None:
        """Raises InvalidTransition (deleted)."""
        self._require_not_deleted()
        self.status = TemplateStatus.ENABLED

    def delete(self) -> None:
        """Hide the template for good; documents made from it are untouched."""
        self.status = TemplateStatus.DELETED

    def _require_not_deleted(self) -> None:
        if self.status is TemplateStatus.DELETED:
            raise InvalidTransition("the template was deleted", template_id=str(self.id))
