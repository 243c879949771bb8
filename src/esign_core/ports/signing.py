"""Ports of the signing engine: certificate authority, time-stamping, seal rendering, PDF
screening, signing and validation. Adapters live in ``esign_adapters.pki``, ``.seals`` and
``.signing``; they raise :class:`~esign_core.errors.SigningError` (or ``InvalidDocument``) and never
leak vendor exceptions."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any, Protocol

import attrs

from esign_core.model.certificate import Certificate, SubjectType
from esign_core.model.contract import StamperType
from esign_core.values import KeywordPosition, PagePosition, ValidationReport, mask_id_number


class SignatureLevel(enum.Enum):
    """PAdES baseline levels (ETSI EN 319 142-1)."""

    B_B = "B-B"
    B_T = "B-T"
    B_LT = "B-LT"
    B_LTA = "B-LTA"


@attrs.frozen(repr=False)
class Subject:
    """Who a certificate is for: a person (name + resident ID number) or an enterprise
    (name + unified social credit code)."""

    name: str
    subject_type: SubjectType
    code: str

    def __repr__(self) -> str:
        return f"Subject({self.name!r}, {self.subject_type.value}, {mask_id_number(self.code)!r})"


@attrs.frozen
class Credential:
    """A certificate plus an opaque handle to its private key, usable by the PdfSigner that came
    with the same CertificateAuthority. Event credentials are discarded after one signature."""

    certificate: Certificate
    key_handle: Any = attrs.field(repr=False)
    chain_der: tuple[bytes, ...] = attrs.field(repr=False, default=())  # leaf first, root last


class CertificateAuthority(Protocol):
    def issue_event_certificate(self, subject: Subject, *, at: datetime) -> Credential:
        """A fresh EC P-256 key and a short-lived certificate for one signing."""

    def issue_long_term_certificate(self, subject: Subject, *, at: datetime, days: int) -> Credential: ...

    def import_certificate(self, data: bytes, *, password: bytes | None = None) -> Credential:
        """From PKCS#12 (with key) or PEM (certificate and key); fields read from the certificate."""

    def load_credential(self, certificate: Certificate) -> Credential:
        """A stored long-term certificate with its (unsealed) key, for repeated signing."""

    def revoke(self, serial: str, *, reason: str, at: datetime) -> None: ...

    def crl(self) -> bytes:
        """The current DER CRL of the issuing CA."""

    def ocsp_response(self, request_der: bytes) -> bytes:
        """A DER OCSP response for a DER OCSP request."""

    def trust_anchors_pem(self) -> bytes:
        """Root certificate(s) to import into a validator / Acrobat / NSS."""


class TimeStamper(Protocol):
    def timestamp(self, message_imprint: bytes, *, hash_algorithm: str = "sha256") -> bytes:
        """A DER RFC 3161 TimeStampToken over ``message_imprint`` (the digest itself, made with
        ``hash_algorithm``). Raises SigningError when the TSA is unavailable."""


class SealStyle(enum.Enum):
    COMPANY_ROUND = "COMPANY_ROUND"
    COMPANY_OVAL = "COMPANY_OVAL"
    LEGAL_PERSON_SQUARE = "LEGAL_PERSON_SQUARE"
    PERSONAL_SIGNATURE = "PERSONAL_SIGNATURE"


@attrs.frozen
class SealDesign:
    style: SealStyle
    text: str  # enterprise name along the arc, or the person's name
    seal_type_text: str = ""  # 合同专用章 …
    code: str = ""  # optional code along the bottom (e.g. 13-digit anti-forgery code)
    width_mm: float = 42.0
    height_mm: float = 42.0
    handwriting: bool = False


class SealRenderer(Protocol):
    def render(self, design: SealDesign, *, dpi: int = 300) -> bytes:
        """A PNG with a transparent background."""

    def normalise_upload(self, image: bytes) -> bytes:
        """Validate an uploaded seal/signature image and return a PNG with transparent background.
        Raises InvalidValue for a non-image, a bomb or an oversized image."""


@attrs.frozen
class PdfInfo:
    pages: int
    size: int
    encrypted: bool = False
    signature_count: int = 0


class PdfScreener(Protocol):
    def screen(self, pdf: bytes) -> PdfInfo:
        """Parse in a separate process with time and memory limits. Raises InvalidValue (field
        "file") for encrypted, malformed, oversized and bomb PDFs."""


@attrs.frozen
class Stamp:
    """One visible mark of a signature: where, and what it looks like."""

    type: StamperType
    image_png: bytes = attrs.field(repr=False)
    position: PagePosition | KeywordPosition | None = None  # None only for ACROSS_PAGE
    width_mm: float = 42.0
    height_mm: float = 42.0


@attrs.frozen
class SignRequest:
    credential: Credential
    stamps: tuple[Stamp, ...] = ()
    level: SignatureLevel = SignatureLevel.B_T
    field_name: str | None = None
    reason: str = ""
    location: str = ""
    signer_name: str = ""
    #: For the signing services' call-detail records (manual 五.2): who asked, about what.
    business_system: str = ""
    file_subject: str = ""


class PdfSigner(Protocol):
    def sign(self, pdf: bytes, request: SignRequest) -> bytes:
        """Apply one PAdES signature as an incremental update; earlier signatures stay valid.
        Raises SigningError (e.g. keyword not found, TSA or revocation data unavailable — never
        silently a lower level)."""


class SignatureValidator(Protocol):
    def validate(self, pdf: bytes) -> ValidationReport: ...
