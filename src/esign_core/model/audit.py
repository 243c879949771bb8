"""The console audit trail (操作日志): every change of a setting, a role or an admin account.

Audit records are entries of the evidence chain (action ``audit.<section>``), so they are
append-only, tamper-evident and commit in the same unit of work as the change they describe.
``details`` holds the section and ``changes``: ``{key: [old, new]}`` with secrets masked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import attrs

from esign_core.model.evidence import EvidenceEntry, EvidenceRecord
from esign_core.model.policy import SECRET_SETTING

ACTION_PREFIX = "audit."
MASK = "******"
_MAX_TEXT = 300
#: Values shown as a size only (images), never verbatim.
_BINARY = re.compile(r"logo|background_image|^login_background$")


@attrs.frozen
class Actor:
    """Who changed something, from where: an admin's account name and the client's IP, or
    ``cli`` for the command line (ip None)."""

    name: str = "cli"
    ip: str | None = None


@attrs.frozen
class AuditEntry:
    at: datetime
    actor: str
    ip: str | None
    section: str
    changes: dict[str, Any]
    summary: str = ""


@attrs.frozen
class AuditQuery:
    """Filters of the console's audit page; all optional. ``until`` is exclusive."""

    since: datetime | None = None
    until: datetime | None = None
    actor: str = ""
    section: str = ""
    limit: int = 200

    def matches(self, entry: AuditEntry) -> bool:
        return ((self.since is None or entry.at >= self.since)
                and (self.until is None or entry.at < self.until)
                and (not self.actor or entry.actor == self.actor)
                and (not self.section or entry.section == self.section))


def _shown(key: str, value: Any) -> Any:
    if SECRET_SETTING.search(key):
        return MASK if value else ""
    if isinstance(value, str) and len(value) > _MAX_TEXT:
        return f"{value[:_MAX_TEXT]}… ({len(value)} chars)"
    if isinstance(value, dict):
        return {k: _shown(k, v) for k, v in value.items()}
    return value


def diff(old: Mapping[str, Any], new: Mapping[str, Any], *, images: Iterable[str] = ()) -> dict[str, list[Any]]:
    """``{key: [old, new]}`` for every key whose value changed; secrets are masked, long text is
    cut, the keys named in ``images`` are shown as byte counts."""
    out: dict[str, list[Any]] = {}
    image_keys = set(images)
    for key in sorted(set(old) | set(new)):
        before, after = old.get(key), new.get(key)
        if before == after:
            continue
        if key in image_keys:
            out[key] = [f"{len(before or '')} bytes", f"{len(after or '')} bytes"]
        else:
            out[key] = [_shown(key, before), _shown(key, after)]
    return out


def audit_record(section: str, changes: dict[str, Any], *, actor: Actor, at: datetime,
                 summary: str = "") -> EvidenceRecord:
    details: dict[str, Any] = {"section": section, "changes": changes}
    if summary:
        details["summary"] = summary
    return EvidenceRecord(action=ACTION_PREFIX + section, at=at, actor=actor.name[:200], ip=actor.ip,
                          details=details)


def from_entry(entry: EvidenceEntry) -> AuditEntry | None:
    r = entry.record
    if not r.action.startswith(ACTION_PREFIX):
        return None
    changes = r.details.get("changes")
    return AuditEntry(at=r.at, actor=r.actor, ip=r.ip, section=r.action[len(ACTION_PREFIX):],
                      changes=changes if isinstance(changes, dict) else {},
                      summary=str(r.details.get("summary", "")))
