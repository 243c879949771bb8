"""System logs (系统日志, manual 四.2.1): what the console, the signing portal and the open API did,
one entry per request plus the application's warnings and errors, searchable by the console.

Entries never hold secrets: the HTTP layer records the path without its query string, and
:func:`mask_log_text` masks mobile numbers, resident ID numbers and ``key=value`` secrets in every
free-text field before an entry is stored.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

import attrs

from esign_core.errors import InvalidValue
from esign_core.values import mask_id_number, mask_phone

LEVELS: tuple[str, ...] = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
#: Where an entry comes from: the three HTTP areas of the manual, our REST API, and the
#: application's own log records (``app``: web process, ``worker``: worker process).
AREAS: tuple[str, ...] = ("console", "portal", "open", "api", "app", "worker")
MAX_MESSAGE = 2000
MAX_PATH = 500
MAX_PER_PAGE = 200

_PHONE = re.compile(r"(?:(?<=\+86)|(?<!\d))1[3-9]\d{9}(?!\d)")
# 18-digit resident ID (last may be X) and the old 15-digit form, not inside a longer number.
_ID_NUMBER = re.compile(r"(?<![\dA-Za-z])(?:\d{17}[\dXx]|\d{15})(?![\dA-Za-z])")
_SECRET_PAIR = re.compile(
    r"(?i)\b([\w.-]*(?:password|passwd|secret|token|passphrase|private_key|credential|signature|api_key)[\w.-]*)"
    r"(\s*[=:]\s*)(\"[^\"]*\"|'[^']*'|[^\s&,;]+)")
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}")
_URL_CREDENTIALS = re.compile(r"(\w+://[^:/@\s]*:)[^@\s]*@")


def mask_log_text(text: str) -> str:
    """Mobile numbers → ``138****5678``, ID numbers → ``110**************34``, ``password=…``
    (and token, secret, signature… keys) → ``password=******``, bearer tokens and passwords in
    URLs hidden."""
    text = _URL_CREDENTIALS.sub(r"\1***@", text)
    text = _SECRET_PAIR.sub(lambda m: f"{m.group(1)}{m.group(2)}******", text)
    text = _BEARER.sub(lambda m: f"{m.group(1)} ******", text)
    text = _ID_NUMBER.sub(lambda m: mask_id_number(m.group(0)), text)
    return _PHONE.sub(lambda m: mask_phone(m.group(0)), text)


def _cut(limit: int) -> object:
    return lambda v: mask_log_text(str(v))[:limit]


@attrs.frozen(kw_only=True)
class LogEntry:
    """One stored log entry. Text fields are masked and cut to their column sizes on creation."""

    at: datetime
    level: str = attrs.field(converter=lambda v: str(v).upper()[:10])
    area: str = attrs.field(converter=lambda v: str(v)[:20])
    actor: str = attrs.field(default="", converter=_cut(100))  # type: ignore[misc]
    request_id: str = attrs.field(default="", converter=lambda v: str(v)[:64])
    method: str = attrs.field(default="", converter=lambda v: str(v)[:10])
    path: str = attrs.field(default="", converter=_cut(MAX_PATH))  # type: ignore[misc]
    status: int | None = None
    duration_ms: int | None = None
    logger: str = attrs.field(default="", converter=lambda v: str(v)[:100])
    node: str = attrs.field(default="", converter=lambda v: str(v)[:100])
    message: str = attrs.field(default="", converter=_cut(MAX_MESSAGE))  # type: ignore[misc]
    id: int | None = None


def _level(value: str) -> str:
    value = (value or "").upper()
    if value and value not in LEVELS:
        raise InvalidValue("level", f"unknown level {value!r}; known: {', '.join(LEVELS)}")
    return value


def _area(value: str) -> str:
    if value and value not in AREAS:
        raise InvalidValue("area", f"unknown area {value!r}; known: {', '.join(AREAS)}")
    return value or ""


@attrs.frozen(kw_only=True)
class LogQuery:
    """The console's filters; all optional. ``until`` is exclusive; ``text`` matches the message
    or the path (case-insensitively, as a substring). Raises InvalidValue for an unknown level or
    area, or a page size outside 1–200."""

    since: datetime | None = None
    until: datetime | None = None
    level: str = attrs.field(default="", converter=_level)
    area: str = attrs.field(default="", converter=_area)
    actor: str = ""
    request_id: str = ""
    text: str = ""
    page: int = attrs.field(default=1, converter=lambda v: max(1, int(v)))
    per_page: int = attrs.field(default=50)

    @per_page.validator
    def _check_per_page(self, attribute: attrs.Attribute, value: int) -> None:  # type: ignore[type-arg]
        if not 1 <= value <= MAX_PER_PAGE:
            raise InvalidValue("per_page", f"per_page must be 1-{MAX_PER_PAGE}")

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    def matches(self, e: LogEntry) -> bool:
        text = self.text.lower()
        return ((self.since is None or e.at >= self.since) and (self.until is None or e.at < self.until)
                and (not self.level or e.level == self.level) and (not self.area or e.area == self.area)
                and (not self.actor or e.actor == self.actor)
                and (not self.request_id or e.request_id == self.request_id)
                and (not text or text in e.message.lower() or text in e.path.lower()))


@attrs.frozen
class LogPage:
    entries: Sequence[LogEntry]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))
