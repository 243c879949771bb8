"""Signing and verifying a PDF outside a contract (library, CLI): screen, issue an event
certificate for the signer, sign, record the certificate. The contract use cases build on this."""

from __future__ import annotations

import attrs

from esign_core.errors import InvalidTransition, InvalidValue, NotFoundError
from esign_core.model.certificate import CertificateKind, normalize_serial
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
    signer: Subject | None = None  # sign with a fresh event certificate for this subject …
    stamps: tuple[Stamp, ...] = ()
    level: SignatureLevel = SignatureLevel.B_T
    reason: str = ""
    location: str = ""
    certificate_serial: str | None = None  # … or with this stored long-term certificate
    business_system: str = ""  # for the signing services' call-detail records (manual 五.2)
    file_subject: str = ""

    def __attrs_post_init__(self) -> None:
        if (self.signer is None) == (self.certificate_serial is None):
            raise InvalidValue("signer", "give either a signer (event certificate) or a long-term certificate")


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
    recorded only once the signature exists. With ``certificate_serial`` a stored long-term
    certificate signs instead (NotFoundError if unknown; InvalidTransition if revoked or expired)."""
    screener.screen(cmd.pdf)
    now = clock.now()
    if cmd.certificate_serial is not None:
        with uow:
            stored = uow.certificates.by_serial(normalize_serial(cmd.certificate_serial, field="certificate_serial"))
        if stored is None or stored.kind is not CertificateKind.LONG_TERM:
            raise NotFoundError("no long-term certificate with that serial", serial=cmd.certificate_serial)
        if not stored.is_valid_at(now):
            raise InvalidTransition(f"certificate {stored.serial} is {stored.status.value.lower()} or outside "
                                    "its validity", serial=stored.serial)
        credential = ca.load_credential(stored)
    else:
        assert cmd.signer is not None
        credential = ca.issue_event_certificate(cmd.signer, at=now)
    signed = signer.sign(
        cmd.pdf,
        SignRequest(credential=credential, stamps=cmd.stamps, level=cmd.level, reason=cmd.reason,
                    location=cmd.location, signer_name=credential.certificate.subject_name,
                    business_system=cmd.business_system, file_subject=cmd.file_subject),
    )
    if cmd.certificate_serial is None:
        with uow:
            uow.certificates.add(credential.certificate)
            uow.commit()
    return signed


def verify_pdf(cmd: VerifyPdf, *, screener: PdfScreener, validator: SignatureValidator) -> ValidationReport:
    """Screen, then validate every signature. A bad document is an answer (TOTAL_FAILED …), not an
    exception; only an unreadable or dangerous file raises InvalidValue."""
    screener.screen(cmd.pdf)
    return validator.validate(cmd.pdf)
