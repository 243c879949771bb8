"""``esign sync configure|run|reports``: directory sync from an OA system (集成中心 → 组织成员同步)."""

from __future__ import annotations

import click

from esign_cli.context import load_platform
from esign_core.errors import InvalidValue
from esign_core.model.org_sync import SyncReport, SyncScope, SyncStatus


@click.group("sync")
def sync_group() -> None:
    """Directory sync from an OA system (e-cology, ...)."""


def _scope(text: str) -> SyncScope:
    """``COMPANY[:DEPT,DEPT][@ORG_ID]``."""
    target = None
    if "@" in text:
        text, _, raw = text.partition("@")
        if not raw.strip().isdigit():
            raise InvalidValue("company", f"@{raw}: the target enterprise is a numeric id")
        target = int(raw)
    company, _, depts = text.partition(":")
    return SyncScope(company_id=company.strip(), department_ids=tuple(d.strip() for d in depts.split(",") if d.strip()),
                     target_org_id=target)


@sync_group.command("configure")
@click.argument("source")
@click.option("--set", "settings", multiple=True, metavar="KEY=VALUE",
              help="A connector setting, e.g. address=http://oa/services/HrmService (repeatable).")
@click.option("--company", "companies", multiple=True, metavar="ID[:DEPT,...][@ORG_ID]",
              help="An OA company to sync, optionally narrowed to departments and mapped onto one of our "
                   "enterprises (repeatable; replaces the chosen companies).")
@click.option("--member-sync/--no-member-sync", default=True, show_default=True,
              help="Make this system the (only) member-sync source.")
@click.pass_context
def configure(ctx: click.Context, source: str, settings: tuple[str, ...], companies: tuple[str, ...],
              member_sync: bool) -> None:
    """Save SOURCE's connection settings and the companies / departments to sync."""
    config = None
    if settings:
        config = {}
        for item in settings:
            key, sep, value = item.partition("=")
            if not sep:
                raise InvalidValue("set", f"{item!r}: use KEY=VALUE")
            config[key.strip()] = value.strip()
    scopes = tuple(_scope(c) for c in companies) if companies else None
    saved = load_platform(ctx).configure_org_sync(source, config, member_sync=member_sync, scopes=scopes)
    click.echo(f"{saved.source}: member sync {'on' if saved.member_sync else 'off'}, "
               f"{len(saved.scopes)} compan{'y' if len(saved.scopes) == 1 else 'ies'} chosen")


def _print(report: SyncReport) -> None:
    click.echo(f"report {report.id}: {report.source} {report.status.value} ({report.trigger}) "
               f"started {report.started_at:%Y-%m-%d %H:%M:%S} UTC"
               + (f", finished {report.finished_at:%H:%M:%S}" if report.finished_at else ""))
    for key, value in report.counts.items():
        if value:
            click.echo(f"  {key}: {value}")
    if report.message:
        click.echo(f"  stopped: {report.message}")
    for e in report.errors[:50]:
        click.echo(f"  error [{e.company_id}] {e.ref}: {e.message}")
    if report.error_count > 50:
        click.echo(f"  ... {report.error_count - 50} more error(s)")


@sync_group.command("run")
@click.option("--source", default=None, help="The system to sync (default: the member-sync source).")
@click.pass_context
def run(ctx: click.Context, source: str | None) -> None:
    """Sync now (or resume an interrupted sync); exit status 1 when it was interrupted."""
    report = load_platform(ctx).sync_directory(source, trigger="cli",
                                               progress=lambda line: click.echo(line, err=True))
    _print(report)
    if report.status is SyncStatus.INTERRUPTED:
        ctx.exit(1)


@sync_group.command("reports")
@click.option("--source", default=None)
@click.option("--limit", default=10, show_default=True)
@click.pass_context
def reports(ctx: click.Context, source: str | None, limit: int) -> None:
    """The latest sync reports, newest first."""
    with load_platform(ctx).org_sync_store() as store:
        found = store.reports(source, limit=limit)
    for report in found:
        _print(report)
