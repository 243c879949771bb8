"""``esign serve``: the console, portal and open API on one port (9181 by default)."""

from __future__ import annotations

from importlib.metadata import entry_points

import attrs
import click

from esign_cli.context import load_settings
from esign_core.errors import ConfigurationError


@click.command()
@click.option("--host", default=None, help="Listen address (default 127.0.0.1; env ESIGN_HOST).")
@click.option("--port", type=int, default=None, help="Port (default 9181, the manual's console port).")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Worker processes (more than 1 uses uvicorn's multi-process mode).")
@click.option("--no-worker", is_flag=True,
              help="Do not run the embedded outbox/scheduler worker thread (run `esign worker` instead; "
                   "env ESIGN_WORKER=0).")
@click.option("--open-port", type=click.IntRange(min=1, max=65535), default=None,
              help="Also serve the open API at the root of this port (9182 in the product we replace; "
                   "env ESIGN_OPEN_PORT, [server] open_port).")
@click.pass_context
def serve(ctx: click.Context, host: str | None, port: int | None, workers: int, no_worker: bool,
          open_port: int | None) -> None:
    """Start the platform. On first start the console shows the activation wizard. An embedded
    worker delivers the outbox and runs scheduled tasks unless --no-worker."""
    settings = load_settings(ctx)
    if no_worker:
        settings = attrs.evolve(settings, worker=False)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    # The web layer is found through its entry point, so the CLI never imports it directly.
    found = entry_points(group="esign.web", name="serve")
    if not found:
        raise ConfigurationError("the web component is not installed (entry point esign.web:serve missing)")
    run = next(iter(found)).load()
    click.echo(f"esign console: http://{host or settings.host}:{port or settings.port}/  (data: {settings.data_dir})")
    open_port = open_port or settings.open_port
    extra = {"open_port": open_port} if open_port else {}
    if open_port:
        click.echo(f"esign open API: http://{host or settings.host}:{open_port}/")
    if workers > 1:
        run(settings, host=host or settings.host, port=port or settings.port, workers=workers, **extra)
    else:
        run(settings, host=host or settings.host, port=port or settings.port, **extra)
