"""Signing and verifying a PDF outside a contract (library, CLI): screen, issue an event
certificate for the signer, sign, record the certificate. The contract use cases build on this."""

from __future__ import annotations

import attrs

from esign_core.ports import Clock, UnitOfWork
from esign_core.ports.signing import (
    CertificateAuthority,
    PdfScreener,
    PdfSigner,
    SignatureLevel,
    SignatureValidator,
    SignRequest,
    Stamp,
    Subject,
)
from esign_core.services.commands import Command
from esign_core.values import ValidationReport


@attrs.frozen
class SignPdf(Command):
    pdf: bytes = attrs.field(repr=False)
    signer: Subject
    stamps: tuple[Stamp, ...] = ()
    level: SignatureLevel = SignatureLevel.B_T
    reason: str = ""
    location: str = ""


@attrs.frozen
class VerifyPdf(Command):
    pdf: bytes = attrs.field(repr=False)


def sign_pdf(
    cmd: SignPdf,
    *,
    uow: UnitOfWork,
    ca: CertificateAuthority,
    signer: PdfSigner,
    screener: PdfScreener,
    clock: Clock,
) -> bytes:
    """Return the PDF with one more signature. Raises InvalidValue (field "file") for a PDF the
    screening refuses, SigningError when signing fails (keyword not found, TSA or revocation data
    unavailable). The event key exists only in memory for this call; the event certificate is
    recorded only once the signature exists."""
    screener.screen(cmd.pdf)
    credential = ca.issue_event_certificate(cmd.signer, at=clock.now())
    signed = signer.sign(
        cmd.pdf,
        SignRequest(credential=credential, stamps=cmd.stamps, level=cmd.level, reason=cmd.reason,
                    location=cmd.location, signer_name=cmd.signer.name),
    )
    with uow:
        uow.certificates.add(credential.certificate)
        uow.commit()
    return signed


def verify_pdf(cmd: VerifyPdf, *, screener: PdfScreener, validator: SignatureValidator) -> ValidationReport:
    """Screen, then validate every signature. A bad document is an answer (TOTAL_FAILED …), not an
    exception; only an unreadable or dangerous file raises InvalidValue."""
    screener.screen(cmd.pdf)
    return validator.validate(cmd.pdf)
