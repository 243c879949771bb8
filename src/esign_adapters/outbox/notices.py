"""Physical-seal notices from the outbox (kind ``notice``): the person named by a mobile number
(or an employee number of the application's enterprise) is resolved to a user, then the
``NotifySealEvent`` use case puts the message in their in-site inbox and pushes it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from esign_core.errors import DomainError
from esign_core.services.messaging import NotifySealEvent

_MOBILE = re.compile(r"^(?:\+?86)?1\d{10}$")


class PlatformNoticeSender:
    """:class:`esign_core.ports.outbox.NoticeSender` over a Platform."""

    def __init__(self, platform: Any) -> None:
        self._platform = platform

    def __repr__(self) -> str:
        return "PlatformNoticeSender()"

    def resolve(self, to: str, tenant_id: int | None) -> int | None:
        """The user id of a mobile number / e-mail (any user) or an employee number (a member of
        ``tenant_id``); None when nobody matches."""
        with self._platform.uow_factory() as uow:
            if _MOBILE.match(to) or "@" in to:
                user = uow.users.by_account(to[-11:] if _MOBILE.match(to) else to)
                if user is not None:
                    return int(user.id)
            if tenant_id is not None:
                for member in uow.members.of_org(tenant_id):
                    if member.number and member.number == to:
                        return int(member.user_id)
        return None

    def notify(self, *, event: str, to: str, key: str, params: Mapping[str, str],
               tenant_id: int | None = None) -> None:
        user_id = self.resolve(to, tenant_id)
        if user_id is None:  # permanent: dead-lettered (resend once the person has an account)
            raise DomainError(f"no user or member matches the recipient {to} of the {event} notice",
                              event=event)
        self._platform.handle(NotifySealEvent(event=event, user_id=user_id, key=key, params=dict(params)))
