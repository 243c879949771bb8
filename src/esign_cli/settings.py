"""``esign settings get|set``: console settings from the command line."""

from __future__ import annotations

import json

import click

from esign_cli.context import load_platform
from esign_core.model.policy import SECTIONS_BY_NAME
from esign_core.services.commands import ChangeSettings
from esign_core.services.settings import get_settings


@click.group("settings")
def settings_group() -> None:
    """Read and change console settings (sections: see `esign settings get`)."""


def _shown(values: dict[str, object]) -> dict[str, object]:
    # Uploaded images (brand_images) are shown by size, not as pages of base64.
    return {k: f"<image, {len(v) * 3 // 4} bytes>" if isinstance(v, str) and len(v) > 1000 and k.endswith(
        ("logo", "background")) else v for k, v in values.items()}


@settings_group.command("get")
@click.argument("section", required=False)
@click.pass_context
def get_cmd(ctx: click.Context, section: str | None) -> None:
    """Print one section (or all) as JSON."""
    platform = load_platform(ctx)
    names = [section] if section else list(SECTIONS_BY_NAME)
    out = {n: _shown(get_settings(n, uow=platform.uow()).to_dict()) for n in names}
    click.echo(json.dumps(out if not section else out[section], ensure_ascii=False, indent=2))


@settings_group.command("set")
@click.argument("section")
@click.argument("assignments", nargs=-1, required=True)
@click.pass_context
def set_cmd(ctx: click.Context, section: str, assignments: tuple[str, ...]) -> None:
    """Change settings: `esign settings set signing validity_days=15 allow_custom_seals=false`."""
    changes = {}
    for item in assignments:
        key, sep, value = item.partition("=")
        if not sep:
            raise click.BadParameter(f"{item!r} is not key=value")
        changes[key.strip()] = value
    updated = load_platform(ctx).handle(ChangeSettings(section, changes, actor=_cli_actor()))
    click.echo(json.dumps(updated.to_dict(), ensure_ascii=False, indent=2))


def _cli_actor() -> str:
    """Who changed a setting from the command line, for the audit: ``cli:<OS user>``."""
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


@settings_group.command("audit")
@click.option("--section", default="", help="Only this settings section (or roles / accounts).")
@click.option("--actor", default="", help="Only changes by this account (cli:<user> for the command line).")
@click.option("--since", default=None, help="From this day (YYYY-MM-DD, UTC).")
@click.option("--limit", default=50, show_default=True)
@click.pass_context
def audit_cmd(ctx: click.Context, section: str, actor: str, since: str | None, limit: int) -> None:
    """Show the audit trail of settings changes, newest first (the console's 操作日志)."""
    from datetime import UTC, datetime

    from esign_core.model.audit import AuditQuery

    start = datetime.strptime(since, "%Y-%m-%d").replace(tzinfo=UTC) if since else None
    entries = load_platform(ctx).search_audit(AuditQuery(since=start, actor=actor, section=section, limit=limit))
    for e in entries:
        changes = "; ".join(f"{k}: {v[0]} -> {v[1]}" for k, v in e.changes.items())
        click.echo(f"{e.at.isoformat(timespec='seconds')}  {e.actor}  {e.ip or '-'}  {e.section}  "
                   f"{e.summary + ' ' if e.summary else ''}{changes}")
