"""``esign pki``: the internal CA and certificates (manual 四.3)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from esign_cli.context import load_platform
from esign_core.errors import InvalidValue
from esign_core.model.certificate import CertificateKind, SubjectType, UKey, UKeyStatus
from esign_core.services.certificates import ImportCertificate, IssueLongTermCertificate, RevokeCertificate
from esign_core.services.ukeys import ChangeUKeyStatus, RegisterUKey

_DAY = click.DateTime(formats=["%Y-%m-%d"])
_SUBJECT_TYPES = {"personal": SubjectType.PERSONAL, "enterprise": SubjectType.ENTERPRISE}


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


def _day_start(day: datetime | None) -> datetime | None:
    """A --…-after date: from 00:00 UTC that day."""
    return None if day is None else day.replace(tzinfo=UTC)


def _day_end(day: datetime | None) -> datetime | None:
    """A --…-before date, that day included: up to 00:00 UTC the next day."""
    return None if day is None else day.replace(tzinfo=UTC) + timedelta(days=1)


@pki.command("list")
@click.option("--kind", type=click.Choice([k.value.lower() for k in CertificateKind]), default=None)
@click.option("--name", default=None, help="Part of the subject name.")
@click.option("--type", "subject_type", type=click.Choice(list(_SUBJECT_TYPES)), default=None, help="Subject type.")
@click.option("--ca", "ca_name", default=None, help="Part of the CA name.")
@click.option("--from-after", type=_DAY, default=None, help="Valid from this UTC day or later (YYYY-MM-DD).")
@click.option("--from-before", type=_DAY, default=None, help="Valid from this UTC day or earlier.")
@click.option("--to-after", type=_DAY, default=None, help="Valid until this UTC day or later.")
@click.option("--to-before", type=_DAY, default=None, help="Valid until this UTC day or earlier.")
@click.option("--limit", type=click.IntRange(1, 10_000), default=100, show_default=True)
@click.pass_context
def list_cmd(
    ctx: click.Context,
    kind: str | None,
    name: str | None,
    subject_type: str | None,
    ca_name: str | None,
    from_after: datetime | None,
    from_before: datetime | None,
    to_after: datetime | None,
    to_before: datetime | None,
    limit: int,
) -> None:
    """List recorded certificates (event and long-term certificate search, manual 四.3.2/四.3.3).
    Every filter given applies; dates are whole UTC days, as the table shows them."""
    platform = load_platform(ctx)
    with platform.uow() as uow:
        found = uow.certificates.search(
            kind=CertificateKind(kind.upper()) if kind else None,
            subject_name=name,
            subject_type=_SUBJECT_TYPES[subject_type] if subject_type else None,
            ca_name=ca_name,
            not_before_from=_day_start(from_after),
            not_before_to=_day_end(from_before),
            not_after_from=_day_start(to_after),
            not_after_to=_day_end(to_before),
            limit=limit + 1,
        )
        ids = [c.id for c in found]
    _show(platform, ids[:limit])
    if len(ids) > limit:
        click.echo(f"showing the first {limit}; narrow the filters or raise --limit to see more")


@pki.command()
@click.option("--name", default=None, help="Part of the subject name.")
@click.option("--type", "subject_type", type=click.Choice(list(_SUBJECT_TYPES)), default=None, help="Subject type.")
@click.pass_context
def stats(ctx: click.Context, name: str | None, subject_type: str | None) -> None:
    """Count user certificates (event and long-term) per subject name and type (manual 四.3.1);
    "enterprise" covers internal and external enterprises alike."""
    platform = load_platform(ctx)
    with platform.uow() as uow:
        rows = uow.certificates.statistics(
            subject_name=name, subject_type=_SUBJECT_TYPES[subject_type] if subject_type else None
        )
    table = Table()
    for col in ("subject", "type", "certificates"):
        table.add_column(col)
    for subject, type_, count in rows:
        table.add_row(subject, type_.value, str(count))
    Console(width=200).print(table)
    click.echo(f"total: {sum(r[2] for r in rows)} certificate(s) of {len(rows)} subject(s)")


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


# -- UKey registry (manual 四.3.4) ---------------------------------------------------------------


@pki.group()
def ukey() -> None:
    """UKey registry: hardware tokens issued to enterprises and persons."""


@ukey.command("add")
@click.option("--serial", required=True, help="Serial number (hex) of the certificate on the token.")
@click.option("--holder", required=True, help="Who uses the token.")
@click.option("--code", required=True, help="Unified social credit code or resident ID number of the holder.")
@click.option("--device-no", required=True, help="Device number printed on the token.")
@click.option("--org-id", type=int, default=None, help="Id of the internal or external enterprise it belongs to.")
@click.pass_context
def ukey_add(ctx: click.Context, serial: str, holder: str, code: str, device_no: str, org_id: int | None) -> None:
    """Register a UKey (active)."""
    platform = load_platform(ctx)
    key_id = platform.handle(RegisterUKey(serial, holder, code, device_no, org_id))
    with platform.uow() as uow:
        _show_ukeys([uow.ukeys.get(key_id)])


@ukey.command("list")
@click.option("--serial", default=None, help="Certificate serial number (exact).")
@click.option("--status", type=click.Choice([s.value.lower() for s in UKeyStatus]), default=None)
@click.option("--holder", default=None, help="Part of the holder's name.")
@click.option("--code", default=None, help="Unified social credit code or resident ID number (exact).")
@click.option("--device-no", default=None, help="Device number (exact).")
@click.option("--limit", type=click.IntRange(1, 10_000), default=100, show_default=True)
@click.pass_context
def ukey_list(
    ctx: click.Context,
    serial: str | None,
    status: str | None,
    holder: str | None,
    code: str | None,
    device_no: str | None,
    limit: int,
) -> None:
    """Search the UKey registry; every filter given applies."""
    platform = load_platform(ctx)
    with platform.uow() as uow:
        found = list(
            uow.ukeys.search(
                serial=serial,
                status=UKeyStatus(status.upper()) if status else None,
                holder=holder,
                code=code,
                device_no=device_no,
                limit=limit + 1,
            )
        )
    _show_ukeys(found[:limit])
    if len(found) > limit:
        click.echo(f"showing the first {limit}; narrow the filters or raise --limit to see more")


@ukey.command("status")
@click.argument("device_no")
@click.argument("status", type=click.Choice([s.value.lower() for s in UKeyStatus]))
@click.option("--reason", default=None, help="Why it is revoked (kept with the record).")
@click.pass_context
def ukey_status(ctx: click.Context, device_no: str, status: str, reason: str | None) -> None:
    """Report a UKey lost, revoke it (final), or make a lost one active again."""
    platform = load_platform(ctx)
    platform.handle(ChangeUKeyStatus(device_no, UKeyStatus(status.upper()), reason))
    with platform.uow() as uow:
        key = uow.ukeys.by_device_no(device_no)
        assert key is not None  # just changed
        _show_ukeys([key])


def _show_ukeys(keys: list[UKey]) -> None:
    table = Table()
    for col in ("id", "device no", "certificate serial", "holder", "code", "status", "registered", "enterprise"):
        table.add_column(col)
    for k in keys:
        table.add_row(str(k.id), k.device_no, k.certificate_serial, k.holder, k.masked_code, k.status.value,
                      f"{k.registered_at:%Y-%m-%d}", "" if k.owner_org_id is None else str(k.owner_org_id))
    Console(width=200).print(table)
