"""Long-term certificates: issue, import, revoke (manual 四.3). Event certificates are issued by
the signing use case, one per signature."""

from __future__ import annotations

import attrs

from esign_core.errors import AlreadyExists, NotFoundError
from esign_core.model.certificate import CertificateKind, SubjectType, normalize_serial
from esign_core.ports import Clock, UnitOfWork
from esign_core.ports.signing import CertificateAuthority, Subject
from esign_core.services.commands import Command
from esign_core.values import IdNumber, Uscc


@attrs.frozen
class IssueLongTermCertificate(Command):
    subject_name: str
    subject_type: SubjectType
    code: str = attrs.field(repr=False)  # USCC (enterprise) or resident ID number (person)
    days: int = 365 * 2


@attrs.frozen
class ImportCertificate(Command):
    data: bytes = attrs.field(repr=False)
    password: bytes | None = attrs.field(default=None, repr=False)


@attrs.frozen
class RevokeCertificate(Command):
    serial: str
    reason: str


def _subject(cmd: IssueLongTermCertificate) -> Subject:
    code = str(Uscc(cmd.code)) if cmd.subject_type is SubjectType.ENTERPRISE else str(IdNumber(cmd.code))
    return Subject(cmd.subject_name.strip(), cmd.subject_type, code)


def issue_long_term_certificate(
    cmd: IssueLongTermCertificate, *, uow: UnitOfWork, ca: CertificateAuthority, clock: Clock
) -> int:
    """Issue a long-term certificate from our CA and record it. Raises InvalidValue for a bad USCC
    or ID number. If recording fails, the sealed key file stays unreferenced and unusable."""
    subject = _subject(cmd)
    with uow:
        credential = ca.issue_long_term_certificate(subject, at=clock.now(), days=cmd.days)
        uow.certificates.add(credential.certificate)
        uow.commit()
        return credential.certificate.id


def import_certificate(cmd: ImportCertificate, *, uow: UnitOfWork, ca: CertificateAuthority) -> int:
    """Import a PKCS#12 or PEM certificate with its key; subject, issuer, serial, validity and key
    type are read from it. Raises InvalidValue (bad file, wrong password), AlreadyExists (same serial)."""
    with uow:
        credential = ca.import_certificate(cmd.data, password=cmd.password)
        if uow.certificates.by_serial(credential.certificate.serial) is not None:
            raise AlreadyExists("a certificate with this serial number is already stored", field="file",
                                serial=credential.certificate.serial)
        uow.certificates.add(credential.certificate)
        uow.commit()
        return credential.certificate.id


def revoke_certificate(cmd: RevokeCertificate, *, uow: UnitOfWork, ca: CertificateAuthority, clock: Clock) -> None:
    """Revoke at the CA first (CRL and OCSP answer "revoked" from then on), then record it; the CA
    side is idempotent, so a retry after a failed commit completes the job."""
    now = clock.now()
    serial = normalize_serial(cmd.serial)
    with uow:
        cert = uow.certificates.by_serial(serial)
        if cert is None:
            raise NotFoundError("no certificate with that serial number", serial=cmd.serial)
        try:
            ca.revoke(cert.serial, reason=cmd.reason, at=now)
        except NotFoundError:
            # An imported certificate of another CA: we cannot publish its revocation, but we
            # mark it revoked so that it is never used to sign again.
            if cert.kind is not CertificateKind.LONG_TERM:
                raise
        cert.revoke(reason=cmd.reason, at=now)
        uow.commit()
