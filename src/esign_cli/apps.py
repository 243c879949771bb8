"""``esign app create|list``: integration apps (集成中心 → 添加应用), the open-API credentials."""

from __future__ import annotations

import click

from esign_cli.context import load_platform
from esign_core.services.integration import CreateApp


@click.group("app")
def app_group() -> None:
    """Integration apps that call the open API (/open)."""


@app_group.command("create")
@click.argument("name")
@click.option("--tenant", "tenant_name", help="Internal enterprise the app acts for (default: the platform).")
@click.option("--member-id", type=int, help="Member who applies seals for the app (default: the admin).")
@click.option("--legacy-static-signature", is_flag=True,
              help='Accept the timestamp "0" of old clients (makes the signature replayable).')
@click.pass_context
def create(ctx: click.Context, name: str, tenant_name: str | None, member_id: int | None,
           legacy_static_signature: bool) -> None:
    """Create an app and print its AppToken and AppSecret (the secret is shown only now)."""
    credentials = load_platform(ctx).handle(CreateApp(name=name, tenant_name=tenant_name, member_id=member_id,
                                                      legacy_static_signature=legacy_static_signature))
    click.echo(f"app id:     {credentials.app_id}")
    click.echo(f"AppToken:   {credentials.app_token}")
    click.echo(f"AppSecret:  {credentials.app_secret}")
    click.echo("Keep the AppSecret now: it is stored encrypted and cannot be shown again.", err=True)


@app_group.command("list")
@click.pass_context
def list_apps(ctx: click.Context) -> None:
    """Name, token and state of every app (never the secret)."""
    with load_platform(ctx).uow() as uow:
        rows = [(str(a.id), a.name, a.app_token, "enabled" if a.enabled else "disabled") for a in uow.apps.list()]
    for row in rows:
        click.echo("\t".join(row))
