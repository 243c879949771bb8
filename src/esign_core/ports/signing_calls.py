"""Port of the call-detail log of the signing services (签署服务接入 → 调用详情, 质量监控)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from esign_core.model.signing_service import ProviderQuality, SigningCall, SigningCallQuery


class SigningCallLog(Protocol):
    def record(self, calls: Sequence[SigningCall]) -> None:
        """Append call records in one write (callers batch them). Raises DatabaseError."""

    def search(self, query: SigningCallQuery) -> tuple[list[SigningCall], int]:
        """Matching records, newest first, cut to the query's page; and how many match."""

    def quality(self, *, since: datetime | None = None) -> list[ProviderQuality]:
        """Calls, failures, average and p95 duration per provider (since ``since``), by name."""

    def by_business_system(self, *, since: datetime | None = None) -> list[tuple[str, int]]:
        """调用次数 per business system ("" for the platform's own console and portal), most
        calls first, then by name."""
