"""The OA side of directory sync: one :class:`OrgDirectory` per connected system (Weaver e-cology
over SOAP, DingTalk, WeCom…), read-only, yielding plain records that the sync service diffs against
our directory. Adapters live in ``esign_adapters.org_sync`` and are found by the ``esign.org_directories``
entry-point group."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from enum import Enum
from typing import Protocol

import attrs


class UnitKind(str, Enum):  # noqa: UP042 - str() of a member stays "UnitKind.COMPANY" for callers
    COMPANY = "company"  # an e-cology sub-company; the whole corp for DingTalk / WeCom
    DEPARTMENT = "department"


@attrs.frozen(kw_only=True)
class OrgUnit:
    """A company or department as the OA system knows it. ``external_id`` is unique per kind in
    one source; ``company_id`` is the company a department belongs to (None for a company)."""

    external_id: str
    kind: UnitKind
    name: str
    parent_id: str | None = None
    company_id: str | None = None
    code: str | None = None
    order: float = 0.0
    disabled: bool = False


@attrs.frozen(kw_only=True)
class OrgPerson:
    """A person of the OA directory. ``mobile`` / ``email`` are None when the OA does not expose them
    (missing API permission): the sync reports that instead of failing."""

    external_id: str
    name: str
    company_id: str
    department_ids: tuple[str, ...] = ()
    number: str | None = None  # e-cology workcode / job number
    mobile: str | None = attrs.field(default=None, repr=False)
    email: str | None = attrs.field(default=None, repr=False)
    login: str | None = None
    disabled: bool = False


class OrgDirectoryError(Exception):
    """The OA system could not be read (unreachable, refused, malformed answer). Adapters raise this
    (with a message fit for the sync report), never transport exceptions."""


class OrgDirectory(Protocol):
    """A read-only view of one OA directory. Each method may page internally; all are iterables so
    that 100,000 people never sit in memory at once more than the adapter needs."""

    #: the connector name (``ecology``, ``dingtalk``, ``wecom``…).
    source: str

    def companies(self) -> Iterable[OrgUnit]: ...

    def departments(self, company_ids: Sequence[str]) -> Iterable[OrgUnit]:
        """Departments of those companies (all companies when empty)."""

    def people(self, company_ids: Sequence[str], department_ids: Sequence[str] = ()) -> Iterable[OrgPerson]:
        """People of those companies, narrowed to those departments when given."""

    def close(self) -> None: ...
