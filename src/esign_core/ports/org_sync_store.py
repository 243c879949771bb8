"""Directory sync's access to our side: the batch import's :class:`DirectorySink` (look-ups by
natural key, bulk writes, one transaction) plus the sync's own records — sources, reports and the
links between OA records and ours — written in the same transaction, so that one company's
changes and the run's checkpoint are committed together."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

from esign_core.model.org import Member, Organization
from esign_core.model.org_sync import LinkKind, SyncLink, SyncReport, SyncSource
from esign_core.model.user import PersonalUser
from esign_core.ports.directory_sink import DirectorySink


class OrgSyncStore(DirectorySink, Protocol):
    """Use inside ``with store:`` like the sink; nothing is written before :meth:`commit`."""

    def __enter__(self) -> OrgSyncStore: ...

    def sources(self) -> Sequence[SyncSource]: ...

    def source(self, name: str) -> SyncSource | None: ...

    def save_source(self, source: SyncSource) -> None:
        """Insert (version 0) or write back, version-checked (ConcurrencyError)."""

    def reports(self, source: str | None = None, *, limit: int = 50) -> Sequence[SyncReport]:
        """Newest first."""

    def report(self, report_id: int) -> SyncReport | None: ...

    def save_report(self, report: SyncReport) -> None:
        """Insert (version 0) or write back, version-checked (ConcurrencyError)."""

    def links(self, source: str, kind: LinkKind, external_ids: Iterable[str]) -> dict[str, SyncLink]: ...

    def links_in_company(self, source: str, kind: LinkKind, company_id: str) -> Sequence[SyncLink]: ...

    def save_links(self, links: Sequence[SyncLink]) -> None:
        """Insert the links marked ``new`` (clearing the mark), update the others."""

    def orgs_by_ids(self, ids: Iterable[int]) -> dict[int, Organization]: ...

    def members_by_ids(self, ids: Iterable[int]) -> dict[int, Member]: ...

    def users_by_ids(self, ids: Iterable[int]) -> dict[int, PersonalUser]: ...
