"""Single-sign-on tickets (统一登录, manual 二.2.1 2; ADR 0043): how an OA system, registered as
an integration app, sends one of its users straight to a contract in the signing portal.

A ticket is two base64url parts (no padding) joined by a dot::

    ticket  = b64url(payload) + "." + b64url(hmac_sha256(AppSecret, "esign-sso-v1." + b64url(payload)))
    payload = {"v": 1, "app": AppToken, "acc": "<mobile or e-mail>", "cid": "<contract id>",
               "exp": <epoch seconds>, "nonce": "<16-64 of A-Z a-z 0-9 - _>"}   (UTF-8 JSON)

``exp`` is at most 5 minutes ahead of the server clock when the ticket is used; a ticket is
accepted once. This module is stdlib only, so integrators can copy :func:`issue_ticket`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json

import attrs

#: Prefix of the MAC input: a ticket MAC can never be mistaken for a request signature.
MAC_CONTEXT = b"esign-sso-v1."
#: The longest a ticket may live (seconds between its use and its ``exp``).
MAX_TICKET_LIFETIME_S = 300
MAX_TICKET_CHARS = 2048


class TicketFormatError(ValueError):
    """Not a ticket (damaged, wrong shape)."""


@attrs.frozen(kw_only=True)
class TicketClaims:
    app_token: str
    account: str = attrs.field(repr=False)
    contract_id: int
    expires_at: int
    nonce: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def ticket_mac(secret: str, payload_b64: str) -> str:
    return _b64(hmac.new(secret.encode(), MAC_CONTEXT + payload_b64.encode("ascii"), hashlib.sha256).digest())


def issue_ticket(app_token: str, secret: str, *, account: str, contract_id: int | str, expires_at: int,
                 nonce: str) -> str:
    """A ticket for ``account`` (mobile or e-mail) to open ``contract_id`` until ``expires_at``
    (epoch seconds; at most 5 minutes ahead). ``nonce``: random, 16–64 URL-safe characters."""
    body = {"v": 1, "app": app_token, "acc": account, "cid": str(contract_id), "exp": int(expires_at),
            "nonce": nonce}
    payload = _b64(json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode())
    return f"{payload}.{ticket_mac(secret, payload)}"


def split_ticket(ticket: str) -> tuple[str, str, TicketClaims]:
    """``(payload_b64, mac, claims)`` of a well-formed ticket, its MAC not checked yet. Raises
    TicketFormatError."""
    text = (ticket or "").strip()
    payload, _, mac = text.partition(".")
    if not payload or not mac or len(text) > MAX_TICKET_CHARS:
        raise TicketFormatError("not a ticket")
    try:
        body = json.loads(_unb64(payload))
        claims = TicketClaims(app_token=str(body["app"]), account=str(body["acc"]), contract_id=int(body["cid"]),
                              expires_at=int(body["exp"]), nonce=str(body["nonce"]))
        if body.get("v") != 1:
            raise TicketFormatError("unknown ticket version")
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise TicketFormatError("not a ticket") from exc
    return payload, mac, claims
