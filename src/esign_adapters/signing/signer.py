"""``PyHankoPdfSigner``: PAdES signatures (B-B, B-T, B-LT, B-LTA) as incremental updates, with
visible stamps as widgets of the one signature field of each signature.

The fast recipe (see /work/shared/reference/performance.md): a fixed ``bytes_reserved`` computed from
the certificate chain and the TSA's token size (no dry-run signature), a pyHanko signer built once per
credential that keeps the loaded key, ``in_place`` signing on a ``BytesIO``, stamp images decoded and
compressed once per process.

pyHanko's signing API is asyncio based; :meth:`PyHankoPdfSigner.sign` runs it on a private event loop
(:func:`.aio.run`) and therefore must be called from a thread without a running event loop. Async callers use a worker
thread (``await asyncio.to_thread(signer.sign, pdf, request)``; Litestar: a sync handler).
"""

from __future__ import annotations

import asyncio
import collections
import hashlib
import io
import logging
import threading
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, tzinfo
from typing import Any

from asn1crypto import cms
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes
from pyhanko.sign.signers.pdf_signer import PreSignValidationStatus
from pyhanko.sign.timestamps import TimeStamper as PyHankoTimeStamper
from pyhanko.stamp import NoOpStampStyle
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from esign_core.errors import EsignError, SigningError
from esign_core.model.contract import StamperType
from esign_core.ports.signing import Credential, SignatureLevel, SignRequest, Stamp, TimeStamper
from esign_core.values import KeywordPosition, PagePosition

from . import aio, appearance
from .positions import MM, Mark, PageBox, across_page_marks, keyword_marks, page_marks, read_pages


class _DropNoFetchingWarning(logging.Filter):
    """pyHanko warns on every B-LT signature that fetching is disabled; for us that is the design
    (revocation data comes from our own CA), and missing data is an error we raise ourselves."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "fetching is not allowed" not in record.getMessage()


logging.getLogger("pyhanko.sign.signers.pdf_signer").addFilter(_DropNoFetchingWarning())

SignerFactory = Callable[[Credential], signers.Signer]
ValidationContextFactory = Callable[[], ValidationContext]

# Sizes in DER bytes; pyHanko's ``bytes_reserved`` counts hex digits, i.e. twice as many.
_CMS_OVERHEAD = 1024  # signed attributes, signer info, ECDSA/RSA-2048 signature value
_RESERVE_MARGIN = 512
_MIN_RESERVED = 6144  # hex digits: 3 KB of DER
_SIGNER_CACHE_SIZE = 64


class KeyHoldingSigner(signers.Signer):
    """A pyHanko signer over a ``cryptography`` private key that stays loaded (pyHanko's
    ``SimpleSigner`` re-parses its key on every signature)."""

    def __init__(self, key: Any, chain_der: Sequence[bytes]) -> None:
        if not chain_der:
            raise SigningError("the credential has no certificate chain")
        chain = [asn1_x509.Certificate.load(der) for der in chain_der]
        super().__init__(signing_cert=chain[0], cert_registry=SimpleCertificateStore.from_certs(chain[1:]))
        self._key = key

    async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run: bool = False) -> bytes:
        digest = getattr(hashes, digest_algorithm.upper().replace("-", "_"))()
        key = self._key
        if isinstance(key, ec.EllipticCurvePrivateKey):
            return key.sign(data, ec.ECDSA(digest))
        if isinstance(key, rsa.RSAPrivateKey):
            return key.sign(data, padding.PKCS1v15(), digest)
        if isinstance(key, ed25519.Ed25519PrivateKey):
            return key.sign(data)
        raise SigningError(f"unsupported key type {type(key).__name__}")


def default_signer_factory(credential: Credential) -> signers.Signer:
    """A pyHanko signer for a credential whose ``key_handle`` is a ``cryptography`` private key (or
    already a pyHanko ``Signer``) and whose ``chain_der`` is (leaf, issuing CA, …, root)."""
    if isinstance(credential.key_handle, signers.Signer):
        return credential.key_handle
    return KeyHoldingSigner(credential.key_handle, credential.chain_der)


class PortTimeStamper(PyHankoTimeStamper):
    """Adapts the core ``TimeStamper`` port (DER token for a message imprint) to pyHanko."""

    def __init__(self, port: TimeStamper) -> None:
        super().__init__(include_nonce=False)
        self._port = port

    async def async_timestamp(self, message_digest: bytes, md_algorithm: str) -> cms.ContentInfo:
        # the port is blocking and may run its own event loop (e.g. an in-process TSA built on
        # pyHanko): call it from a worker thread, never from this loop
        token = await asyncio.to_thread(self._port.timestamp, message_digest, hash_algorithm=md_algorithm)
        return cms.ContentInfo.load(token)


class PyHankoPdfSigner:
    """PdfSigner port implementation.

    :param timestamper: a pyHanko ``TimeStamper`` (``HTTPTimeStamper``, ``DummyTimeStamper``, …) or
        an object implementing the core ``TimeStamper`` port; required for B-T and above.
    :param validation_context: a factory returning a fresh pyHanko ``ValidationContext`` trusting our
        root with current CRLs/OCSP responses (``allow_fetching=False``); required for B-LT/B-LTA.
    :param signer_factory: builds a pyHanko ``Signer`` for a credential; signers are cached per
        credential (leaf certificate + key handle).
    :param bytes_reserved: fixed CMS reservation; by default computed from the chain and the TSA's
        token size.
    :param display_timezone: for the text of a TIMESTAMP stamp that comes without an image.
    :param widget_parent_links: write ``/Parent`` on the widgets of a multi-mark signature (ISO 32000
        conformant, but poppler ≤ 22.12 then reports each widget as an unsigned signature field); see
        :func:`esign_adapters.signing.appearance.add_signature_field`.
    """

    def __init__(
        self,
        *,
        timestamper: PyHankoTimeStamper | TimeStamper | None = None,
        validation_context: ValidationContextFactory | None = None,
        signer_factory: SignerFactory = default_signer_factory,
        bytes_reserved: int | None = None,
        display_timezone: tzinfo = UTC,
        widget_parent_links: bool = False,
    ) -> None:
        if timestamper is not None and not isinstance(timestamper, PyHankoTimeStamper):
            timestamper = PortTimeStamper(timestamper)
        self._timestamper = timestamper
        self._vc_factory = validation_context
        self._signer_factory = signer_factory
        self._bytes_reserved = bytes_reserved
        self._tz = display_timezone
        self._parent_links = widget_parent_links
        self._signers: collections.OrderedDict[tuple[bytes, int], signers.Signer] = collections.OrderedDict()
        self._lock = threading.Lock()

    # -- public API --------------------------------------------------------------------------

    def sign(self, pdf: bytes, request: SignRequest) -> bytes:
        """Apply one PAdES signature as an incremental update and return the new document.

        Raises SigningError for a missing keyword or page, an unusable stamp image, an unavailable
        TSA or missing revocation data (never a silently lower level), or any pyHanko failure. Must
        be called from a thread without a running asyncio event loop."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            pass
        else:
            raise SigningError(
                "PyHankoPdfSigner.sign() is blocking and cannot run inside an event loop; "
                "call it in a worker thread (asyncio.to_thread / a sync handler)"
            )
        level = request.level
        if level is not SignatureLevel.B_B and self._timestamper is None:
            raise SigningError(f"signature level {level.value} needs a time-stamping authority; none is configured")
        if level in (SignatureLevel.B_LT, SignatureLevel.B_LTA) and self._vc_factory is None:
            raise SigningError(f"signature level {level.value} needs revocation data; no validation context")
        try:
            pyh_signer = self._signer_for(request.credential)
            return aio.run(self._sign(pdf, request, pyh_signer))
        except EsignError:
            raise
        except Exception as exc:  # vendor errors (pyHanko, asn1crypto, certvalidator, I/O) stop here
            raise SigningError(f"signing failed: {exc.__class__.__name__}: {exc}", level=level.value) from exc

    # -- internals ---------------------------------------------------------------------------

    def _signer_for(self, credential: Credential) -> signers.Signer:
        leaf = credential.chain_der[0] if credential.chain_der else b""
        key = (hashlib.sha256(leaf).digest(), id(credential.key_handle))
        with self._lock:
            cached = self._signers.get(key)
            if cached is not None:
                self._signers.move_to_end(key)
                return cached
        built = self._signer_factory(credential)
        with self._lock:
            self._signers[key] = built
            while len(self._signers) > _SIGNER_CACHE_SIZE:
                self._signers.popitem(last=False)
        return built

    async def _sign(self, pdf: bytes, request: SignRequest, pyh_signer: signers.Signer) -> bytes:
        level = request.level
        timestamped = level is not SignatureLevel.B_B
        long_term = level in (SignatureLevel.B_LT, SignatureLevel.B_LTA)
        timestamper = self._timestamper if timestamped else None
        vc = self._vc_factory() if long_term and self._vc_factory is not None else None

        buf = io.BytesIO(pdf)
        writer = IncrementalPdfFileWriter(buf)
        pages = read_pages(writer.prev)
        name = request.field_name or f"Signature-{uuid.uuid4().hex[:12]}"
        widgets = self._widgets(writer, pdf, pages, request.stamps)
        field_ref, widget_refs = appearance.add_signature_field(
            writer, name, pages, widgets, parent_links=self._parent_links
        )

        meta = signers.PdfSignatureMetadata(
            field_name=name,
            md_algorithm="sha256",
            subfilter=fields.SigSeedSubFilter.PADES,
            reason=request.reason or None,
            location=request.location or None,
            name=request.signer_name or None,
            embed_validation_info=long_term,
            use_pades_lta=level is SignatureLevel.B_LTA,
            validation_context=vc,
        )
        pdf_signer = signers.PdfSigner(meta, signer=pyh_signer, timestamper=timestamper, stamp_style=NoOpStampStyle())
        session = pdf_signer.init_signing_session(writer, existing_fields_only=True)
        validation_info = await session.perform_presign_validation(writer)
        if long_term:
            _require_revocation_data(validation_info)
        reserved = self._bytes_reserved or await self._reserve(pyh_signer, timestamper)
        tbs = session.prepare_tbs_document(validation_info=validation_info, bytes_reserved=reserved)
        # pyHanko insists on a single widget while it prepares the signature; the other marks join the
        # same field in the same revision, before the digest is taken.
        appearance.attach_widgets(writer, field_ref, pages, widgets, widget_refs)
        prepared, output = tbs.digest_tbs_document(in_place=True)
        post = await tbs.perform_signature(
            document_digest=prepared.document_digest,
            pdf_cms_signed_attrs=PdfCMSSignedAttributes(
                signing_time=session.system_time,
                adobe_revinfo_attr=None if validation_info is None else validation_info.adobe_revinfo_attr,
            ),
        )
        await post.post_signature_processing(output)
        return output.getvalue()

    async def _reserve(self, pyh_signer: signers.Signer, timestamper: PyHankoTimeStamper | None) -> int:
        size = _CMS_OVERHEAD + _RESERVE_MARGIN
        if pyh_signer.signing_cert is not None:
            size += len(pyh_signer.signing_cert.dump())
        size += sum(len(c.dump()) for c in pyh_signer.cert_registry)
        if timestamper is not None:
            # pyHanko caches this dummy token per timestamper: one TSA round trip per process
            size += len((await timestamper.async_dummy_response("sha256")).dump()) + _RESERVE_MARGIN
        return max(_MIN_RESERVED, 2 * (-(-size // 256) * 256))

    def _widgets(
        self, writer: IncrementalPdfFileWriter, pdf: bytes, pages: list[PageBox], stamps: Sequence[Stamp]
    ) -> list[appearance.WidgetSpec]:
        if not stamps:
            return [appearance.WidgetSpec(Mark(0, (0.0, 0.0, 0.0, 0.0)), None)]
        now = datetime.now(self._tz)
        specs: list[appearance.WidgetSpec] = []
        for stamp in stamps:
            marks = _marks(pdf, pages, stamp)
            if stamp.image_png:
                image_ref = appearance.add_image(writer, appearance.prepare_image(stamp.image_png))
                specs.extend(appearance.WidgetSpec(m, appearance.image_appearance(writer, image_ref, m)) for m in marks)
            elif stamp.type is StamperType.TIMESTAMP:
                text = appearance.timestamp_text(now)
                specs.extend(appearance.WidgetSpec(m, appearance.text_appearance(writer, text, m)) for m in marks)
            else:
                raise SigningError(f"the {stamp.type.value} stamp has no image")
        return specs


def _marks(pdf: bytes, pages: list[PageBox], stamp: Stamp) -> list[Mark]:
    w, h = stamp.width_mm * MM, stamp.height_mm * MM
    if w <= 0 or h <= 0:
        raise SigningError("stamp width and height must be positive")
    position = stamp.position
    if stamp.type is StamperType.ACROSS_PAGE:
        offset_y = position.offset_y if isinstance(position, PagePosition) else None
        return across_page_marks(pages, w, h, offset_y)
    if isinstance(position, PagePosition):
        return page_marks(pages, position, w, h)
    if isinstance(position, KeywordPosition):
        return keyword_marks(pdf, pages, position, w, h)
    raise SigningError(f"the {stamp.type.value} stamp has no position")


def _require_revocation_data(info: PreSignValidationStatus | None) -> None:
    """B-LT must embed revocation data for every non-root certificate of the signer's and the TSA's
    paths, and that data must not say "revoked". pyHanko in soft-fail/hard-fail mode checks neither
    for certificates without CRL distribution points (our event certificates) and would quietly
    produce a B-T signature in disguise, so check here."""
    if info is None:
        raise SigningError("B-LT signing needs validation data, but none was collected")
    crl_issuers: set[bytes] = set()
    revoked: set[tuple[bytes, int]] = set()
    for crl in info.crls_to_embed:
        issuer = crl["tbs_cert_list"]["issuer"].dump()
        crl_issuers.add(issuer)
        for entry in crl["tbs_cert_list"]["revoked_certificates"] or ():
            revoked.add((issuer, entry["user_certificate"].native))
    ocsp_status: dict[int, str] = {}
    for resp in info.ocsps_to_embed:
        try:
            basic = resp["response_bytes"]["response"].parsed
            for r in basic["tbs_response_data"]["responses"]:
                ocsp_status[r["cert_id"]["serial_number"].native] = r["cert_status"].name
        except (KeyError, TypeError, ValueError):
            continue
    for path in info.validation_paths:
        for cert in path.iter_certs(include_root=False):
            issuer, serial = cert.issuer.dump(), cert.serial_number
            who = f"«{cert.subject.human_friendly}»"
            if (issuer, serial) in revoked or ocsp_status.get(serial) == "revoked":
                raise SigningError(f"the certificate {who} is revoked", serial=format(serial, "x"))
            if issuer not in crl_issuers and serial not in ocsp_status:
                raise SigningError(
                    f"revocation data unavailable for {who}; refusing to produce a signature below B-LT",
                    serial=format(serial, "x"),
                )
