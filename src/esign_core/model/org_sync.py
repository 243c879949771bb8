"""Directory sync (集成中心 → 组织成员同步, manual 二.1.1 ③ and 五.1.1): one :class:`SyncSource` per
connected OA system with what to sync, the reports of its runs, and the links between the OA's
records and ours.

Only one system may be the member-sync source at a time (manual: "组织成员同步时只能选择集成一个
第三方系统"); the service checks it across sources. A run is diff-based and resumable: it works
company by company, and each company's changes, links and checkpoint are committed together, so
a run stopped half-way continues with the first company not done (ADR 0040)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import attrs

from esign_core.errors import InvalidTransition, InvalidValue
from esign_core.model.base import Aggregate, require_text

#: Row errors kept per report (the total is always counted).
MAX_REPORT_ERRORS = 1000


def _source_name(value: str) -> str:
    value = require_text("source", value, max_len=40)
    if not value.replace("-", "").replace("_", "").isalnum() or not value.isascii():
        raise InvalidValue("source", "a source name is letters, digits, '-' and '_'")
    return value


@attrs.frozen(kw_only=True)
class SyncScope:
    """One OA company to sync: narrowed to ``department_ids`` (all when empty), into our
    internal enterprise ``target_org_id`` (None: the enterprise linked before, else one of the
    same name, else a new one under the platform enterprise)."""

    company_id: str = attrs.field(converter=lambda v: require_text("company_id", str(v), max_len=64))
    department_ids: tuple[str, ...] = attrs.field(default=(), converter=lambda v: tuple(sorted({str(x) for x in v})))
    target_org_id: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {"company_id": self.company_id, "department_ids": list(self.department_ids),
                "target_org_id": self.target_org_id}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SyncScope:
        return cls(company_id=data["company_id"], department_ids=tuple(data.get("department_ids") or ()),
                   target_org_id=data.get("target_org_id"))


@attrs.define(kw_only=True, eq=False)
class SyncSource(Aggregate):
    """A connected OA system: its connector settings (secrets only sealed), whether it is the
    member-sync source, the companies and departments chosen, and the completed marks
    (company → when its last sync finished)."""

    source: str = attrs.field(converter=_source_name)
    config: dict[str, Any] = attrs.field(factory=dict, repr=False)
    member_sync: bool = False
    scopes: tuple[SyncScope, ...] = ()
    completed: dict[str, datetime] = attrs.Factory(dict)
    created_at: datetime

    def configure(self, config: dict[str, Any]) -> None:
        self.config = dict(config)

    def choose(self, scopes: tuple[SyncScope, ...]) -> None:
        """Replace the companies to sync; a company dropped loses its completed mark."""
        seen: set[str] = set()
        for s in scopes:
            if s.company_id in seen:
                raise InvalidValue("company_id", f"company {s.company_id} is chosen twice")
            seen.add(s.company_id)
        self.scopes = tuple(scopes)
        self.completed = {k: v for k, v in self.completed.items() if k in seen}

    def scope(self, company_id: str) -> SyncScope | None:
        return next((s for s in self.scopes if s.company_id == company_id), None)

    def mark_completed(self, company_id: str, at: datetime) -> None:
        self.completed = {**self.completed, company_id: at}


class SyncStatus(enum.Enum):
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    #: finished, but some rows could not be synced (see the report's errors)
    SUCCEEDED_WITH_ERRORS = "SUCCEEDED_WITH_ERRORS"
    #: stopped by the OA (unreachable, refused, malformed answer) or a crash; the next run resumes it
    INTERRUPTED = "INTERRUPTED"


COUNTERS = ("orgs_created", "orgs_updated", "orgs_disabled", "departments_created", "departments_updated",
            "departments_disabled", "members_created", "members_updated", "members_disabled", "users_created",
            "unchanged")


@attrs.frozen(kw_only=True)
class SyncError:
    """A row that could not be synced (or the whole run's reason to stop, ``ref`` empty)."""

    company_id: str = ""
    ref: str = ""  # "person 123", "department 7"
    message: str


@attrs.define(kw_only=True, eq=False)
class SyncReport(Aggregate):
    """One run (同步报告): counts, row errors, start / end, status and the companies done (the
    checkpoint). ``trigger`` is ``manual``, ``schedule`` or ``cli``."""

    source: str
    trigger: str = "manual"
    status: SyncStatus = SyncStatus.RUNNING
    started_at: datetime
    heartbeat_at: datetime
    finished_at: datetime | None = None
    counts: dict[str, int] = attrs.Factory(lambda: dict.fromkeys(COUNTERS, 0))
    errors: list[SyncError] = attrs.Factory(list)
    error_count: int = 0
    companies_done: tuple[str, ...] = ()
    message: str = ""
    resumed: int = 0  # how many times this run was resumed

    @property
    def changes(self) -> int:
        return sum(v for k, v in self.counts.items() if k != "unchanged")

    def count(self, counter: str, n: int = 1) -> None:
        self.counts[counter] = self.counts.get(counter, 0) + n

    def add_error(self, error: SyncError) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_REPORT_ERRORS:
            self.errors.append(error)

    def company_done(self, company_id: str, at: datetime) -> None:
        if company_id not in self.companies_done:
            self.companies_done = (*self.companies_done, company_id)
        self.heartbeat_at = at

    def resume(self, at: datetime) -> None:
        if self.status not in (SyncStatus.RUNNING, SyncStatus.INTERRUPTED):
            raise InvalidTransition("only an unfinished sync can be resumed")
        self.status, self.message, self.heartbeat_at, self.finished_at = SyncStatus.RUNNING, "", at, None
        self.resumed += 1

    def interrupt(self, reason: str, at: datetime) -> None:
        self.status, self.message, self.finished_at = SyncStatus.INTERRUPTED, reason[:1000], at

    def finish(self, at: datetime) -> None:
        self.status = SyncStatus.SUCCEEDED_WITH_ERRORS if self.error_count else SyncStatus.SUCCEEDED
        self.finished_at = at
        self.message = ""


class LinkKind(enum.Enum):
    COMPANY = "company"
    DEPARTMENT = "department"
    PERSON = "person"


@attrs.define(kw_only=True)
class SyncLink:
    """An OA record and the one it became here: an organization (company, department) or a
    member (person; ``user_id`` is the personal user behind it). ``company_id`` is the OA company
    the record was last seen in; ``login`` the OA login account (for single sign-on)."""

    source: str
    kind: LinkKind
    external_id: str
    local_id: int
    company_id: str = ""
    user_id: int | None = None
    login: str | None = None
    new: bool = attrs.field(default=False, eq=False)  # not stored yet
