"""``esign license``: vendor side (keygen, issue) and installation side (show, install)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

from esign_cli.context import load_platform, load_settings
from esign_core.errors import InvalidValue
from esign_core.model.installation import Quotas
from esign_core.services.commands import InstallLicence
from esign_core.services.licensing import require_installation, usage


@click.group("license")
def license_group() -> None:
    """Licence codes: vendor key generation and issuing, showing and installing."""


@license_group.command()
@click.option("--out", "out_dir", type=click.Path(file_okay=False), required=True, help="Directory for the key pair.")
def keygen(out_dir: str) -> None:
    """(Vendor) make an Ed25519 key pair for signing licences."""
    from esign_adapters.licensing import generate_vendor_keys

    path = Path(out_dir)
    path.mkdir(parents=True, exist_ok=True)
    priv, pub = generate_vendor_keys(path)
    click.echo(
        f"private key: {priv} (keep it secret)\npublic key:  {pub} "
        "(installations put it at <data_dir>/licence-vendor.pub or in ESIGN_LICENCE_PUBLIC_KEY)"
    )


@license_group.command()
@click.option(
    "--key", "key_path", type=click.Path(exists=True, dir_okay=False), required=True, help="Vendor private key (PEM)."
)
@click.option("--product-code", required=True, help="The installation's product identification code.")
@click.option("--licensee", required=True, help="Customer name.")
@click.option("--days", type=click.IntRange(1, 36500), default=365, show_default=True)
@click.option(
    "--expires", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Expiry date (UTC), instead of --days."
)
@click.option("--internal-enterprises", type=click.IntRange(0), default=None, help="Quota; omit for unlimited.")
@click.option("--internal-users", type=click.IntRange(0), default=None)
@click.option("--external-enterprises", type=click.IntRange(0), default=None)
@click.option("--external-users", type=click.IntRange(0), default=None)
def issue(
    key_path: str,
    product_code: str,
    licensee: str,
    days: int,
    expires: datetime | None,
    internal_enterprises: int | None,
    internal_users: int | None,
    external_enterprises: int | None,
    external_users: int | None,
) -> None:
    """(Vendor) issue a licence code for a product code; prints the code."""
    from esign_adapters.licensing import issue_licence

    now = datetime.now(UTC)
    expires_at = expires.replace(tzinfo=UTC) if expires else now + timedelta(days=days)
    if expires_at <= now:
        raise InvalidValue("expires", "the expiry date is in the past")
    code = issue_licence(
        Path(key_path).read_bytes(),
        product_code=product_code.strip(),
        licensee=licensee,
        expires_at=expires_at,
        quotas=Quotas(internal_enterprises, internal_users, external_enterprises, external_users),
    )
    click.echo(code)


@license_group.command()
@click.pass_context
def show(ctx: click.Context) -> None:
    """Show the product code, the installed licence and quota usage."""
    from esign_adapters.licensing import product_code

    click.echo(f"product code: {product_code(load_settings(ctx).data_dir)}")
    platform = load_platform(ctx)
    if not platform.is_initialized():
        click.echo("licence: none (platform not initialised)")
        return
    with platform.uow() as uow:
        inst = require_installation(uow)
        used = usage(uow)
    lic = inst.licence
    click.echo(f"licensee: {lic.licensee}\nexpires: {lic.expires_at:%Y-%m-%d %H:%M} UTC")
    for kind, count in used.items():
        limit = lic.quotas.limit(kind)
        click.echo(f"{kind.value}: {count} / {'unlimited' if limit is None else limit}")


@license_group.command()
@click.argument("code")
@click.pass_context
def install(ctx: click.Context, code: str) -> None:
    """Install a renewed licence code."""
    load_platform(ctx).handle(InstallLicence(code))
    click.echo("licence installed")
