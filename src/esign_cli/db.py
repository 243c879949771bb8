"""``esign db``: schema migrations."""

from __future__ import annotations

import click

from esign_cli.context import load_platform


@click.group()
def db() -> None:
    """Database schema commands."""


@db.command()
@click.pass_context
def upgrade(ctx: click.Context) -> None:
    """Migrate the configured database to the latest schema (safe to repeat)."""
    from esign_adapters.db.migrate import current_revision
    from esign_adapters.db.migrate import upgrade as run_upgrade

    platform = load_platform(ctx)
    run_upgrade(platform.engine)
    click.echo(f"database schema at revision {current_revision(platform.engine)}")


@db.command()
@click.pass_context
def current(ctx: click.Context) -> None:
    """Show the schema revision of the configured database."""
    from esign_adapters.db.migrate import current_revision, needs_upgrade

    platform = load_platform(ctx)
    rev = current_revision(platform.engine)
    click.echo(f"{rev or '(empty)'}{'  (upgrade needed: esign db upgrade)' if needs_upgrade(platform.engine) else ''}")


@db.command("rebuild-statistics")
@click.pass_context
def rebuild_statistics(ctx: click.Context) -> None:
    """Recompute the 签署统计 pre-aggregates from the stored contracts (after contracts were
    changed outside esign, e.g. a partial restore). Safe to repeat; one transaction."""
    import sqlalchemy as sa

    from esign_adapters.db import tables as t
    from esign_adapters.db.statistics_cube import rebuild

    platform = load_platform(ctx)
    with platform.engine.begin() as conn:
        rebuild(conn)
        days = conn.execute(sa.select(sa.func.count()).select_from(t.contract_stats_daily)).scalar_one()
        months = conn.execute(sa.select(sa.func.count()).select_from(t.contract_stats_monthly)).scalar_one()
    click.echo(f"signing statistics rebuilt: {days} day rows, {months} month rows")
