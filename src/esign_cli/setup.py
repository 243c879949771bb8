"""``esign init``: the activation wizard of manual 一.1 without a browser."""

from __future__ import annotations

from pathlib import Path

import click

from esign_cli.context import load_platform, load_settings
from esign_core.errors import InvalidValue
from esign_core.services.commands import InitializePlatform


def _read(path: str | None, field: str) -> bytes | None:
    if path is None:
        return None
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise InvalidValue(field, f"cannot read {path}: {exc.strerror}") from None


@click.command()
@click.option("--licence", "licence_code", envvar="ESIGN_LICENCE", help="Licence code from the vendor.")
@click.option("--licence-file", type=click.Path(exists=True, dir_okay=False), help="Read the licence code from a file.")
@click.option(
    "--db-type",
    type=click.Choice(["sqlite", "postgresql", "mysql"]),
    default=None,
    help="Database type (default: keep the configured one, SQLite on a fresh install).",
)
@click.option("--db-host", default="127.0.0.1", show_default=True)
@click.option("--db-port", type=int, default=None, help="Default 5432 (PostgreSQL) or 3306 (MySQL/MariaDB).")
@click.option("--db-user", default=None)
@click.option("--db-password", envvar="ESIGN_DB_PASSWORD", default="", help="Or env ESIGN_DB_PASSWORD.")
@click.option("--db-name", default=None, help="Database name; for SQLite the file path.")
@click.option("--admin-username", required=True, help="Initial system account of the console.")
@click.option(
    "--admin-password",
    envvar="ESIGN_ADMIN_PASSWORD",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="Or env ESIGN_ADMIN_PASSWORD.",
)
@click.option("--platform-name", required=True, help="Name of the platform enterprise.")
@click.option("--platform-uscc", default=None, help="Its unified social credit code (optional).")
@click.option("--platform-admin-name", required=True, help="Administrator (the initial seal administrator).")
@click.option("--platform-admin-mobile", required=True, help="The administrator's mobile number.")
@click.option(
    "--external-api/--no-external-api",
    default=True,
    show_default=True,
    help="Use the vendor's external API service (off: offline token and licence image needed).",
)
@click.option("--offline-token", type=click.Path(exists=True, dir_okay=False), help="Offline token file.")
@click.option("--licence-image", type=click.Path(exists=True, dir_okay=False), help="Business licence image (PNG).")
@click.pass_context
def init(
    ctx: click.Context,
    licence_code: str | None,
    licence_file: str | None,
    db_type: str | None,
    db_host: str,
    db_port: int | None,
    db_user: str | None,
    db_password: str,
    db_name: str | None,
    admin_username: str,
    admin_password: str,
    platform_name: str,
    platform_uscc: str | None,
    platform_admin_name: str,
    platform_admin_mobile: str,
    external_api: bool,
    offline_token: str | None,
    licence_image: str | None,
) -> None:
    """Activate the platform: licence, database, system account, platform enterprise.

    Runs once; a second run is refused. On any error nothing is initialised.
    """
    if licence_file:
        licence_code = Path(licence_file).read_text(encoding="utf-8").strip()
    if not licence_code:
        raise InvalidValue("licence", "a licence code is required (--licence or --licence-file)")
    platform = load_platform(ctx)
    if db_type is not None:
        from esign_adapters.db.engine import database_url

        if db_type == "sqlite":
            name = db_name or str(load_settings(ctx).data_dir / "esign.db")
        else:
            name = db_name or "esign"
        url = database_url(
            db_type,
            db_host,
            db_port or {"postgresql": 5432, "mysql": 3306}.get(db_type, 0),
            db_user or {"postgresql": "postgres", "mysql": "root"}.get(db_type, ""),
            db_password,
            name,
        )
        if not platform.is_initialized():  # once initialised, the init command below refuses clearly
            click.echo(f"testing and migrating the {db_type} database …")
            platform.use_database(url)
    cmd = InitializePlatform(
        product_code=platform.product_code,
        licence_code=licence_code,
        admin_username=admin_username,
        admin_password=admin_password,
        platform_name=platform_name,
        platform_admin_name=platform_admin_name,
        platform_admin_mobile=platform_admin_mobile,
        platform_uscc=platform_uscc,
        use_external_api=external_api,
    )
    result = platform.initialize(
        cmd, offline_token=_read(offline_token, "offline_token"), licence_image=_read(licence_image, "licence_image")
    )
    click.echo(
        f"initialised: product code {result.product_code}; console account {admin_username!r}; "
        f"platform enterprise {platform_name!r} (id {result.platform_org_id})"
    )
    click.echo(f"open http://{platform.settings.host}:{platform.settings.port}/console/login")
