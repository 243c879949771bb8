"""证书统计 figures (manual 四.3.1) beyond the per-subject counts of the repository: user
certificates by kind, status and issuing CA, and issued per month. Computed in SQL by the
database adapter; :func:`figures_of` is the same answer over a list (the in-memory platform)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime

import attrs

from esign_core.model.certificate import USER_CERTIFICATE_KINDS, Certificate
from esign_core.model.message_log import last_months


@attrs.frozen
class CertificateFigures:
    total: int
    by_kind: dict[str, int] = attrs.field(hash=False)
    by_status: dict[str, int] = attrs.field(hash=False)
    by_issuer: tuple[tuple[str, int], ...]  # most certificates first, then by name
    by_month: tuple[tuple[str, int], ...]  # YYYY-MM oldest first, by not_before (UTC)


def month_bounds(until: datetime, months: int) -> list[tuple[str, datetime, datetime]]:
    """``(YYYY-MM, first instant, first instant of the next month)`` for the last ``months``."""
    out = []
    for label in last_months(until.astimezone(UTC), months):
        y, m = int(label[:4]), int(label[5:])
        start = datetime(y, m, 1, tzinfo=UTC)
        end = datetime(y + (m == 12), m % 12 + 1, 1, tzinfo=UTC)
        out.append((label, start, end))
    return out


def rank(counts: dict[str, int]) -> tuple[tuple[str, int], ...]:
    return tuple(sorted(((k, n) for k, n in counts.items() if n), key=lambda kv: (-kv[1], kv[0])))


def figures_of(certificates: Iterable[Certificate], *, until: datetime, months: int = 12) -> CertificateFigures:
    users = [c for c in certificates if c.kind in USER_CERTIFICATE_KINDS]
    per_month = Counter(c.not_before.astimezone(UTC).strftime("%Y-%m") for c in users)
    return CertificateFigures(
        total=len(users),
        by_kind=dict(Counter(c.kind.value for c in users)),
        by_status=dict(Counter(c.status.value for c in users)),
        by_issuer=rank(dict(Counter(c.ca_name for c in users))),
        by_month=tuple((label, per_month.get(label, 0)) for label, _, _ in month_bounds(until, months)),
    )
