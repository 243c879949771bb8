"""``esign seal make``, ``esign sign`` and ``esign verify``."""

from __future__ import annotations

import json
import re
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from esign_cli.context import load_platform
from esign_core.errors import InvalidValue
from esign_core.model.certificate import SubjectType, normalize_serial
from esign_core.model.contract import StamperType
from esign_core.ports.signing import SealDesign, SealStyle, SignatureLevel, Stamp, Subject
from esign_core.services.signing import SignPdf, VerifyPdf
from esign_core.values import Indication, KeywordPosition, PagePosition

_STYLES = {"company": SealStyle.COMPANY_ROUND, "oval": SealStyle.COMPANY_OVAL,
           "lp": SealStyle.LEGAL_PERSON_SQUARE, "personal": SealStyle.PERSONAL_SIGNATURE}
_DEFAULT_SIZE = {"company": (42, 42), "oval": (40, 30), "lp": (22, 22), "personal": (40, 15)}
MAX_PDF = 100 * 1024 * 1024


@click.group()
def seal() -> None:
    """Seal images."""


@seal.command()
@click.option("--style", type=click.Choice(list(_STYLES)), required=True)
@click.option("--text", required=True, help="Enterprise name along the arc, or the person's name.")
@click.option("--type-text", default="", help="Seal type below the star, e.g. 合同专用章.")
@click.option("--code", default="", help="Code along the lower arc (optional).")
@click.option("--size", default=None, help="Millimetres, e.g. 42 or 40x30.")
@click.option("--handwriting/--standard", default=False, help="Personal signatures: handwriting-style font.")
@click.option("--dpi", type=click.IntRange(72, 1200), default=300, show_default=True)
@click.option("--out", type=click.Path(dir_okay=False), required=True)
@click.pass_context
def make(ctx: click.Context, style: str, text: str, type_text: str, code: str, size: str | None, handwriting: bool,
         dpi: int, out: str) -> None:
    """Draw a seal or signature image (PNG with a transparent background)."""
    w, h = _size(size) if size else _DEFAULT_SIZE[style]
    design = SealDesign(_STYLES[style], text, type_text, code, w, h, handwriting)
    Path(out).write_bytes(load_platform(ctx).seal_renderer.render(design, dpi=dpi))
    click.echo(f"wrote {out} ({w}x{h} mm at {dpi} dpi)")


def _size(text: str) -> tuple[float, float]:
    m = re.fullmatch(r"(\d+(?:\.\d+)?)(?:x(\d+(?:\.\d+)?))?", text.strip())
    if not m:
        raise InvalidValue("size", "size is millimetres: 42 or 40x30")
    w = float(m.group(1))
    return w, float(m.group(2) or w)


def parse_stamper(spec: str) -> tuple[StamperType, PagePosition | KeywordPosition | None]:
    """``TYPE[@page=N,x=F,y=F | @keyword=TEXT,index=N,x=F,y=F]``; TYPE is SEAL_CORPORATE,
    SEAL_PERSONAL, TIMESTAMP or ACROSS_PAGE (also: company, personal, lp, timestamp, across)."""
    aliases = {"company": "SEAL_CORPORATE", "lp": "SEAL_CORPORATE", "personal": "SEAL_PERSONAL",
               "timestamp": "TIMESTAMP", "across": "ACROSS_PAGE"}
    head, _, rest = spec.partition("@")
    try:
        kind = StamperType(aliases.get(head.strip().lower(), head.strip().upper()))
    except ValueError:
        raise InvalidValue("stamper", f"unknown stamper type {head!r}") from None
    params: dict[str, str] = {}
    for part in filter(None, rest.split(",")):
        key, sep, value = part.partition("=")
        if not sep:
            raise InvalidValue("stamper", f"{part!r} is not key=value")
        params[key.strip().lower()] = value.strip()
    try:
        x, y = float(params.get("x", 0)), float(params.get("y", 0))
        if "keyword" in params:
            return kind, KeywordPosition(params["keyword"], int(params.get("index", 1)), x, y)
        if "page" in params:
            return kind, PagePosition(int(params["page"]), x, y)
    except ValueError as exc:
        raise InvalidValue("stamper", f"bad number in {spec!r}: {exc}") from None
    if kind is StamperType.ACROSS_PAGE:
        return kind, (PagePosition(1, 0, y) if "y" in params else None)
    raise InvalidValue("stamper", f"{spec!r} needs @page=N,x=F,y=F or @keyword=TEXT")


@click.command()
@click.argument("src", type=click.Path(exists=True, dir_okay=False))
@click.argument("dst", type=click.Path(dir_okay=False))
@click.option("--stamper", "stampers", multiple=True, required=True,
              help="Where: TYPE@page=1,x=0.6,y=0.1 or TYPE@keyword=甲方,index=1 or ACROSS_PAGE. Repeatable.")
@click.option("--name", default=None, help="Signer: person or enterprise name (event certificate).")
@click.option("--type", "subject_type", type=click.Choice(["personal", "enterprise"]), default=None)
@click.option("--code", default=None, help="Resident ID number or unified social credit code.")
@click.option("--certificate", "serial", default=None,
              help="Sign with this stored long-term certificate instead of an event certificate.")
@click.option("--seal", "seal_file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Seal/signature PNG; default: drawn from the signer's name.")
@click.option("--seal-size", default=None, help="Millimetres, e.g. 42 or 40x15 (default by stamper type).")
@click.option("--level", type=click.Choice([lv.value for lv in SignatureLevel]), default="B-T", show_default=True)
@click.option("--reason", default="")
@click.pass_context
def sign(ctx: click.Context, src: str, dst: str, stampers: tuple[str, ...], name: str | None,
         subject_type: str | None, code: str | None, serial: str | None, seal_file: str | None,
         seal_size: str | None, level: str, reason: str) -> None:
    """Sign SRC into DST: one signature carrying every stamper, with a fresh event certificate for
    --name/--type/--code, or with the long-term certificate --certificate SERIAL."""
    from esign_core.values import IdNumber, Uscc

    data = Path(src).read_bytes()
    if len(data) > MAX_PDF:
        raise InvalidValue("file", "the PDF is larger than 100 MiB")
    platform = load_platform(ctx)
    subject: Subject | None = None
    if serial:
        if name or subject_type or code:
            raise InvalidValue("certificate", "--certificate replaces --name/--type/--code; give one or the other")
        with platform.uow() as uow:
            stored = uow.certificates.by_serial(normalize_serial(serial, field="certificate"))
        if stored is None:
            raise InvalidValue("certificate", f"no certificate with serial {serial}")
        name, enterprise = stored.subject_name, stored.subject_type is SubjectType.ENTERPRISE
    else:
        if not (name and subject_type and code):
            raise InvalidValue("name", "give --name, --type and --code (or --certificate SERIAL)")
        enterprise = subject_type == "enterprise"
        code = str(Uscc(code)) if enterprise else str(IdNumber(code))
        subject = Subject(name, SubjectType.ENTERPRISE if enterprise else SubjectType.PERSONAL, code)
    stamps = []
    for spec in stampers:
        kind, position = parse_stamper(spec)
        style = "personal" if kind is StamperType.SEAL_PERSONAL else ("company" if enterprise else "personal")
        w, h = _size(seal_size) if seal_size else _DEFAULT_SIZE[style]
        if kind is StamperType.TIMESTAMP:
            image = b""
        elif seal_file:
            image = platform.seal_renderer.normalise_upload(Path(seal_file).read_bytes())
        else:
            image = platform.seal_renderer.render(SealDesign(_STYLES[style], name, width_mm=w, height_mm=h))
        stamps.append(Stamp(kind, image, position, w, h))
    out = platform.handle(SignPdf(data, subject, tuple(stamps), SignatureLevel(level), reason=reason,
                                  certificate_serial=serial))
    Path(dst).write_bytes(out)
    click.echo(f"signed {dst} ({len(out)} bytes, {level})")


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable report.")
@click.pass_context
def verify(ctx: click.Context, file: str, as_json: bool) -> None:
    """Validate every signature; exit 0 only when all are TOTAL_PASSED."""
    report = load_platform(ctx).handle(VerifyPdf(Path(file).read_bytes()))
    rows = [{"field": s.field_name, "indication": s.indication.value, "sub_indication": s.sub_indication,
             "signer": s.signer, "signing_time": s.signing_time, "timestamp": s.timestamp_time,
             "revision": s.covered_revision, "modification_level": s.modification_level} for s in report.signatures]
    if as_json:
        click.echo(json.dumps({"indication": report.indication.value, "signatures": rows}, ensure_ascii=False,
                              indent=2))
    else:
        table = Table(title=f"{file}: {report.indication.value}")
        for col in ("field", "indication", "sub_indication", "signer", "signing_time", "timestamp", "revision",
                    "modification_level"):
            table.add_column(col)
        for r in rows:
            table.add_row(*("" if v is None else str(v) for v in r.values()))
        Console(width=200).print(table)
    ctx.exit(0 if report.indication is Indication.TOTAL_PASSED else 1)
