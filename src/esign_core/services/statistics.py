"""签署统计 (manual 4.1.1): the dashboard and the signing log, answered by the
:class:`~esign_core.ports.statistics.StatisticsQueries` port (aggregated by the store)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs

from esign_core.errors import InvalidValue
from esign_core.model.contract import ContractStatus
from esign_core.model.statistics import SigningDashboard, SigningLogPage, StatisticsQuery
from esign_core.ports.statistics import StatisticsQueries
from esign_core.services.commands import Command

RANKING_SIZE = 10
MAX_PAGE_SIZE = 200


@attrs.frozen
class GetSigningDashboard(Command):
    """Counts by status, a series per bucket and the two rankings for ``query``."""

    query: StatisticsQuery
    ranking_size: int = RANKING_SIZE


@attrs.frozen
class GetSigningLog(Command):
    """One page (from 1) of the signing log for ``query``."""

    query: StatisticsQuery
    page: int = 1
    page_size: int = 20

    def __attrs_post_init__(self) -> None:
        if self.page < 1:
            raise InvalidValue("page", "pages are numbered from 1")
        if not 1 <= self.page_size <= MAX_PAGE_SIZE:
            raise InvalidValue("page_size", f"a page holds 1 to {MAX_PAGE_SIZE} entries")


def get_signing_dashboard(cmd: GetSigningDashboard, *, statistics: StatisticsQueries) -> SigningDashboard:
    """Every status and every bucket of the range is present, zeros included. Raises DatabaseError."""
    query = cmd.query
    by_status = statistics.count_by_status(query)
    per_bucket = statistics.count_by_bucket(query)
    return SigningDashboard(
        query=query,
        total=sum(by_status.values()),
        by_status=tuple((s, int(by_status.get(s.value, 0))) for s in ContractStatus
                        if query.status is None or s is query.status),
        series=tuple((b, int(per_bucket.get(b, 0))) for b in query.buckets()),
        enterprises=tuple(statistics.top_enterprises(query, limit=cmd.ranking_size)),
        business_systems=tuple(statistics.top_business_systems(query, limit=cmd.ranking_size)),
    )


def get_signing_log(cmd: GetSigningLog, *, statistics: StatisticsQueries) -> SigningLogPage:
    """Newest first. Raises DatabaseError."""
    found = statistics.signing_log(cmd.query, limit=cmd.page_size + 1, offset=(cmd.page - 1) * cmd.page_size)
    return SigningLogPage(tuple(found[: cmd.page_size]), cmd.page, cmd.page_size, len(found) > cmd.page_size)


HANDLERS: dict[type[Command], Callable[..., Any]] = {
    GetSigningDashboard: get_signing_dashboard,
    GetSigningLog: get_signing_log,
}
