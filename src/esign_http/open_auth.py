"""Authentication of the open API (docs/open-api.md, ADR 0042): every ``/open`` request but
``/checkHealth`` is signed by an integration app, either with the ``x-qys-*`` headers of
reference §1.2 (``x-qys-signature = md5(token + secret + timestamp)``) or with the ``x-esign-*``
HMAC-SHA256 headers that also bind the method, path, query and body. The checks themselves
(signature, app enabled, scheme, IP lists, time window, replay) are the core use case
AuthenticateApp; this guard reads the headers, the body hash and the client address (the real
peer; ``X-Forwarded-For`` only from a trusted proxy, see :func:`esign_http.context.client_ip`),
and keeps the app for the handler (:func:`app_of`).

A refused request is answered HTTP 401 with the envelope ``{"code": 1000000, "message": …}``
naming the check that failed (see docs/adr/0006-open-api-errors.md); it is logged with the
reason, the app token, the address and the path — never the signature or the secret."""

from __future__ import annotations

import logging
from typing import Any

import anyio.to_thread
from litestar import Request
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from esign_core.model.integration import AuthScheme, IntegrationApp
from esign_core.model.open_signing import (
    NONCE_HEADER,
    QYS_SIGNATURE_HEADER,
    QYS_TIMESTAMP_HEADER,
    QYS_TOKEN_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    body_sha256,
)
from esign_core.model.open_signing import TOKEN_HEADER as HMAC_TOKEN_HEADER
from esign_core.services.open_auth import AuthenticateApp, OpenAuthRefused
from esign_http.context import client_ip, platform_of

TOKEN_HEADER = QYS_TOKEN_HEADER
_STATE_KEY = "open_app"
#: Route handlers with ``opt={PUBLIC: True}`` skip the check (``/checkHealth``).
PUBLIC = "open_public"
#: The open API's mount; the signed path is relative to it (also on the open port, 9182).
OPEN_ROOT = "/open"
log = logging.getLogger("esign_http.open_auth")

__all__ = ["HMAC_TOKEN_HEADER", "PUBLIC", "TOKEN_HEADER", "app_of", "open_app_guard", "signed_path"]


def signed_path(path: str) -> str:
    """The path as the client signs it: relative to the open API root."""
    if path == OPEN_ROOT or path.startswith(OPEN_ROOT + "/"):
        return path[len(OPEN_ROOT):] or "/"
    return path


async def _command(connection: ASGIConnection[Any, Any, Any, Any], peer: str) -> AuthenticateApp:
    headers = connection.headers
    if headers.get(HMAC_TOKEN_HEADER):
        body = await connection.body() if isinstance(connection, Request) else b""
        return AuthenticateApp(app_token=headers.get(HMAC_TOKEN_HEADER, ""),
                               timestamp=headers.get(TIMESTAMP_HEADER, ""),
                               signature=headers.get(SIGNATURE_HEADER, ""), nonce=headers.get(NONCE_HEADER, ""),
                               scheme=AuthScheme.HMAC_SHA256, peer=peer, method=connection.scope.get("method", "GET"),
                               path=signed_path(connection.scope["path"]),
                               query=connection.scope.get("query_string", b"").decode("latin-1"),
                               body_sha256=body_sha256(body))
    return AuthenticateApp(app_token=headers.get(QYS_TOKEN_HEADER, ""), timestamp=headers.get(QYS_TIMESTAMP_HEADER, ""),
                           signature=headers.get(QYS_SIGNATURE_HEADER, ""), scheme=AuthScheme.QYS_MD5, peer=peer)


async def open_app_guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """Raise OpenAuthRefused unless the request is signed by an enabled app, with a scheme it
    accepts, from an address it allows, fresh and not seen before."""
    if handler.opt.get(PUBLIC):
        return
    peer = client_ip(connection)
    command = await _command(connection, peer)
    platform = platform_of(connection)
    try:
        app = await anyio.to_thread.run_sync(platform.handle, command)
    except OpenAuthRefused as exc:
        log.warning("open API request refused: reason=%s scheme=%s token=%s ip=%s path=%s", exc.reason,
                    command.scheme.value, command.app_token[:40], peer, connection.scope.get("path"))
        raise
    connection.state[_STATE_KEY] = app


def app_of(connection: ASGIConnection[Any, Any, Any, Any]) -> IntegrationApp:
    """The app that signed this request (set by :func:`open_app_guard`)."""
    return connection.state[_STATE_KEY]  # type: ignore[no-any-return]
