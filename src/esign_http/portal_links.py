"""Sign links of the signing portal: stateless, signed, expiring tokens.

A link is ``<external address>/portal/sign?viewToken=<token>`` (the URL shape of the product we
replace). The token is ``<payload>.<mac>``, both base64url: the payload is compact JSON with the
contract id, the signatory id, the signer's contact, the expiry (epoch seconds) and optionally the
page to return to after signing (``callbackPage``); the MAC is HMAC-SHA256 under a key derived
from the session secret for the purpose ``portal-link``. Nothing is stored, so links need no
migration and cannot be enumerated; they die with their expiry or when the session secret
changes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlsplit

import attrs

PURPOSE = b"portal-link"
SIGN_PATH = "/portal/sign"
MIN_EXPIRES_IN, MAX_EXPIRES_IN, DEFAULT_EXPIRES_IN = 300, 259200, 1800
#: Links sent by SMS (open API /contract/signurl/send, "the link does not expire"): 30 days.
SENT_LINK_EXPIRES_IN = 30 * 86400


class LinkError(ValueError):
    """A token that cannot be used: ``reason`` is ``expired`` or ``invalid`` (forged, damaged)."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"sign link {reason}")
        self.reason = reason


@attrs.frozen(kw_only=True)
class LinkClaims:
    """What a verified token says."""

    contract_id: int
    signatory_id: int
    contact: str = attrs.field(repr=False)
    expires_at: int
    callback_page: str = ""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def safe_callback(url: str) -> str:
    """An http(s) URL to send the browser to after signing, else empty."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or any(ord(c) < 33 for c in url.strip()):
        return ""
    return url.strip()


class PortalLinks:
    """Issues and verifies sign links. ``secret`` is the installation's session secret (a
    purpose-bound key is derived from it), ``base_url`` the external address, ``now`` epoch
    seconds (the platform clock)."""

    def __init__(self, secret: bytes, base_url: str, now: Callable[[], float]) -> None:
        self._key = hmac.new(secret, PURPOSE, hashlib.sha256).digest()
        self.base_url = base_url.rstrip("/")
        self._now = now

    def _mac(self, payload: str) -> str:
        return _b64(hmac.new(self._key, payload.encode("ascii"), hashlib.sha256).digest())

    def token(self, contract_id: int, signatory_id: int, contact: str, *, expires_in: int = DEFAULT_EXPIRES_IN,
              callback_page: str = "", max_expires_in: int = MAX_EXPIRES_IN) -> str:
        """A token valid for ``expires_in`` seconds (300 … ``max_expires_in``, by default 259200;
        ValueError otherwise). Only links sent by SMS raise the maximum (:data:`SENT_LINK_EXPIRES_IN`)."""
        if not MIN_EXPIRES_IN <= expires_in <= max(max_expires_in, MIN_EXPIRES_IN):
            raise ValueError(f"expires_in must be {MIN_EXPIRES_IN}…{max_expires_in} seconds")
        body: dict[str, Any] = {"c": contract_id, "s": signatory_id, "t": contact,
                                "e": int(self._now()) + expires_in}
        callback = safe_callback(callback_page) if callback_page else ""
        if callback:
            body["p"] = callback
        payload = _b64(json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode())
        return f"{payload}.{self._mac(payload)}"

    def issue(self, contract_id: int, signatory_id: int, contact: str, expires_in: int = DEFAULT_EXPIRES_IN, *,
              callback_page: str = "", max_expires_in: int = MAX_EXPIRES_IN) -> str:
        """The full sign link for the signer with ``contact``."""
        token = self.token(contract_id, signatory_id, contact, expires_in=expires_in, callback_page=callback_page,
                           max_expires_in=max_expires_in)
        return f"{self.base_url}{SIGN_PATH}?viewToken={quote(token, safe='.')}"

    def verify(self, token: str | None) -> LinkClaims:
        """The token's claims. Raises LinkError("invalid") for a forged or damaged token and
        LinkError("expired") once it has expired (the signature is checked first)."""
        payload, _, mac = (token or "").partition(".")
        if not payload or not mac or not hmac.compare_digest(mac, self._mac(payload)):
            raise LinkError("invalid")
        try:
            body = json.loads(_unb64(payload))
            claims = LinkClaims(contract_id=int(body["c"]), signatory_id=int(body["s"]), contact=str(body["t"]),
                                expires_at=int(body["e"]), callback_page=str(body.get("p", "")))
        except (binascii.Error, ValueError, KeyError, TypeError) as exc:
            raise LinkError("invalid") from exc
        if claims.expires_at <= self._now():
            raise LinkError("expired")
        return claims


def digest(token: str) -> str:
    """A short name for a token, to key per-link state without keeping the token itself."""
    return hashlib.sha256(token.encode()).hexdigest()[:32]
