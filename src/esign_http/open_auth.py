"""Authentication of the open API (reference §1.2): every ``/open`` request but
``/checkHealth`` carries ``x-qys-accesstoken``, ``x-qys-timestamp`` and ``x-qys-signature =
md5(token + secret + timestamp)``. The check itself is the core use case AuthenticateApp; this
guard only reads the headers and keeps the app for the handler (:func:`app_of`).

A refused request is answered HTTP 401 with the envelope ``{"code": 1000000, …}`` (see the
addendum of docs/adr/0006-open-api-errors.md)."""

from __future__ import annotations

from typing import Any

import anyio.to_thread
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from esign_core.model.integration import IntegrationApp
from esign_core.services.integration import AuthenticateApp
from esign_http.context import platform_of

TOKEN_HEADER = "x-qys-accesstoken"
TIMESTAMP_HEADER = "x-qys-timestamp"
SIGNATURE_HEADER = "x-qys-signature"
_STATE_KEY = "open_app"
#: Route handlers with ``opt={PUBLIC: True}`` skip the check (``/checkHealth``).
PUBLIC = "open_public"


async def open_app_guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """Raise AuthenticationFailed unless the request is signed by an enabled app."""
    if handler.opt.get(PUBLIC):
        return
    headers = connection.headers
    command = AuthenticateApp(app_token=headers.get(TOKEN_HEADER, ""), timestamp=headers.get(TIMESTAMP_HEADER, ""),
                              signature=headers.get(SIGNATURE_HEADER, ""))
    platform = platform_of(connection)
    app = await anyio.to_thread.run_sync(platform.handle, command)
    connection.state[_STATE_KEY] = app


def app_of(connection: ASGIConnection[Any, Any, Any, Any]) -> IntegrationApp:
    """The app that signed this request (set by :func:`open_app_guard`)."""
    return connection.state[_STATE_KEY]  # type: ignore[no-any-return]
