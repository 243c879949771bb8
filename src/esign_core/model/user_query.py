"""个人用户 filters (manual 二.2.2 1): name, certification status, mobile/e-mail, creation time."""

from __future__ import annotations

from datetime import datetime

import attrs

from esign_core.errors import InvalidValue
from esign_core.model.certification import CertificationStatus
from esign_core.model.user import PersonalUser


@attrs.frozen
class UserQuery:
    """``name`` and ``account`` are substrings (case-sensitive, as in SQL on every backend);
    ``created_from`` is inclusive, ``created_to`` exclusive; both must be UTC-aware."""

    name: str | None = None
    status: CertificationStatus | None = None
    account: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    limit: int | None = 50
    offset: int = 0

    def __attrs_post_init__(self) -> None:
        for field in ("created_from", "created_to"):
            value = getattr(self, field)
            if value is not None and value.tzinfo is None:
                raise InvalidValue(field, f"{field} must be timezone-aware")
        if (self.limit is not None and self.limit < 0) or self.offset < 0:
            raise InvalidValue("limit", "limit and offset must not be negative")

    def matches(self, user: PersonalUser) -> bool:
        if self.name and self.name not in user.name:
            return False
        if self.status is not None and user.certification is not self.status:
            return False
        if self.account and self.account not in str(user.mobile or "") and self.account not in str(user.email or ""):
            return False
        if self.created_from is not None and user.created_at < self.created_from:
            return False
        return not (self.created_to is not None and user.created_at >= self.created_to)
