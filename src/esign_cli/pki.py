"""``esign pki``: the internal CA and certificates (manual 四.3)."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from esign_cli.context import load_platform
from esign_core.errors import InvalidValue
from esign_core.model.certificate import CertificateKind, SubjectType
from esign_core.services.certificates import ImportCertificate, IssueLongTermCertificate, RevokeCertificate


@click.group()
def pki() -> None:
    """Internal CA: set up, issue, import, list and revoke certificates."""


@pki.command("init")
@click.pass_context
def init_ca(ctx: click.Context) -> None:
    """Create the root and issuing CA (activation does this too). Refused if they exist."""
    platform = load_platform(ctx)
    root, issuing = platform.ca.init(at=platform.clock.now())
    click.echo(f"root CA:    {root.subject_name} serial {root.serial} until {root.not_after:%Y-%m-%d}")
    click.echo(f"issuing CA: {issuing.subject_name} serial {issuing.serial} until {issuing.not_after:%Y-%m-%d}")


@pki.command()
@click.option("--name", required=True, help="Person or enterprise name.")
@click.option("--type", "subject_type", type=click.Choice(["personal", "enterprise"]), required=True)
@click.option("--code", required=True, help="Resident ID number (personal) or unified social credit code.")
@click.option("--days", type=click.IntRange(1, 3650), default=730, show_default=True)
@click.pass_context
def issue(ctx: click.Context, name: str, subject_type: str, code: str, days: int) -> None:
    """Issue a long-term certificate from the internal CA."""
    platform = load_platform(ctx)
    kind = SubjectType.ENTERPRISE if subject_type == "enterprise" else SubjectType.PERSONAL
    cert_id = platform.handle(IssueLongTermCertificate(name, kind, code, days))
    _show(platform, [cert_id])


@pki.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--password", envvar="ESIGN_P12_PASSWORD", default=None, help="PKCS#12 password (or env).")
@click.pass_context
def import_cmd(ctx: click.Context, file: str, password: str | None) -> None:
    """Import a long-term certificate with its key (PKCS#12 .p12/.pfx, or PEM with the key)."""
    data = Path(file).read_bytes()
    if len(data) > 1024 * 1024:
        raise InvalidValue("file", "a certificate file is at most 1 MiB")
    platform = load_platform(ctx)
    cert_id = platform.handle(ImportCertificate(data, password.encode() if password else None))
    _show(platform, [cert_id])


@pki.command("list")
@click.option("--kind", type=click.Choice([k.value.lower() for k in CertificateKind]), default=None)
@click.option("--name", default=None, help="Part of the subject name.")
@click.pass_context
def list_cmd(ctx: click.Context, kind: str | None, name: str | None) -> None:
    """List recorded certificates."""
    platform = load_platform(ctx)
    with platform.uow() as uow:
        found = uow.certificates.search(kind=CertificateKind(kind.upper()) if kind else None, subject_name=name)
        ids = [c.id for c in found]
    _show(platform, ids)


@pki.command()
@click.argument("serial")
@click.option("--reason", required=True)
@click.pass_context
def revoke(ctx: click.Context, serial: str, reason: str) -> None:
    """Revoke a certificate: from then on CRL and OCSP say so."""
    load_platform(ctx).handle(RevokeCertificate(serial, reason))
    click.echo(f"revoked {serial}")


@pki.command()
@click.option("--out", type=click.Path(dir_okay=False), default=None, help="Write to a file instead of stdout.")
@click.pass_context
def root(ctx: click.Context, out: str | None) -> None:
    """Print the root certificate (PEM) to trust in validators, NSS or Acrobat."""
    pem = load_platform(ctx).ca.trust_anchors_pem()
    if out:
        Path(out).write_bytes(pem)
    else:
        click.echo(pem.decode(), nl=False)


def _show(platform, ids: list[int]) -> None:  # type: ignore[no-untyped-def]
    table = Table()
    for col in ("id", "kind", "subject", "serial", "issuer", "valid from", "valid to", "key", "status"):
        table.add_column(col)
    with platform.uow() as uow:
        for cid in ids:
            c = uow.certificates.get(cid)
            table.add_row(str(c.id), c.kind.value, c.subject_name, c.serial, c.ca_name, f"{c.not_before:%Y-%m-%d}",
                          f"{c.not_after:%Y-%m-%d}", c.key_type, c.status.value)
    Console(width=200).print(table)
