"""The open API on its own port (9182 by the product's convention; ``--open-port`` /
``[server] open_port`` / ``ESIGN_OPEN_PORT``): integrators whose client was configured with
``http://host:9182`` as base URL keep it.

One uvicorn server listens on both sockets; :class:`OpenPortDispatch` recognises a request that
arrived on the open port by the local port in its ASGI scope and hands it to the same app under
``/open`` — so that port serves the open API at its root and nothing else (no console, no
portal), with the same authentication, envelopes and error translation.
"""

from __future__ import annotations

from typing import Any

Scope = dict[str, Any]
OPEN_PREFIX = "/open"
DEFAULT_OPEN_PORT = 9182


class OpenPortDispatch:
    """ASGI wrapper: requests received on ``open_port`` are served by the ``/open`` routes."""

    def __init__(self, app: Any, open_port: int) -> None:
        self.app = app
        self.open_port = open_port

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] in ("http", "websocket") and _local_port(scope) == self.open_port:
            path = scope.get("path") or "/"
            raw = scope.get("raw_path") or path.encode()
            scope = {**scope, "path": OPEN_PREFIX + path, "raw_path": OPEN_PREFIX.encode() + raw}
        await self.app(scope, receive, send)


def _local_port(scope: Scope) -> int | None:
    server = scope.get("server")
    if not server or len(server) < 2:
        return None
    try:
        return int(server[1])
    except (TypeError, ValueError):
        return None


def create_dispatching_app() -> OpenPortDispatch:
    """uvicorn factory for the multi-process mode: the app of :func:`esign_http.app.create_app`
    behind the dispatch, the open port read from the settings (``ESIGN_OPEN_PORT``)."""
    from esign_adapters.bootstrap import Platform
    from esign_http.app import create_app

    platform = Platform.from_settings()
    return OpenPortDispatch(create_app(platform), platform.settings.open_port or DEFAULT_OPEN_PORT)
