"""The batch import's access to the directory: look-ups by natural key in batches and bulk
writes, all in one transaction (the unit of work's per-aggregate tracking would not hold 100,000
rows in bounded memory)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from types import TracebackType
from typing import Protocol

from esign_core.model.base import Aggregate
from esign_core.model.org import Contact, ContactKind, Member, Organization
from esign_core.model.user import PersonalUser


class DirectorySink(Protocol):
    """``with sink:`` opens one transaction; leaving without :meth:`commit` rolls everything back."""

    def __enter__(self) -> DirectorySink: ...

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...

    def commit(self) -> None: ...

    def orgs_by_names(self, names: Iterable[str]) -> dict[str, Organization]:
        """Non-deleted organizations with those names (written in this transaction included)."""

    def orgs_by_usccs(self, usccs: Iterable[str]) -> dict[str, Organization]:
        """Non-deleted organizations with those USCCs."""

    def users_by_accounts(self, accounts: Iterable[str]) -> dict[str, PersonalUser]:
        """Users by mobile or e-mail (each user under every account of theirs that was asked)."""

    def members_of_users(self, user_ids: Iterable[int]) -> Sequence[Member]: ...

    def contacts_by_accounts(self, kind: ContactKind, accounts: Iterable[str]) -> Sequence[Contact]:
        """Non-deleted contacts of that kind whose mobile or e-mail is one of ``accounts``."""

    def add(self, items: Sequence[Aggregate]) -> None:
        """Insert new aggregates (in bulk)."""

    def update(self, items: Sequence[Aggregate]) -> None:
        """Write changed aggregates, version-checked (ConcurrencyError)."""
