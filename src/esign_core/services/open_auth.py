"""Authentication of open-API requests (docs/open-api.md, ADR 0042): the ``x-qys-*`` MD5
scheme of the product we replace and the ``x-esign-*`` HMAC-SHA256 scheme, per app, with the
timestamp window, the replay store and the app's IP lists.

The checks, in order — the first that fails is the answer: the app and its signature
(constant-time; an unknown token and a wrong signature are the same answer ``signature``), the
app enabled, the scheme accepted by the app, the peer address allowed, the timestamp within
±5 minutes, the nonce well-formed, the key not seen before (then remembered)."""

from __future__ import annotations

import hmac
from datetime import UTC, datetime, timedelta

import attrs

from esign_core.errors import AuthenticationFailed
from esign_core.model.integration import APP_SECRET_PURPOSE, AuthScheme, IntegrationApp
from esign_core.model.open_signing import (
    NONCE_PATTERN,
    canonical_path,
    canonical_query,
    canonical_request,
    hmac_signature,
    qys_signature,
)
from esign_core.ports import Clock, SecretBox, UnitOfWork
from esign_core.ports.replay import ReplayGuard, replay_key
from esign_core.services.commands import Command

#: How far a request's timestamp may be from the server clock (both ways, inclusive).
TIMESTAMP_TOLERANCE_S = 300
#: The open-API code answered for every authentication failure (§1.5 names no auth code).
AUTH_API_CODE = 1000000
#: Reasons of :class:`OpenAuthRefused`, in the order they are checked.
REASONS = ("missing", "signature", "disabled", "scheme", "ip", "timestamp", "nonce", "replay")
_DUMMY_SECRET = "-" * 64


class OpenAuthRefused(AuthenticationFailed):
    """The open-API request was not authenticated; ``reason`` says which check refused it (one of
    :data:`REASONS`). The message never contains a secret or a signature."""

    def __init__(self, reason: str, message: str, **fields: object) -> None:
        super().__init__(message, reason=reason, api_code=AUTH_API_CODE, **fields)
        self.reason = reason


@attrs.frozen(kw_only=True)
class AuthenticateApp(Command):
    """The authentication part of one request. ``scheme`` QYS_MD5 reads ``app_token``,
    ``timestamp`` and ``signature`` (the ``x-qys-*`` headers); HMAC_SHA256 also ``nonce`` and
    the request itself: ``method``, ``path`` (relative to the open API root), the raw ``query``
    string and the hex SHA-256 of the body. ``peer`` is the client's address."""

    app_token: str
    timestamp: str
    signature: str = attrs.field(repr=False)
    scheme: AuthScheme = AuthScheme.QYS_MD5
    peer: str = ""
    nonce: str = ""
    method: str = "GET"
    path: str = "/"
    query: str = ""
    body_sha256: str = ""


def request_signature(token: str, secret: str, timestamp: str) -> str:
    """``md5(token + secret + timestamp)`` as 32 lowercase hex digits (what the SDK sends)."""
    return qys_signature(token, secret, timestamp)


def _expected(cmd: AuthenticateApp, secret: str) -> str:
    if cmd.scheme is AuthScheme.QYS_MD5:
        return qys_signature(cmd.app_token, secret, cmd.timestamp)
    canonical = canonical_request(cmd.method, canonical_path(cmd.path), canonical_query(cmd.query), cmd.timestamp,
                                  cmd.nonce, cmd.body_sha256.lower())
    return hmac_signature(secret, canonical)


def _request_time(timestamp: str) -> datetime | None:
    if not timestamp.isdecimal() or len(timestamp) > 16:
        return None
    return datetime.fromtimestamp(int(timestamp) / 1000, UTC)


def authenticate_app(cmd: AuthenticateApp, *, uow: UnitOfWork, clock: Clock, secrets: SecretBox,
                     replays: ReplayGuard) -> IntegrationApp:
    """The enabled app that signed this request. Raises OpenAuthRefused (``api_code`` 1000000,
    ``reason`` one of :data:`REASONS`); DatabaseError when the replay store is unreachable."""
    if not cmd.app_token or not cmd.signature:
        raise OpenAuthRefused("missing", "the request carries no x-qys-* or x-esign-* authentication headers")
    with uow:
        app = uow.apps.by_token(cmd.app_token)
    # The signature is computed even for an unknown token so that the timing says nothing.
    secret = secrets.open(app.sealed_secret, purpose=APP_SECRET_PURPOSE).decode() if app else _DUMMY_SECRET
    matches = hmac.compare_digest(_expected(cmd, secret).encode(), cmd.signature.strip().lower().encode())
    if app is None or not matches:
        raise OpenAuthRefused("signature", "unknown app token, or the signature does not match the app secret",
                              scheme=cmd.scheme.value)
    if not app.enabled:
        raise OpenAuthRefused("disabled", f"the app {app.name!r} is disabled", app=app.name)
    if cmd.scheme not in app.accepted_schemes:
        raise OpenAuthRefused("scheme", f"the app {app.name!r} does not accept {cmd.scheme.value} signatures",
                              app=app.name, scheme=cmd.scheme.value)
    if not app.ip_allowed(cmd.peer):
        raise OpenAuthRefused("ip", f"requests from {cmd.peer or 'an unknown address'} are not allowed for this app",
                              app=app.name, ip=cmd.peer)
    legacy = cmd.scheme is AuthScheme.QYS_MD5 and app.legacy_static_signature
    if legacy:
        return app  # the legacy switch: no time window, no replay check (see IntegrationApp)
    now = clock.now()
    at = _request_time(cmd.timestamp)
    window = timedelta(seconds=TIMESTAMP_TOLERANCE_S)
    if at is None or abs(at - now) > window:
        raise OpenAuthRefused("timestamp", "the timestamp is not epoch milliseconds within 5 minutes of the server "
                              "time", app=app.name, server_time=str(int(now.timestamp() * 1000)))
    if cmd.scheme is AuthScheme.HMAC_SHA256:
        if not NONCE_PATTERN.fullmatch(cmd.nonce):
            raise OpenAuthRefused("nonce", "x-esign-nonce must be 16 to 64 characters of A-Z a-z 0-9 - _",
                                  app=app.name)
        key = replay_key("hmac", str(app.id), cmd.nonce)
    else:
        key = replay_key("qys", str(app.id), cmd.timestamp, cmd.signature.strip().lower())
    if not replays.first_use(key, expires_at=at + window + timedelta(seconds=1), now=now):
        raise OpenAuthRefused("replay", "this signature (or nonce) has been used already: sign every request anew",
                              app=app.name)
    return app
