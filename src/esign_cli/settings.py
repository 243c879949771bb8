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


@settings_group.command("get")
@click.argument("section", required=False)
@click.pass_context
def get_cmd(ctx: click.Context, section: str | None) -> None:
    """Print one section (or all) as JSON."""
    platform = load_platform(ctx)
    names = [section] if section else list(SECTIONS_BY_NAME)
    out = {n: get_settings(n, uow=platform.uow()).to_dict() for n in names}
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
    updated = load_platform(ctx).handle(ChangeSettings(section, changes))
    click.echo(json.dumps(updated.to_dict(), ensure_ascii=False, indent=2))
