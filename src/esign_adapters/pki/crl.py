"""CRL publication: a DER CRL signed by a CA key, rebuilt when the revocations change or when the
cached one is older than ``refresh`` (so thisUpdate stays recent for B-LT embedding)."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import attrs
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPrivateKeyTypes

from esign_adapters.pki.profiles import authority_key_id
from esign_adapters.pki.revocation import RevocationStore
from esign_core.ports.system import Clock


@attrs.frozen
class _Cached:
    der: bytes
    revision: object
    this_update: datetime


class CrlPublisher:
    """Issues the CRL of one CA. ``revocations=None`` publishes an empty CRL (the root's ARL: the
    issuing CA is the only certificate the root signs and it is never revoked here)."""

    def __init__(self, *, issuer: x509.Certificate, issuer_key: CertificateIssuerPrivateKeyTypes,
                 revocations: RevocationStore | None, clock: Clock, validity: timedelta,
                 refresh: timedelta) -> None:
        self._issuer = issuer
        self._key = issuer_key
        self._revocations = revocations
        self._clock = clock
        self._validity = validity
        self._refresh = min(refresh, validity)
        self._lock = threading.Lock()
        self._cached: _Cached | None = None

    def current(self) -> bytes:
        now = self._clock.now()
        revision = self._revocations.revision if self._revocations is not None else None
        with self._lock:
            c = self._cached
            if c is not None and c.revision == revision and c.this_update <= now < c.this_update + self._refresh:
                return c.der
            der = self._build(now)
            self._cached = _Cached(der, revision, now)
            return der

    def _build(self, now: datetime) -> bytes:
        entries = self._revocations.entries() if self._revocations is not None else []
        # CRLNumber must grow: seconds since the epoch, then the entry count breaks ties within a second
        number = int(now.timestamp()) * 1_000_000_000 + len(entries)
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self._issuer.subject)
            .last_update(now)
            .next_update(now + self._validity)
            .add_extension(authority_key_id(self._issuer), critical=False)
            .add_extension(x509.CRLNumber(number), critical=False)
        )
        for entry in entries:
            revoked = x509.RevokedCertificateBuilder().serial_number(entry.serial).revocation_date(entry.revoked_at)
            if entry.reason is not x509.ReasonFlags.unspecified:  # RFC 5280: omit rather than "unspecified"
                revoked = revoked.add_extension(x509.CRLReason(entry.reason), critical=False)
            builder = builder.add_revoked_certificate(revoked.build())
        return builder.sign(self._key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)
