"""Client helpers for integrators calling the open API or sending users by single sign-on
(docs/open-api.md): the request headers of both signature schemes and SSO tickets, with the
current time and a random nonce filled in."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterable, Mapping

from esign_core.model import open_signing, sso_ticket


def _now_ms() -> str:
    return str(int(time.time() * 1000))


def sign_open_request(app_token: str, app_secret: str, method: str, path: str, *,
                      query: str | Mapping[str, str] | Iterable[tuple[str, str]] = "", body: bytes = b"",
                      timestamp: str | None = None, nonce: str | None = None) -> dict[str, str]:
    """The ``x-esign-*`` headers (HMAC-SHA256) for one request. ``path`` is relative to the open
    API root (``/contract/detail``); ``query`` the query string or its parameters; ``body`` the
    exact bytes sent. Every call makes a new nonce: send each request once."""
    return open_signing.sign_request(app_token, app_secret, method, path, query=query, body=body,
                                     timestamp=timestamp or _now_ms(), nonce=nonce or secrets.token_urlsafe(18))


def qys_open_headers(app_token: str, app_secret: str, timestamp: str | None = None) -> dict[str, str]:
    """The ``x-qys-*`` headers of the v4 SDK (``md5(token + secret + timestamp)``)."""
    return open_signing.qys_headers(app_token, app_secret, timestamp or _now_ms())


def issue_sso_ticket(app_token: str, app_secret: str, *, account: str, contract_id: int | str,
                     valid_for_s: int = 120) -> str:
    """A single-sign-on ticket for ``account`` (mobile or e-mail) to open ``contract_id`` in the
    portal: ``<external address>/portal/sso?ticket=<ticket>``. ``valid_for_s``: at most 300."""
    if not 0 < valid_for_s <= sso_ticket.MAX_TICKET_LIFETIME_S:
        raise ValueError("a ticket may be valid for 1 to 300 seconds")
    return sso_ticket.issue_ticket(app_token, app_secret, account=account, contract_id=contract_id,
                                   expires_at=int(time.time()) + valid_for_s, nonce=secrets.token_urlsafe(18))
