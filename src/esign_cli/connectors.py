"""``esign connectors list|show|configure|test``: the connector catalogue of 集成中心 → 连接器 and
the DingTalk / WeCom settings (docs/integrations-im.md)."""

from __future__ import annotations

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from esign_adapters import connectors_admin as admin
from esign_adapters.storage_admin import parse_assignments
from esign_cli.context import load_platform

out = Console(highlight=False, soft_wrap=True)


@click.group("connectors")
def connectors_group() -> None:
    """Business-system connectors: what each offers and implements; DingTalk / WeCom settings."""


@connectors_group.command("list")
def list_connectors() -> None:
    """Every connector with its status and, per capability, what is and is not done."""
    table = Table("code", "name", "status", "capabilities")
    for c in admin.catalogue():
        caps = "\n".join(f"{s.capability.value}: {s.status.value}" + (f" — {s.note}" if s.note else "")
                         for s in c.capabilities)
        table.add_row(c.code, c.name, c.status.value, escape(caps))
    out.print(table)


@connectors_group.command("show")
@click.argument("code")
@click.pass_context
def show(ctx: click.Context, code: str) -> None:
    """A connector's saved settings (secrets masked)."""
    platform = load_platform(ctx)
    admin.form_fields(code)
    config = admin.masked_config(platform, code)
    if not config:
        out.print(f"{code}: not configured")
    for key, value in config.items():
        out.print(f"{escape(key)} = {escape(value)}")


@connectors_group.command("configure")
@click.argument("code")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE", help="A setting (repeatable), e.g. corp_id=…")
@click.pass_context
def configure(ctx: click.Context, code: str, sets: tuple[str, ...]) -> None:
    """Save CODE's settings (checked, secret sealed); a secret left out is kept."""
    platform = load_platform(ctx)
    admin.save(platform, code, parse_assignments(sets))
    out.print(f"{code}: saved")


@connectors_group.command("test")
@click.argument("code")
@click.pass_context
def test(ctx: click.Context, code: str) -> None:
    """Connect with the saved settings: the corp's name and the departments the app sees."""
    check = admin.check_connection(load_platform(ctx), code)
    out.print(f"{code}: connected to {escape(check.company)}, {check.departments} department(s)")
    if check.contacts_withheld:
        out.print(f"warning: of the first {check.sampled} people, {check.without_mobile} have no mobile number and "
                  f"{check.without_email} no e-mail address (missing permission?)")
