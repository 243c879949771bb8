"""A fake CertificateAuthority: real certificate metadata, no cryptography (core stays pure).
Its credentials cannot produce real signatures; use the adapters' CA for that."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

from esign_core.errors import InvalidTransition, InvalidValue, NotFoundError
from esign_core.model.certificate import Certificate, CertificateKind
from esign_core.ports.signing import Credential, Subject
from esign_core.ports.system import Clock, IdGenerator


class FakeCertificateAuthority:
    ISSUER = "CN=Fake Issuing CA,O=esign test,C=CN"

    def __init__(self, *, ids: IdGenerator, clock: Clock) -> None:
        self._ids = ids
        self._clock = clock
        self._serials = itertools.count(0x1000)
        self.issued: dict[str, Certificate] = {}
        self.revoked: dict[str, str] = {}

    def _issue(self, subject: Subject, kind: CertificateKind, at: datetime, validity: timedelta) -> Credential:
        serial = format(next(self._serials), "x")
        cert = Certificate(id=self._ids.next_id(), kind=kind, subject_name=subject.name,
                           subject_type=subject.subject_type, subject_code=subject.code, serial=serial,
                           issuer=self.ISSUER, ca_name="Fake Issuing CA", not_before=at - timedelta(minutes=5),
                           not_after=at + validity, key_ref=f"fake:{serial}" if kind is not CertificateKind.EVENT
                           else None)
        self.issued[serial] = cert
        return Credential(cert, key_handle=("fake-key", serial))

    def issue_event_certificate(self, subject: Subject, *, at: datetime) -> Credential:
        return self._issue(subject, CertificateKind.EVENT, at, timedelta(days=1))

    def issue_long_term_certificate(self, subject: Subject, *, at: datetime, days: int) -> Credential:
        return self._issue(subject, CertificateKind.LONG_TERM, at, timedelta(days=days))

    def import_certificate(self, data: bytes, *, password: bytes | None = None) -> Credential:
        """Accepts ``b"FAKE-CERT:<name>"``; anything else is an unreadable file."""
        if not data.startswith(b"FAKE-CERT:"):
            raise InvalidValue("file", "not a PKCS#12 or PEM certificate")
        from esign_core.model.certificate import SubjectType

        name = data.split(b":", 1)[1].decode()
        cred = self._issue(Subject(name, SubjectType.PERSONAL, ""), CertificateKind.LONG_TERM, self._clock.now(),
                           timedelta(days=365))
        self.issued.pop(cred.certificate.serial)  # imported: not ours to revoke
        return cred

    def load_credential(self, certificate: Certificate) -> Credential:
        return Credential(certificate, key_handle=("fake-key", certificate.serial))

    def revoke(self, serial: str, *, reason: str, at: datetime) -> None:
        if serial not in self.issued:
            raise NotFoundError("no certificate with this serial was issued by the fake CA", serial=serial)
        if serial in self.revoked and self.revoked[serial] != reason:
            raise InvalidTransition("already revoked")
        self.revoked[serial] = reason

    def crl(self) -> bytes:
        return b""

    def ocsp_response(self, request_der: bytes) -> bytes:
        return b""

    def trust_anchors_pem(self) -> bytes:
        return b""
