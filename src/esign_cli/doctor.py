"""``esign doctor``: check database, storage, fonts, configuration; say what is wrong and how to fix it."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import attrs
import click
from rich.console import Console
from rich.table import Table

from esign_adapters.settings import Settings
from esign_cli.context import load_settings
from esign_core.errors import EsignError


@attrs.frozen
class Check:
    name: str
    status: str  # OK / WARN / FAIL
    detail: str
    fix: str = ""


def _check_config(s: Settings) -> Check:
    cfg = s.data_dir / "esign.toml"
    if not s.data_dir.exists():
        return Check(
            "config", "FAIL", f"data directory {s.data_dir} does not exist", "run `esign serve` once or create it"
        )
    where = str(cfg) if cfg.exists() else "defaults (no esign.toml yet)"
    return Check("config", "OK", f"data dir {s.data_dir}; config from {where}")


def _check_keys(s: Settings) -> Check:
    try:
        s.key_encryption_key()
    except EsignError as exc:
        return Check("secrets", "FAIL", exc.message, "set ESIGN_KEK to 32 random bytes, base64-encoded")
    kek = s.data_dir / "kek.key"
    if kek.exists() and kek.stat().st_mode & 0o077:
        return Check("secrets", "WARN", f"{kek} is readable by other users", f"chmod 600 {kek}")
    return Check("secrets", "OK", "key-encryption key available")


def _check_licence_key(s: Settings) -> Check:
    if not s.licence_public_key:
        return Check(
            "licence key",
            "WARN",
            "no vendor public key configured; licences cannot be verified",
            f"copy the vendor's public key to {s.data_dir / 'licence-vendor.pub'} or set ESIGN_LICENCE_PUBLIC_KEY",
        )
    from esign_adapters.licensing import load_public_key

    try:
        load_public_key(s.licence_public_key)
    except EsignError as exc:
        return Check("licence key", "FAIL", exc.message, "replace it with the vendor's Ed25519 public key (PEM)")
    return Check("licence key", "OK", "vendor public key loaded")


def _check_database(s: Settings) -> list[Check]:
    from esign_adapters.bootstrap import Platform
    from esign_adapters.db.engine import check_connection
    from esign_adapters.db.migrate import needs_upgrade
    from esign_adapters.settings import mask_url

    masked = mask_url(s.database_url)
    try:
        check_connection(s.database_url)
    except EsignError as exc:
        return [
            Check(
                "database",
                "FAIL",
                f"{masked}: {exc.message}",
                "check host, port, user, password and database name in esign.toml / ESIGN_DATABASE_URL",
            )
        ]
    out = [Check("database", "OK", f"connected to {masked}")]
    platform = Platform.from_settings(s)
    try:
        if needs_upgrade(platform.engine):
            out.append(Check("schema", "FAIL", "schema is not up to date", "run `esign db upgrade`"))
            return out
        out.append(Check("schema", "OK", "schema up to date"))
        if not platform.is_initialized():
            out.append(
                Check("activation", "WARN", "platform not initialised", "open the console wizard or run `esign init`")
            )
        else:
            from esign_core.services.licensing import require_installation

            with platform.uow() as uow:
                inst = require_installation(uow)
            now = platform.clock.now()
            if inst.licence.expires_at <= now:
                out.append(
                    Check(
                        "licence",
                        "FAIL",
                        f"licence expired {inst.licence.expires_at:%Y-%m-%d}",
                        "ask the vendor for a renewal and run `esign license install CODE`",
                    )
                )
            else:
                days = (inst.licence.expires_at - now).days
                out.append(
                    Check(
                        "licence",
                        "WARN" if days < 30 else "OK",
                        f"licence valid until {inst.licence.expires_at:%Y-%m-%d} ({days} days)",
                        "renew soon" if days < 30 else "",
                    )
                )
            if inst.product_code != platform.product_code:
                out.append(
                    Check(
                        "product code",
                        "FAIL",
                        f"database belongs to {inst.product_code}, this node is {platform.product_code}",
                        "share <data_dir>/installation.id (or ESIGN_INSTALLATION_ID) across nodes",
                    )
                )
    finally:
        if platform.engine is not None:
            platform.engine.dispose()
    return out


def _check_storage(s: Settings) -> Check:
    """The configured backend's write / read back / delete probe once activated; before that, the
    default local directory."""
    from esign_adapters.bootstrap import Platform

    try:
        platform = Platform.from_settings(s)
        configured = platform.schema_ready() and platform.is_initialized()
    except EsignError:
        configured = False
    if configured:
        backend = platform.storage_settings().backend
        steps = platform.blob_store.check()
        failed = [f"{step}: {detail}" for step, ok, detail in steps if not ok]
        if failed:
            return Check("storage", "FAIL", f"{backend}: " + "; ".join(failed),
                         "check the storage settings (`esign storage show`, `esign storage test`)")
        note = " (local storage is for testing only)" if backend == "local" else ""
        return Check("storage", "WARN" if note else "OK", f"{backend}: write, read back and delete passed{note}",
                     "configure a durable backend: `esign storage migrate --to …`" if note else "")
    root = s.files_dir
    try:
        root.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=root, prefix=".doctor-", delete=False) as fh:
            fh.write(b"probe")
            fh.flush()
            os.fsync(fh.fileno())
            name = fh.name
        ok = Path(name).read_bytes() == b"probe"
        Path(name).unlink()
    except OSError as exc:
        return Check(
            "storage", "FAIL", f"cannot write to {root}: {exc.strerror}", f"make {root} writable by the service user"
        )
    if not ok:
        return Check("storage", "FAIL", f"read-back mismatch in {root}", "check the disk")
    free = shutil.disk_usage(root).free // (1024 * 1024)
    if free < 1024:
        return Check("storage", "WARN", f"local storage {root}: only {free} MiB free", "free disk space")
    return Check("storage", "OK", f"local storage {root} writable ({free} MiB free; local storage is for testing only)")


def _check_fonts(s: Settings) -> Check:
    try:
        import esign_adapters.fonts as fonts  # arrives with the signing engine
    except ImportError:
        fonts = None
    if fonts is not None and fonts.cjk_font_path().exists():
        return Check("fonts", "OK", f"bundled CJK font {fonts.cjk_font_path().name}")
    if shutil.which("fc-list"):
        import subprocess

        out = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True, timeout=10).stdout  # noqa: S603,S607
        if out.strip():
            return Check("fonts", "OK", "system CJK fonts available")
    return Check(
        "fonts",
        "WARN",
        "no CJK font found: Chinese seal text and previews need one",
        "apt-get install fonts-noto-cjk (a bundled font arrives with the signing engine)",
    )


@click.command()
@click.pass_context
def doctor(ctx: click.Context) -> None:
    """Check the installation; exit status 1 if anything FAILs."""
    settings = load_settings(ctx)
    checks: list[Check] = []
    steps: list[Callable[[Settings], Check | list[Check]]] = [
        _check_config,
        _check_keys,
        _check_licence_key,
        _check_database,
        _check_storage,
        _check_fonts,
    ]
    for step in steps:
        try:
            got = step(settings)
        except EsignError as exc:
            got = Check(step.__name__.removeprefix("_check_"), "FAIL", exc.message)
        checks.extend(got if isinstance(got, list) else [got])
    table = Table(title="esign doctor")
    for col in ("check", "status", "detail", "how to fix"):
        table.add_column(col)
    colours = {"OK": "green", "WARN": "yellow", "FAIL": "red"}
    for c in checks:
        table.add_row(c.name, f"[{colours[c.status]}]{c.status}[/]", c.detail, c.fix)
    Console(width=160).print(table)
    if any(c.status == "FAIL" for c in checks):
        ctx.exit(1)
