"""The internal certificate authority: an EC P-256 root and issuing CA whose keys live sealed under
the key-encryption key in ``<data_dir>/pki`` (see keystore.py), event and long-term signer
certificates, imports, revocation with CRL and OCSP, and the internal TSA's certificate."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID

from esign_adapters.pki import profiles as p
from esign_adapters.pki.crl import CrlPublisher
from esign_adapters.pki.importer import read_key_pair
from esign_adapters.pki.keystore import PkiKeyStore
from esign_adapters.pki.ocsp_responder import OcspResponder
from esign_adapters.pki.revocation import JsonRevocationStore, RevocationStore
from esign_core.errors import AlreadyExists, ConfigurationError, InvalidValue, NotFoundError, SigningError
from esign_core.model.certificate import Certificate, CertificateKind, CertificateStatus
from esign_core.ports.signing import Credential, Subject
from esign_core.ports.system import Clock, IdGenerator, SecretBox

DEFAULT_BASE_URL = "http://127.0.0.1:9181/pki"
_DER = serialization.Encoding.DER
_SETTINGS_KEYS = {"base_url", "organization", "event_validity_minutes", "crl_validity_hours", "ocsp_validity_hours"}


@attrs.frozen
class _Loaded:
    """CA material after the first unseal, kept for the life of the process."""

    root: x509.Certificate
    root_key: ec.EllipticCurvePrivateKey = attrs.field(repr=False)
    issuing: x509.Certificate
    issuing_key: ec.EllipticCurvePrivateKey = attrs.field(repr=False)
    root_der: bytes
    issuing_der: bytes
    tag_key: bytes = attrs.field(repr=False)
    signer_extensions: tuple[x509.Extension[Any], ...]
    crl: CrlPublisher
    root_crl: CrlPublisher
    ocsp: OcspResponder


class InternalCertificateAuthority:
    """Implements the ``CertificateAuthority`` port with our own root + issuing CA.

    ``base_url`` (e.g. ``http://127.0.0.1:9181/pki``) is written into every certificate: the issuing
    CA's CRL is ``<base>/crl``, the root's ``<base>/crl/root``, OCSP ``<base>/ocsp``. Keys are
    unsealed on first use and cached in memory. Errors: ConfigurationError (not initialised, wrong
    key-encryption key, damaged files), InvalidValue (bad subject, serial, import file),
    SigningError (a certificate cannot be issued or used at that time), NotFoundError (revoking a
    serial this CA never issued).
    """

    def __init__(self, directory: Path, *, secret_box: SecretBox, clock: Clock, ids: IdGenerator,
                 base_url: str = DEFAULT_BASE_URL, organization: str = "esign",
                 event_validity: timedelta = timedelta(hours=24), backdate: timedelta = timedelta(minutes=5),
                 tsa_validity: timedelta = timedelta(days=3 * 365), crl_validity: timedelta = timedelta(days=7),
                 crl_refresh: timedelta = timedelta(minutes=10), ocsp_validity: timedelta = timedelta(days=1),
                 revocations: RevocationStore | None = None) -> None:
        self.keystore = PkiKeyStore(Path(directory), secret_box)
        self._clock, self._ids = clock, ids
        base = base_url.rstrip("/")
        if not base.startswith(("http://", "https://")):
            raise ConfigurationError("pki.base_url must be an http(s) URL", base_url=base_url)
        self.crl_url, self.root_crl_url, self.ocsp_url = f"{base}/crl", f"{base}/crl/root", f"{base}/ocsp"
        if not 1 <= len(organization.strip()) <= 40:  # "<organization> Time Stamping Authority" must fit a CN (64)
            raise ConfigurationError("pki.organization must be 1–40 characters")
        if min(event_validity, backdate, tsa_validity, crl_validity, crl_refresh, ocsp_validity) <= timedelta(0):
            raise ConfigurationError("PKI validity periods must be positive")
        self.organization = organization.strip()
        self._event_validity, self._backdate, self._tsa_validity = event_validity, backdate, tsa_validity
        self._crl_validity, self._crl_refresh, self._ocsp_validity = crl_validity, crl_refresh, ocsp_validity
        self._revocations = revocations or JsonRevocationStore(self.keystore.directory / "revocations.json")
        self._lock = threading.Lock()
        self._loaded: _Loaded | None = None

    def __repr__(self) -> str:
        return f"InternalCertificateAuthority({str(self.keystore.directory)!r})"

    @classmethod
    def from_settings(cls, pki_dir: Path, pki: Mapping[str, Any], *, default_base_url: str, secret_box: SecretBox,
                      clock: Clock, ids: IdGenerator) -> InternalCertificateAuthority:
        """From the ``[pki]`` table of esign.toml; unknown keys raise ConfigurationError."""
        unknown = set(pki) - _SETTINGS_KEYS
        if unknown:
            raise ConfigurationError(f"unknown [pki] settings: {', '.join(sorted(unknown))}")
        try:
            return cls(pki_dir, secret_box=secret_box, clock=clock, ids=ids,
                       base_url=str(pki.get("base_url", default_base_url)),
                       organization=str(pki.get("organization", "esign")),
                       event_validity=timedelta(minutes=int(pki.get("event_validity_minutes", 24 * 60))),
                       crl_validity=timedelta(hours=int(pki.get("crl_validity_hours", 7 * 24))),
                       ocsp_validity=timedelta(hours=int(pki.get("ocsp_validity_hours", 24))))
        except (TypeError, ValueError) as exc:
            raise ConfigurationError(f"invalid [pki] setting: {exc}") from None

    # -- set-up --------------------------------------------------------------------------------
    def is_initialized(self) -> bool:
        return self.keystore.has_ca()

    def init(self, *, at: datetime, root_years: int = 20, issuing_years: int = 10) -> tuple[Certificate, Certificate]:
        """Create and store the root (10–20 y) and issuing CA (5–10 y, at most the root's).
        Returns their aggregates (kind CA). Raises AlreadyExists when any CA file is present."""
        _aware(at)
        if not (10 <= root_years <= 20 and 5 <= issuing_years <= min(10, root_years)):
            raise InvalidValue("years", "root CA validity must be 10–20 years, issuing CA 5–10 years")
        with self._lock, self.keystore.init_lock():
            present = [str(f) for f in self.keystore.ca_files() if f.exists()]
            if present:
                raise AlreadyExists("the internal CA already exists; refusing to overwrite it", files=present)
            start = at - self._backdate
            root_key = ec.generate_private_key(ec.SECP256R1())
            root_name = p.ca_name(self.organization, f"{self.organization} Root CA")
            root = self._sign(root_name, root_key.public_key(), root_name, root_key, start,
                              at + timedelta(days=365 * root_years),
                              p.ca_extensions(root_key.public_key(), path_length=1, issuer=None, crl_url=None))
            issuing_key = ec.generate_private_key(ec.SECP256R1())
            issuing = self._sign(p.ca_name(self.organization, f"{self.organization} Issuing CA"),
                                 issuing_key.public_key(), root_name, root_key, start,
                                 at + timedelta(days=365 * issuing_years),
                                 p.ca_extensions(issuing_key.public_key(), path_length=0, issuer=root,
                                                 crl_url=self.root_crl_url))
            self.keystore.save_ca("root", root, root_key)
            self.keystore.save_ca("issuing", issuing, issuing_key)
        return (p.to_aggregate(root, kind=CertificateKind.CA, entity_id=self._ids.next_id()),
                p.to_aggregate(issuing, kind=CertificateKind.CA, entity_id=self._ids.next_id()))

    def _state(self) -> _Loaded:
        loaded = self._loaded
        if loaded is not None:
            return loaded
        with self._lock:
            if self._loaded is None:
                self._loaded = self._load()
            return self._loaded

    def _load(self) -> _Loaded:
        if not self.keystore.has_ca():
            raise ConfigurationError(f"the internal CA is not initialised in {self.keystore.directory}")
        root, root_key = self.keystore.load_ca("root")
        issuing, issuing_key = self.keystore.load_ca("issuing")
        if not all(isinstance(k, ec.EllipticCurvePrivateKey) for k in (root_key, issuing_key)):
            raise ConfigurationError("the internal CA keys must be EC keys")
        tag_key = p.serial_tag_key(issuing_key)

        def issue_ocsp_signer(public_key: ec.EllipticCurvePublicKey, at: datetime,
                              lifetime: timedelta) -> x509.Certificate:
            # not _issue_leaf: the state it needs is being built
            if not issuing.not_valid_before_utc <= at < issuing.not_valid_after_utc:
                raise SigningError(f"the issuing CA is not valid at {at.isoformat()}")
            start, end = p.clamp_validity(at - self._backdate, at + lifetime, issuing)
            return self._sign(p.ocsp_signer_name(self.organization), public_key, issuing.subject, issuing_key,
                              start, end, p.ocsp_signer_extensions(public_key, issuing), serial=p.new_serial(tag_key))

        exts = (
            (x509.BasicConstraints(ca=False, path_length=None), True),
            (p.signer_key_usage(), True),
            (p.SIGNER_EKU, False),
            (p.authority_key_id(issuing), False),
            (p.crl_distribution_points(self.crl_url), False),
            (p.ocsp_access(self.ocsp_url), False),
        )
        return _Loaded(
            root=root, root_key=root_key, issuing=issuing, issuing_key=issuing_key,
            root_der=root.public_bytes(_DER), issuing_der=issuing.public_bytes(_DER), tag_key=tag_key,
            signer_extensions=tuple(x509.Extension(v.oid, crit, v) for v, crit in exts),
            crl=CrlPublisher(issuer=issuing, issuer_key=issuing_key, revocations=self._revocations, clock=self._clock,
                             validity=self._crl_validity, refresh=self._crl_refresh),
            root_crl=CrlPublisher(issuer=root, issuer_key=root_key, revocations=None, clock=self._clock,
                                  validity=self._crl_validity, refresh=self._crl_refresh),
            ocsp=OcspResponder(issuer=issuing, revocations=self._revocations,
                               is_ours=lambda serial: p.is_tagged_serial(tag_key, serial), clock=self._clock,
                               validity=self._ocsp_validity, issue_signer=issue_ocsp_signer),
        )

    # -- issuing -------------------------------------------------------------------------------
    @staticmethod
    def _sign(name: x509.Name, public_key: Any, issuer_name: x509.Name, issuer_key: ec.EllipticCurvePrivateKey,
              start: datetime, end: datetime, extensions: Any, serial: int | None = None) -> x509.Certificate:
        exts = [e if isinstance(e, x509.Extension) else x509.Extension(e[0].oid, e[1], e[0]) for e in extensions]
        return x509.CertificateBuilder(
            issuer_name=issuer_name, subject_name=name, public_key=public_key,
            serial_number=serial or x509.random_serial_number(), not_valid_before=start, not_valid_after=end,
            extensions=exts,
        ).sign(issuer_key, hashes.SHA256())

    def _issue_leaf(self, st: _Loaded, name: x509.Name, public_key: Any, at: datetime, validity: timedelta,
                    extensions: tuple[Any, ...]) -> x509.Certificate:
        ca_from, ca_to = st.issuing.not_valid_before_utc, st.issuing.not_valid_after_utc
        if not ca_from <= at < ca_to:
            raise SigningError(f"the issuing CA is not valid at {at.isoformat()} "
                               f"(valid {ca_from:%Y-%m-%d} – {ca_to:%Y-%m-%d})")
        start, end = p.clamp_validity(at - self._backdate, at + validity, st.issuing)
        ski_value = x509.SubjectKeyIdentifier.from_public_key(public_key)
        ski = x509.Extension(ski_value.oid, False, ski_value)
        return self._sign(name, public_key, st.issuing.subject, st.issuing_key, start, end, (*extensions, ski),
                          serial=p.new_serial(st.tag_key))

    def issue_event_certificate(self, subject: Subject, *, at: datetime) -> Credential:
        """A fresh in-memory EC P-256 key (never written anywhere; ``key_handle`` is the cryptography
        key object) and a certificate valid from ``at`` − backdate to ``at`` + event validity.
        ``chain_der`` is (leaf, issuing CA, root). Raises InvalidValue / SigningError."""
        p.check_subject(subject)
        _aware(at)
        st = self._state()
        key = ec.generate_private_key(ec.SECP256R1())
        cert = self._issue_leaf(st, p.subject_name(subject), key.public_key(), at, self._event_validity,
                                st.signer_extensions)
        aggregate = p.to_aggregate(cert, kind=CertificateKind.EVENT, entity_id=self._ids.next_id(), subject=subject)
        return Credential(aggregate, key, (cert.public_bytes(_DER), st.issuing_der, st.root_der))

    def issue_long_term_certificate(self, subject: Subject, *, at: datetime, days: int) -> Credential:
        """Like an event certificate but valid ``days`` days, its key sealed in the key store
        (``key_ref`` = ``file:longterm/<serial>.key``). Raises InvalidValue when ``days`` is not
        positive or reaches past the issuing CA."""
        p.check_subject(subject)
        _aware(at)
        st = self._state()
        if days < 1 or at + timedelta(days=days) > st.issuing.not_valid_after_utc:
            raise InvalidValue("days", f"validity must be at least one day and end before the issuing CA expires "
                                       f"({st.issuing.not_valid_after_utc:%Y-%m-%d})")
        key = ec.generate_private_key(ec.SECP256R1())
        cert = self._issue_leaf(st, p.subject_name(subject), key.public_key(), at, timedelta(days=days),
                                st.signer_extensions)
        key_ref = self.keystore.save_entity("longterm", p.serial_hex(cert.serial_number), (cert, st.issuing, st.root),
                                            key)
        aggregate = p.to_aggregate(cert, kind=CertificateKind.LONG_TERM, entity_id=self._ids.next_id(),
                                   subject=subject, key_ref=key_ref)
        return Credential(aggregate, key, (cert.public_bytes(_DER), st.issuing_der, st.root_der))

    def import_certificate(self, data: bytes, *, password: bytes | None = None) -> Credential:
        """Import a PKCS#12 file or PEM (certificate(s) + private key, optionally encrypted); subject,
        issuer, serial, validity and key type are read from the certificate, the key is sealed
        (``key_ref`` = ``file:imported/<sha256>.key``). Raises InvalidValue (field ``password`` for a
        wrong password, ``certificate`` for an expired or not yet valid one, ``chain`` for
        shipped issuers that do not certify it)."""
        pair = read_key_pair(data, password, now=self._clock.now())
        chain = (pair.certificate, *pair.chain)
        key_ref = self.keystore.save_entity("imported", p.fingerprint(pair.certificate), chain, pair.key)
        aggregate = p.to_aggregate(pair.certificate, kind=CertificateKind.LONG_TERM, entity_id=self._ids.next_id(),
                                   key_ref=key_ref)
        return Credential(aggregate, pair.key, tuple(c.public_bytes(_DER) for c in chain))

    def load_credential(self, certificate: Certificate) -> Credential:
        """The stored key of a long-term or imported certificate. Raises InvalidValue for an event
        certificate (its key is gone), SigningError when the certificate is revoked or not valid now,
        ConfigurationError when the stored key is missing, damaged or does not match."""
        if not certificate.key_ref:
            raise InvalidValue("certificate", "this certificate has no stored key (event certificates are single-use)")
        chain, key = self.keystore.load_entity(certificate.key_ref)
        leaf = chain[0]
        if p.serial_hex(leaf.serial_number) != certificate.serial.lower() or not _same_key(key, leaf):
            raise ConfigurationError("the stored key does not belong to this certificate", serial=certificate.serial)
        self._check_usable(leaf, certificate.status)
        return Credential(certificate, key, tuple(c.public_bytes(_DER) for c in chain))

    def _check_usable(self, leaf: x509.Certificate, status: CertificateStatus = CertificateStatus.VALID) -> None:
        now = self._clock.now()
        st = self._state() if self.keystore.has_ca() else None
        ours = st is not None and leaf.issuer == st.issuing.subject
        if status is CertificateStatus.REVOKED or (ours and self._revocations.lookup(leaf.serial_number)):
            raise SigningError(f"certificate {p.serial_hex(leaf.serial_number)} is revoked")
        if not leaf.not_valid_before_utc <= now < leaf.not_valid_after_utc:
            raise SigningError(f"certificate {p.serial_hex(leaf.serial_number)} is not valid now (valid "
                               f"{leaf.not_valid_before_utc:%Y-%m-%d %H:%M} – "
                               f"{leaf.not_valid_after_utc:%Y-%m-%d %H:%M} UTC)")

    def tsa_credential(self, *, at: datetime, renew_before: timedelta = timedelta(days=30)) -> Credential:
        """The internal TSA's EC P-256 certificate (critical EKU id-kp-timeStamping) and key, issued
        by the issuing CA and kept sealed in ``service/tsa``; re-issued when missing, revoked or
        within ``renew_before`` of expiry. Hand it to ``InternalTimeStamper``."""
        _aware(at)
        st = self._state()
        with self._lock:
            if self.keystore.entity_exists("service", "tsa"):
                chain, key = self.keystore.load_entity("file:service/tsa.key")
                leaf = chain[0]
                if (leaf.not_valid_before_utc <= at < leaf.not_valid_after_utc - renew_before and _same_key(key, leaf)
                        and self._revocations.lookup(leaf.serial_number) is None):
                    return self._service_credential(leaf, key, chain)
            key = ec.generate_private_key(ec.SECP256R1())
            name = p.ca_name(self.organization, f"{self.organization} Time Stamping Authority")
            exts = (
                (p.tsa_key_usage(), True),
                (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), True),  # RFC 3161 §2.3: critical
                (p.authority_key_id(st.issuing), False),
                (p.crl_distribution_points(self.crl_url), False),
                (p.ocsp_access(self.ocsp_url), False),
            )
            leaf = self._issue_leaf(st, name, key.public_key(), at, self._tsa_validity,
                                    tuple(x509.Extension(v.oid, c, v) for v, c in exts))
            chain = (leaf, st.issuing, st.root)
            self.keystore.save_entity("service", "tsa", chain, key)
            return self._service_credential(leaf, key, chain)

    def _service_credential(self, leaf: x509.Certificate, key: PrivateKeyTypes,
                            chain: tuple[x509.Certificate, ...]) -> Credential:
        aggregate = p.to_aggregate(leaf, kind=CertificateKind.SERVICE, entity_id=self._ids.next_id(),
                                   key_ref="file:service/tsa.key")
        return Credential(aggregate, key, tuple(c.public_bytes(_DER) for c in chain))

    # -- revocation ----------------------------------------------------------------------------
    def revoke(self, serial: str, *, reason: str, at: datetime) -> None:
        """Revoke a certificate of the issuing CA. Idempotent (a second call keeps the first time
        and reason), so a retried use case does not fail. Raises InvalidValue for a malformed serial
        or ``certificateHold``, NotFoundError for a serial this CA never issued."""
        number = p.parse_serial(serial)
        _aware(at)
        if not p.is_tagged_serial(self._state().tag_key, number):
            raise NotFoundError("no certificate with this serial was issued by the internal CA", serial=serial)
        self._revocations.revoke(number, reason=reason, at=at)

    def crl(self) -> bytes:
        """The issuing CA's current DER CRL (served at ``<base>/crl``)."""
        return self._state().crl.current()

    def root_crl(self) -> bytes:
        """The root's DER CRL covering the issuing CA (served at ``<base>/crl/root``)."""
        return self._state().root_crl.current()

    def ocsp_response(self, request_der: bytes) -> bytes:
        """A DER OCSP response for a DER request (served at ``<base>/ocsp``), signed by a delegated
        responder certificate (in memory, short-lived, issued by the issuing CA); see OcspResponder."""
        return self._state().ocsp.respond(request_der)

    def ocsp_response_for(self, certificate_der: bytes) -> bytes:
        """The OCSP response for one of our certificates, without going through HTTP (for B-LT
        embedding). Raises InvalidValue when the certificate is not from the issuing CA."""
        st = self._state()
        try:
            cert = x509.load_der_x509_certificate(certificate_der)
        except ValueError:
            raise InvalidValue("certificate", "not a DER certificate") from None
        if cert.issuer != st.issuing.subject:
            raise InvalidValue("certificate", "the certificate was not issued by the internal issuing CA")
        request = ocsp.OCSPRequestBuilder().add_certificate(cert, st.issuing, hashes.SHA256()).build()
        return st.ocsp.respond(request.public_bytes(_DER))

    def trust_anchors_pem(self) -> bytes:
        """The root certificate, PEM."""
        return self._state().root.public_bytes(serialization.Encoding.PEM)

    def ca_chain_der(self) -> tuple[bytes, bytes]:
        """(issuing CA, root) DER."""
        st = self._state()
        return st.issuing_der, st.root_der


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise InvalidValue("at", "datetimes must be timezone-aware")
    return at.astimezone(UTC)


def _same_key(key: PrivateKeyTypes, cert: x509.Certificate) -> bool:
    fmt = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return key.public_key().public_bytes(*fmt) == cert.public_key().public_bytes(*fmt)
