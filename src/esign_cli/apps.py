"""``esign app create|list|show|reset-secret|enable|disable|set``: integration apps (集成中心 →
应用接入), the open-API credentials and what each app may do."""

from __future__ import annotations

import click

from esign_cli.context import load_platform
from esign_core.model.integration import AuthScheme, SealScope
from esign_core.services.integration import AppCredentials, ChangeApp, CreateApp, ResetAppSecret

_SCHEMES = {"qys": AuthScheme.QYS_MD5, "hmac": AuthScheme.HMAC_SHA256}


@click.group("app")
def app_group() -> None:
    """Integration apps that call the open API (/open)."""


def _print_credentials(credentials: AppCredentials) -> None:
    click.echo(f"app id:     {credentials.app_id}")
    click.echo(f"AppToken:   {credentials.app_token}")
    click.echo(f"AppSecret:  {credentials.app_secret}")
    click.echo("Keep the AppSecret now: it is stored encrypted and cannot be shown again.", err=True)


@app_group.command("create")
@click.argument("name")
@click.option("--tenant", "tenant_name", help="Internal enterprise the app acts for (default: the platform).")
@click.option("--member-id", type=int, help="Member who applies seals for the app (default: the admin).")
@click.option("--legacy-static-signature", is_flag=True,
              help='Accept the timestamp "0" of old clients (makes the signature replayable).')
@click.pass_context
def create(ctx: click.Context, name: str, tenant_name: str | None, member_id: int | None,
           legacy_static_signature: bool) -> None:
    """Create an app (NAME: at most 30 characters) and print its AppToken and AppSecret (the
    secret is shown only now)."""
    _print_credentials(load_platform(ctx).handle(CreateApp(name=name, tenant_name=tenant_name, member_id=member_id,
                                                           legacy_static_signature=legacy_static_signature)))


@app_group.command("list")
@click.pass_context
def list_apps(ctx: click.Context) -> None:
    """Name, token and state of every app (never the secret)."""
    with load_platform(ctx).uow() as uow:
        rows = [(str(a.id), a.name, a.app_token, "enabled" if a.enabled else "disabled") for a in uow.apps.list()]
    for row in rows:
        click.echo("\t".join(row))


@app_group.command("show")
@click.argument("app_id", type=int)
@click.pass_context
def show(ctx: click.Context, app_id: int) -> None:
    """Everything about one app but its secret."""
    with load_platform(ctx).uow() as uow:
        a = uow.apps.get(app_id)
    seals = "all internal seals" if a.seal_scope is SealScope.ALL_INTERNAL else \
        ("custom: " + (", ".join(str(i) for i in sorted(a.callable_seal_ids)) or "none"))
    for label, value in (("name", a.name), ("AppToken", a.app_token), ("AppSecret", "****** (hidden)"),
                         ("state", "enabled" if a.enabled else "disabled"),
                         ("schemes", ", ".join(k for k, v in _SCHEMES.items() if v in a.accepted_schemes)),
                         ("legacy x-qys", "on" if a.legacy_static_signature else "off"),
                         ("personal auth", a.personal_auth_url or "off"),
                         ("enterprise auth", a.enterprise_auth_url or "off"), ("callable seals", seals),
                         ("IP allow", ", ".join(a.ip_allow) or "(any)"), ("IP deny", ", ".join(a.ip_deny) or "(none)"),
                         ("single sign-on", "on" if a.sso_enabled else "off")):
        click.echo(f"{label + ':':17}{value}")


@app_group.command("reset-secret")
@click.argument("app_id", type=int)
@click.pass_context
def reset_secret(ctx: click.Context, app_id: int) -> None:
    """A new AppSecret (printed once); the old one stops working at once."""
    _print_credentials(load_platform(ctx).handle(ResetAppSecret(app_id=app_id)))


@app_group.command("enable")
@click.argument("app_id", type=int)
@click.pass_context
def enable(ctx: click.Context, app_id: int) -> None:
    load_platform(ctx).handle(ChangeApp(app_id=app_id, enabled=True))
    click.echo("enabled")


@app_group.command("disable")
@click.argument("app_id", type=int)
@click.pass_context
def disable(ctx: click.Context, app_id: int) -> None:
    """Refuse every further request of the app."""
    load_platform(ctx).handle(ChangeApp(app_id=app_id, enabled=False))
    click.echo("disabled")


@app_group.command("set")
@click.argument("app_id", type=int)
@click.option("--name", help="New name (at most 30 characters).")
@click.option("--schemes", help="Accepted request signatures: qys, hmac or qys,hmac.")
@click.option("--legacy/--no-legacy", default=None,
              help="x-qys-* without time window and replay check (old clients only).")
@click.option("--personal-auth-url", help="外部个人认证 address ('' switches it off).")
@click.option("--enterprise-auth-url", help="外部法人单位认证 address ('' switches it off).")
@click.option("--all-seals", is_flag=True, default=False, help="May call every internal seal.")
@click.option("--seal", "seal_ids", type=int, multiple=True, help="May call only these seals (repeat).")
@click.option("--allow", "ip_allow", help="IP allow list: addresses/CIDRs, comma-separated ('' clears it).")
@click.option("--deny", "ip_deny", help="IP deny list: addresses/CIDRs, comma-separated ('' clears it).")
@click.option("--sso/--no-sso", default=None, help="May issue single-sign-on tickets for the portal.")
@click.pass_context
def set_app(ctx: click.Context, app_id: int, name: str | None, schemes: str | None, legacy: bool | None,
            personal_auth_url: str | None, enterprise_auth_url: str | None, all_seals: bool,
            seal_ids: tuple[int, ...], ip_allow: str | None, ip_deny: str | None, sso: bool | None) -> None:
    """Change an app; options not given stay as they are."""
    chosen = None
    if schemes is not None:
        names = [s.strip().lower() for s in schemes.split(",") if s.strip()]
        unknown = [n for n in names if n not in _SCHEMES]
        if unknown:
            raise click.BadParameter(f"unknown scheme(s) {', '.join(unknown)}; use qys and/or hmac",
                                     param_hint="--schemes")
        chosen = frozenset(_SCHEMES[n] for n in names)
    scope = SealScope.ALL_INTERNAL if all_seals else (SealScope.CUSTOM if seal_ids else None)

    def split(value: str | None) -> list[str] | None:
        return None if value is None else [v.strip() for v in value.split(",") if v.strip()]

    load_platform(ctx).handle(ChangeApp(
        app_id=app_id, name=name, schemes=chosen, legacy_static_signature=legacy,
        personal_auth_url=personal_auth_url, enterprise_auth_url=enterprise_auth_url, seal_scope=scope,
        seal_ids=list(seal_ids) if seal_ids else None, ip_allow=split(ip_allow), ip_deny=split(ip_deny),
        sso_enabled=sso))
    click.echo("saved")
