"""A throw-away PKI for the signing tests, built with ``cryptography``: an EC P-256 root, an issuing
CA, signer leaves with nonRepudiation, a TSA certificate and CRLs. It stands in for the CA engineer's
``esign_adapters.pki`` until that lands."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
from pyhanko_certvalidator import ValidationContext

from esign_core.model.certificate import Certificate, CertificateKind, SubjectType
from esign_core.ports.signing import Credential


def _name(cn: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "esign test"),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


@attrs.frozen
class Issued:
    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey = attrs.field(repr=False)

    @property
    def der(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.DER)

    @property
    def pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    @property
    def asn1(self) -> asn1_x509.Certificate:
        return asn1_x509.Certificate.load(self.der)

    @property
    def asn1_key(self) -> asn1_keys.PrivateKeyInfo:
        return asn1_keys.PrivateKeyInfo.load(
            self.key.private_bytes(
                serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )


def _issue(
    cn: str,
    *,
    issuer: Issued | None,
    ca: bool,
    now: datetime,
    days: float,
    eku: list[x509.ObjectIdentifier] | None = None,
    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | None = None,
) -> Issued:
    key = key or ec.generate_private_key(ec.SECP256R1())
    subject = _name(cn)
    issuer_name = issuer.cert.subject if issuer else subject
    signing_key = issuer.key if issuer else key
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(signing_key.public_key()),
            critical=False,
        )
    )
    if ca:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        builder = builder.add_extension(
            x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True
        )
    else:
        builder = builder.add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        builder = builder.add_extension(
            x509.KeyUsage(True, eku is None, False, False, False, False, False, False, False), critical=True
        )
    if eku:
        builder = builder.add_extension(x509.ExtendedKeyUsage(eku), critical=True)
    cert = builder.sign(signing_key, hashes.SHA256())
    return Issued(cert, key)


def _crl(issuer: Issued, now: datetime, revoked: tuple[Issued, ...] = (), revoked_at: datetime | None = None) -> bytes:
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer.cert.subject)
        .last_update(now - timedelta(minutes=5))
        .next_update(now + timedelta(days=7))
        .add_extension(x509.CRLNumber(1), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()), critical=False)
    )
    for r in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(r.cert.serial_number)
            .revocation_date(revoked_at or now - timedelta(minutes=1))
            .build()
        )
    return builder.sign(issuer.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


@attrs.define
class TestPki:
    """Root → issuing CA → (signer leaves, TSA)."""

    __test__ = False  # not a pytest test class

    now: datetime
    root: Issued
    issuing: Issued
    tsa: Issued

    @classmethod
    def create(cls, name: str = "esign test") -> TestPki:
        now = datetime.now(UTC)
        root = _issue(f"{name} root", issuer=None, ca=True, now=now, days=3650)
        issuing = _issue(f"{name} issuing CA", issuer=root, ca=True, now=now, days=1825)
        # pyHanko's DummyTimeStamper signs with RSA only
        tsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        tsa = _issue(
            f"{name} TSA",
            issuer=issuing,
            ca=False,
            now=now,
            days=365,
            eku=[ExtendedKeyUsageOID.TIME_STAMPING],
            key=tsa_key,
        )
        return cls(now, root, issuing, tsa)

    def leaf(self, cn: str = "张三", days: float = 1) -> Issued:
        return _issue(cn, issuer=self.issuing, ca=False, now=self.now, days=days)

    def credential(self, cn: str = "张三", leaf: Issued | None = None) -> Credential:
        leaf = leaf or self.leaf(cn)
        cert = Certificate(
            id=1,
            kind=CertificateKind.EVENT,
            subject_name=cn,
            subject_type=SubjectType.PERSONAL,
            serial=format(leaf.cert.serial_number, "x"),
            issuer=self.issuing.cert.subject.rfc4514_string(),
            ca_name="test",
            not_before=leaf.cert.not_valid_before_utc,
            not_after=leaf.cert.not_valid_after_utc,
        )
        return Credential(certificate=cert, key_handle=leaf.key, chain_der=(leaf.der, self.issuing.der, self.root.der))

    def crls(
        self, revoked: tuple[Issued, ...] = (), at: datetime | None = None, revoked_at: datetime | None = None
    ) -> list[bytes]:
        """The root's and the issuing CA's CRLs as published at ``at`` (default: the PKI's now);
        ``revoked`` certificates were revoked at ``revoked_at`` (default: a minute before)."""
        at = at or self.now
        return [_crl(self.root, at), _crl(self.issuing, at, revoked, revoked_at)]

    def timestamper(self) -> DummyTimeStamper:
        from pyhanko_certvalidator.registry import SimpleCertificateStore

        return DummyTimeStamper(
            tsa_cert=self.tsa.asn1,
            tsa_key=self.tsa.asn1_key,
            certs_to_embed=SimpleCertificateStore.from_certs([self.issuing.asn1]),
        )

    def validation_context(self, *, with_revinfo: bool = True) -> ValidationContext:
        return ValidationContext(
            trust_roots=[self.root.asn1],
            other_certs=[self.issuing.asn1],
            crls=self.crls() if with_revinfo else [],
            allow_fetching=False,
        )
