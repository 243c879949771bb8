"""Running the app with uvicorn (``esign serve``)."""

from __future__ import annotations

import socket
from typing import Any

from esign_adapters.bootstrap import Platform
from esign_adapters.settings import DEFAULT_PORT
from esign_http.open_port import OpenPortDispatch

DEFAULT_HOST = "127.0.0.1"


def serve(platform: Platform | None = None, host: str | None = None, port: int | None = None, *,
          proxy_headers: bool = False, forwarded_allow_ips: str | None = None, log_level: str = "info",
          open_port: int | None = None) -> None:
    """Serve the console, portal, open API and REST API until interrupted.

    ``host``/``port`` default to the platform settings (127.0.0.1:9181). ``open_port`` (default:
    ``[server] open_port``) also serves the open API at the root of that port (9182 in the
    product we replace; see :mod:`esign_http.open_port`). Behind a reverse proxy pass
    ``proxy_headers=True`` and the proxy's address in ``forwarded_allow_ips`` so that client
    addresses (used by the login rate limit) and the https scheme (HSTS) are the real ones.
    """
    import uvicorn

    from esign_http.app import create_app

    platform = platform or Platform.from_settings()
    open_port = open_port or platform.settings.open_port
    if open_port and platform.settings.open_port != open_port:  # the web node also heartbeats as `open`
        import attrs

        platform.settings = attrs.evolve(platform.settings, open_port=open_port)
    app: Any = create_app(platform)
    if open_port:
        app = OpenPortDispatch(app, open_port)
    config = uvicorn.Config(app, host=host or platform.settings.host or DEFAULT_HOST,
                            port=port or platform.settings.port or DEFAULT_PORT, proxy_headers=proxy_headers,
                            forwarded_allow_ips=forwarded_allow_ips, log_level=log_level, server_header=False)
    server = uvicorn.Server(config)
    server.run(sockets=_sockets(config, open_port))


def _sockets(config: Any, open_port: int | None) -> list[socket.socket]:
    """The main socket and, when asked for, the open API's, bound on the same address."""
    main = config.bind_socket()
    if not open_port:
        return [main]
    extra = socket.socket(main.family, socket.SOCK_STREAM)
    extra.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        extra.bind((config.host, open_port))
    except OSError:
        main.close()
        extra.close()
        raise
    extra.set_inheritable(True)
    return [main, extra]


def serve_settings(settings: object, *, host: str | None = None, port: int | None = None, workers: int = 1,
                   open_port: int | None = None) -> None:
    """Entry point ``esign.web:serve`` used by ``esign serve`` (the CLI may not import this layer).

    ``workers`` > 1 runs uvicorn's multi-process mode: each worker builds its own app through the
    factory ``esign_http.app:create_app``, which reads the settings from the environment, so the
    data directory, port and database URL are exported as ``ESIGN_*`` before the workers start.
    """
    from esign_adapters.settings import Settings

    if not isinstance(settings, Settings):
        raise TypeError("serve_settings needs esign_adapters.settings.Settings")
    platform = Platform.from_settings(settings)
    _upgrade_schema(platform)
    embedded = _start_embedded_worker(platform) if settings.worker else None
    try:
        _run(platform, settings, host=host, port=port, workers=workers, open_port=open_port or settings.open_port)
    finally:
        if embedded is not None:
            embedded.stop(timeout=10)


def _start_embedded_worker(platform: Platform) -> object | None:
    """The embedded worker (``esign serve`` without ``--no-worker``): outbox delivery and the
    scheduler in threads of this process. Not started before the schema exists."""
    import logging

    from esign_core.errors import EsignError

    try:
        if not platform.schema_ready():
            return None
        from esign_adapters.outbox.worker import Worker

        worker = Worker.for_platform(platform, name="embedded-worker")
        worker.start()
        return worker
    except EsignError as exc:
        logging.getLogger("esign_http").warning("embedded worker not started: %s", exc.message)
        return None


def _run(platform: Platform, settings: object, *, host: str | None, port: int | None, workers: int,
         open_port: int | None) -> None:
    from esign_adapters.settings import Settings

    assert isinstance(settings, Settings)
    if workers <= 1:
        serve(platform, host=host, port=port, open_port=open_port)
        return
    import os

    import uvicorn

    host = host or settings.host or DEFAULT_HOST
    port = port or settings.port or DEFAULT_PORT
    if platform.engine is not None:  # no pooled connection may be shared with the forked workers
        platform.engine.dispose()
    os.environ.update(ESIGN_DATA_DIR=str(settings.data_dir), ESIGN_PORT=str(port),
                      ESIGN_DATABASE_URL=settings.database_url)
    if not open_port:
        uvicorn.run("esign_http.app:create_app", factory=True, workers=workers, host=host, port=port,
                    log_level="info", server_header=False, proxy_headers=False)
        return
    from uvicorn.supervisors import Multiprocess

    os.environ["ESIGN_OPEN_PORT"] = str(open_port)
    # proxy_headers=False: X-Forwarded-For is read by esign_http.context.client_ip, from trusted proxies only
    config = uvicorn.Config("esign_http.open_port:create_dispatching_app", factory=True, workers=workers, host=host,
                            port=port, log_level="info", server_header=False, proxy_headers=False)
    Multiprocess(config, sockets=_sockets(config, open_port)).run()


def _upgrade_schema(platform: Platform) -> None:
    """Bring the configured database to the schema of this release before serving, so that an
    upgraded installation does not look un-activated. A database that cannot be reached is left to
    the wizard and ``esign doctor`` (logged, not fatal)."""
    import logging

    from esign_core.errors import EsignError

    try:
        if not platform.schema_ready():
            platform.migrate()
    except EsignError as exc:
        logging.getLogger("esign_http").warning("database not migrated at start-up: %s", exc.message)
