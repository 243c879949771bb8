"""签署统计 (manual 四.1.1): the question a dashboard asks — a range of local dates, a bucket size,
optional status / enterprise / business-system filters — and the answers (counts, a series,
rankings, the signing log).

The business system (业务系统) of a contract is its business category (业务分类,
``Contract.category_id``): contracts do not record the integration app that created them (ADR 0044).
The enterprise is the contract's initiating enterprise (``Contract.tenant_id``).
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs

from esign_core.errors import InvalidValue
from esign_core.model.contract import ContractStatus

DEFAULT_TIME_ZONE = "Asia/Shanghai"
MAX_BUCKETS = 400  # a line chart of more points is unreadable; ask for weeks or months instead
MAX_DAYS = 3700  # about ten years
NO_ENTERPRISE = "（无企业）"
NO_SYSTEM = "未分类"


def signer_label(tenant_name: str, receiver_name: str | None) -> str:
    """``企业（经办人）``, or the name alone."""
    if receiver_name and receiver_name != tenant_name:
        return f"{tenant_name}（{receiver_name}）"
    return tenant_name


def is_enterprise(tenant_type: str, unit_kind: str) -> bool:
    """Whether an organisation row can initiate contracts: the platform or an internal enterprise."""
    return tenant_type in ("CORPORATE", "INNER_COMPANY") and unit_kind != "SECTION"


class Granularity(enum.Enum):
    DAY = "day"
    WEEK = "week"  # ISO weeks, from Monday
    MONTH = "month"


GRANULARITY_LABELS = {Granularity.DAY: "按日", Granularity.WEEK: "按周", Granularity.MONTH: "按月"}
#: the signing log's result column (action statuses that carry a completion time)
ACTION_RESULT_LABELS = {"SIGNED": "已签署", "FINISHED": "已结束", "REJECTED": "已退回", "DISCARDED": "已作废"}


def bucket_of(day: date, granularity: Granularity) -> date:
    """The first local date of the bucket that ``day`` falls in."""
    if granularity is Granularity.WEEK:
        return day - timedelta(days=day.weekday())
    if granularity is Granularity.MONTH:
        return day.replace(day=1)
    return day


def _next_bucket(start: date, granularity: Granularity) -> date:
    if granularity is Granularity.WEEK:
        return start + timedelta(days=7)
    if granularity is Granularity.MONTH:
        return date(start.year + (start.month == 12), start.month % 12 + 1, 1)
    return start + timedelta(days=1)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidValue("tz", f"unknown time zone {name!r}") from None


@attrs.frozen(kw_only=True)
class StatisticsQuery:
    """Contracts created on the local dates ``start``..``end`` (both included) in ``tz``.

    Raises InvalidValue when ``end`` is before ``start``, the range is longer than about ten
    years, it has more than :data:`MAX_BUCKETS` buckets, or the time zone is unknown."""

    start: date
    end: date
    granularity: Granularity = Granularity.DAY
    status: ContractStatus | None = None
    tenant_id: int | None = None
    category_id: int | None = None
    tz: str = DEFAULT_TIME_ZONE

    def __attrs_post_init__(self) -> None:
        if self.end < self.start:
            raise InvalidValue("end", "the end date is before the start date")
        if (self.end - self.start).days > MAX_DAYS:
            raise InvalidValue("start", "the range is longer than ten years")
        if len(self.buckets()) > MAX_BUCKETS:
            raise InvalidValue("granularity", f"more than {MAX_BUCKETS} points: choose weeks or months")
        _zone(self.tz)

    @property
    def zone(self) -> ZoneInfo:
        return _zone(self.tz)

    def utc_range(self) -> tuple[datetime, datetime]:
        """``[start 00:00, end + 1 day 00:00)`` local time, as UTC instants."""
        zone = self.zone
        lo = datetime.combine(self.start, time(), zone).astimezone(UTC)
        hi = datetime.combine(self.end + timedelta(days=1), time(), zone).astimezone(UTC)
        return lo, hi

    def utc_offset_minutes(self) -> int:
        """The zone's offset at the start of the range (backends without time-zone data bucket with
        it; exact for zones without daylight saving time, such as Asia/Shanghai)."""
        offset = datetime.combine(self.start, time(12), self.zone).utcoffset() or timedelta()
        return int(offset.total_seconds() // 60)

    def buckets(self) -> list[date]:
        """First local date of every bucket that the range touches, oldest first."""
        out, current = [], bucket_of(self.start, self.granularity)
        while current <= self.end:
            out.append(current)
            current = _next_bucket(current, self.granularity)
            if len(out) > MAX_BUCKETS:
                break
        return out

    def month_split(self) -> tuple[tuple[date, date] | None, list[tuple[date, date]]]:
        """The whole calendar months inside the range, as (first month, last month) (None when
        there are none), and the days outside them as inclusive (first, last) date ranges."""
        first = self.start if self.start.day == 1 else _next_bucket(self.start.replace(day=1), Granularity.MONTH)
        after = _next_bucket(self.end.replace(day=1), Granularity.MONTH)
        last = self.end if self.end + timedelta(days=1) == after else self.end.replace(day=1) - timedelta(days=1)
        if first > last:
            return None, [(self.start, self.end)]
        edges = []
        if self.start < first:
            edges.append((self.start, first - timedelta(days=1)))
        if last < self.end:
            edges.append((last + timedelta(days=1), self.end))
        return (first, last.replace(day=1)), edges

    def utc_span(self, first: date, last: date) -> tuple[datetime, datetime]:
        """Local dates ``first``..``last`` (inclusive) as a half-open UTC range."""
        zone = self.zone
        return (datetime.combine(first, time(), zone).astimezone(UTC),
                datetime.combine(last + timedelta(days=1), time(), zone).astimezone(UTC))

    def local_day(self, at: datetime) -> date:
        return at.astimezone(self.zone).date()

    def matches(self, *, created_at: datetime, status: ContractStatus, tenant_id: int | None,
                category_id: int | None) -> bool:
        """Whether a contract falls in this query (the in-memory fake's definition of the filter)."""
        lo, hi = self.utc_range()
        return (lo <= created_at < hi and (self.status is None or status is self.status)
                and (self.tenant_id is None or tenant_id == self.tenant_id)
                and (self.category_id is None or category_id == self.category_id))


@attrs.frozen
class Ranked:
    """One line of a ranking: the enterprise or business system (``id`` None: none recorded)."""

    id: int | None
    name: str
    count: int


@attrs.frozen
class Choice:
    id: int
    name: str


@attrs.frozen
class SigningLogEntry:
    """One signing event: an action of a signatory completed on a contract."""

    at: datetime
    contract_id: int
    subject: str
    signer: str  # the signatory (enterprise or person) and, when known, the receiver
    enterprise: str  # the contract's initiating enterprise
    business_system: str
    result: str  # the action status (SIGNED, FINISHED …)


@attrs.frozen
class SigningLogPage:
    """One page of the signing log. There is no total: counting every matching event of a long
    range costs more than the page itself (ADR 0044); ``has_next`` says whether more follow."""

    entries: tuple[SigningLogEntry, ...]
    page: int
    page_size: int
    has_next: bool


@attrs.frozen
class SigningDashboard:
    """Everything the 电子签约 statistics page shows above the log."""

    query: StatisticsQuery
    total: int
    by_status: tuple[tuple[ContractStatus, int], ...]  # every status, zeros included, enum order
    series: tuple[tuple[date, int], ...]  # every bucket of the range, zeros included
    enterprises: tuple[Ranked, ...]  # largest first
    business_systems: tuple[Ranked, ...]  # largest first
