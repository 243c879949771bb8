"""Request logging into the system logs (系统日志, manual 四.2.1; ADR 0045), and the web node's
heartbeat (服务集群, ADR 0046).

:class:`RequestLog` wraps the application's ASGI handler, so it sees every request, the 404s and
405s that Litestar answers before any route middleware included. After the response it submits one
entry — time, level (by status), area (console / portal / open / api), actor (the console account
or the open API app), request id, method, path without its query string (sign-link tokens and
signatures never reach the log), status, duration — to the platform's batch writer, which never
blocks the request. Static files and health probes are not logged.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from typing import Any

from esign_core.model.system_log import LogEntry
from esign_http.security import request_id_of

log = logging.getLogger("esign_http")
_SKIPPED = ("/static/", "/theme.css", "/health", "/checkHealth", "/favicon.ico")
_AREAS = (("/console", "console"), ("/portal", "portal"), ("/open", "open"), ("/api", "api"))


def area_of(path: str) -> str | None:
    """The log area of a request path; None for paths that are not logged."""
    if path.startswith(_SKIPPED):
        return None
    for prefix, area in _AREAS:
        if path == prefix or path.startswith(prefix + "/"):
            return area
    return "console"  # /, /setup, /pki and the language switch belong to the console site


def actor_of(scope: dict[str, Any]) -> str:
    state = scope.get("state") or {}
    account = state.get("esign.account")
    if account is not None:
        return str(getattr(account, "username", ""))
    app = state.get("open_app")
    if app is not None:
        return f"app:{getattr(app, 'name', '')}"
    return ""


def level_of(status: int) -> str:
    return "ERROR" if status >= 500 else "WARNING" if status >= 400 else "INFO"


class RequestLog:
    """ASGI wrapper around the app's handler; ``writer`` is looked up per request (the platform's
    ``log_writer``, created on first use)."""

    def __init__(self, app: Any, *, platform: Any, node: str, lifecycle: NodeLifecycle | None = None) -> None:
        self.app = app
        self.platform = platform
        self.node = node
        self.lifecycle = lifecycle

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope.get("type") != "http":
            await self.app(scope, receive, send)
            return
        area = area_of(scope.get("path") or "/")
        if area is None:
            await self.app(scope, receive, send)
            return
        from esign_adapters.ops.log_writer import current_request_id

        started = time.perf_counter()
        at = datetime.now(UTC)
        status = [500]
        token = current_request_id.set(request_id_of(scope))

        async def capture(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status[0] = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            current_request_id.reset(token)
            self._record(scope, area, at, status[0], time.perf_counter() - started)

    def _record(self, scope: dict[str, Any], area: str, at: datetime, status: int, seconds: float) -> None:
        lifecycle = self.lifecycle
        if lifecycle is not None and lifecycle.waiting and getattr(self.platform, "_initialized", False):
            lifecycle.start()  # the set-up wizard has just created the schema: start now, once
        try:
            method = str(scope.get("method", ""))
            path = str(scope.get("path", ""))
            self.platform.log_writer.submit(LogEntry(
                at=at, level=level_of(status), area=area, actor=actor_of(scope), request_id=request_id_of(scope),
                method=method, path=path, status=status, duration_ms=round(seconds * 1000), logger="esign.request",
                node=self.node, message=f"{method} {path} {status} {seconds * 1000:.0f} ms"))
        except Exception:  # noqa: BLE001 - logging must never fail a request
            log.debug("request not logged", exc_info=True)


class NodeLifecycle:
    """``on_startup`` / ``on_shutdown`` of the web app: the WARNING+ application records go to the
    system logs, and the process heartbeats as a ``web`` node (and ``open`` when the open API has
    its own port). Neither is started without a migrated SQL database."""

    def __init__(self, platform: Any) -> None:
        self.platform = platform
        self.heartbeat: Any = None
        self.handler: Any = None
        self.waiting = False  # started before the schema existed: start on the first request after

    def start(self, _app: Any = None) -> None:
        from esign_adapters.ops.heartbeat import NodeHeartbeat, node_address
        from esign_adapters.ops.log_writer import install_handler
        from esign_core.errors import EsignError

        platform = self.platform
        self.waiting = False
        if self.heartbeat is not None:
            return
        try:
            if platform.engine is None:
                return
            if not platform.schema_ready():
                self.waiting = True
                return
            self.handler = install_handler(platform.log_writer, area="app", node=node_address(platform.settings))
            services = ["web", "open"] if platform.settings.open_port else ["web"]
            self.heartbeat = NodeHeartbeat.for_platform(platform, services)
            self.heartbeat.start()
        except EsignError as exc:
            log.warning("system logs / heartbeat not started: %s", exc.message)

    def stop(self, _app: Any = None) -> None:
        from esign_adapters.ops.log_writer import remove_handlers

        self.waiting = False
        if self.heartbeat is not None:
            self.heartbeat.stop()
            self.heartbeat = None
        if self.handler is not None:
            remove_handlers(self.handler.writer)
            self.handler = None
        writer = self.platform.__dict__.get("log_writer")
        if writer is not None:
            writer.drain(5)
