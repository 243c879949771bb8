"""``PyHankoSignatureValidator``: every signature and document timestamp of a PDF checked with
pyHanko (integrity, coverage, incremental-update diff analysis, chain of trust, revocation,
timestamps) and summarised as an ETSI EN 319 102-1 indication.

Mapping (first match wins; TOTAL_FAILED conditions before INDETERMINATE ones):

======================================================  ===============  =========================
finding                                                 indication       sub-indication
======================================================  ===============  =========================
signature dictionary or CMS unreadable, unsupported     TOTAL_FAILED     FORMAT_FAILURE
/SubFilter, hybrid xref, /ByteRange not ``[0 a b c]``
with the gap exactly ``/Contents`` or not covering its
revision (USF, signature wrapping)
digest of the signed bytes does not match               TOTAL_FAILED     HASH_FAILURE
signature value does not verify                         TOTAL_FAILED     SIG_CRYPTO_FAILURE
later incremental update not allowed (modification      TOTAL_FAILED     FORMAT_FAILURE (as EU DSS
level OTHER: page content, pages added or removed,                       for added pages); the
signature dictionary spoofed, shadow attacks)                            report's modification
                                                                         level says OTHER
certificate problems reported by pyHanko                as pyHanko's AdES sub-indication
(REVOKED → TOTAL_FAILED; NO_CERTIFICATE_CHAIN_FOUND,    (AdESFailure → TOTAL_FAILED,
REVOKED_NO_POE, EXPIRED, TRY_LATER … → INDETERMINATE)   AdESIndeterminate → INDETERMINATE)
no path to a trust root                                 INDETERMINATE    NO_CERTIFICATE_CHAIN_FOUND
signature timestamp present but not valid or trusted    INDETERMINATE    NO_POE
otherwise                                               TOTAL_PASSED     —
======================================================  ===============  =========================

A signing certificate that has expired by the validation time (short-lived event certificates), was
revoked after signing, or whose revocation data from signing time (the B-LT DSS) is no longer fresh,
is validated again at the time of a valid, trusted signature timestamp (proof of existence); the
result is adopted only if it passes. That re-validation only uses
revocation data that was current at that time (the DSS, or CRLs passed in that cover it): a B-T
signature of an expired event certificate therefore needs CRLs from signing time; B-LT/B-LTA carry
them.
"""

from __future__ import annotations

import asyncio
import dataclasses
import io
import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

import attrs
from asn1crypto import crl as asn1_crl
from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import pem
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.ades.report import AdESFailure, AdESIndeterminate
from pyhanko.sign.diff_analysis import DEFAULT_DIFF_POLICY, DiffPolicy, ModificationLevel, SuspiciousModification
from pyhanko.sign.fields import enumerate_sig_fields
from pyhanko.sign.validation import DocumentSecurityStore
from pyhanko.sign.validation.errors import NoDSSFoundError
from pyhanko.sign.validation.pdf_embedded import (
    EmbeddedPdfSignature,
    async_validate_pdf_signature,
    async_validate_pdf_timestamp,
)
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from esign_core.errors import InvalidValue, SigningError
from esign_core.values import Indication, SignatureReport, ValidationReport

from . import aio, pyhanko_speedups

pyhanko_speedups.install()

_log = logging.getLogger(__name__)
_GOOD_COVERAGE = (SignatureCoverageLevel.ENTIRE_FILE, SignatureCoverageLevel.ENTIRE_REVISION)
# Problems that a proof of existence (a valid, trusted signature timestamp) can cure: the certificate or
# the revocation data embedded at signing time is out of date *now*, but was valid at the timestamp.
_CURABLE_BY_POE = {
    "EXPIRED",
    "OUT_OF_BOUNDS_NO_POE",
    "OUT_OF_BOUNDS_NOT_REVOKED",
    "TRY_LATER",
    "REVOCATION_OUT_OF_BOUNDS_NO_POE",
    "REVOKED_NO_POE",
}


def _load_certs(items: Iterable[bytes]) -> list[asn1_x509.Certificate]:
    certs = []
    for data in items:
        if pem.detect(data):
            certs.extend(asn1_x509.Certificate.load(der) for _, _, der in pem.unarmor(data, multiple=True))
        else:
            certs.append(asn1_x509.Certificate.load(data))
    return certs


@attrs.frozen
class _Material:
    """Certificates and revocation data found in the document's DSS."""

    certs: list[asn1_x509.Certificate]
    crls: list[asn1_crl.CertificateList]
    ocsps: list[asn1_ocsp.OCSPResponse]


class PyHankoSignatureValidator:
    """SignatureValidator port implementation.

    :param trust_roots: DER or PEM root certificates (our CA's root, imported trust anchors).
    :param crls: extra DER CRLs; :param ocsps: extra DER OCSP responses (added to what the DSS holds).
    :param diff_policy: pyHanko diff policy for incremental updates (default: pyHanko's standard).
    :param revocation_mode: pyhanko-certvalidator mode. The default "require" checks every non-root
        certificate against the CRLs/OCSP responses given here or embedded in the DSS and fails
        without them; "soft-fail"/"hard-fail" skip the check entirely for certificates without CRL
        distribution points or OCSP URLs (our event certificates), so a revoked signer would pass.
    :param clock: the validation time (default: now). Nothing is ever fetched from the network.

    Call :meth:`validate` from a thread without a running event loop (pyHanko is asyncio based).
    """

    def __init__(
        self,
        trust_roots: Sequence[bytes],
        *,
        crls: Sequence[bytes] = (),
        ocsps: Sequence[bytes] = (),
        diff_policy: DiffPolicy | None = None,
        revocation_mode: str = "require",
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        try:
            self._roots = _load_certs(trust_roots)
            self._crls = [asn1_crl.CertificateList.load(c) for c in crls]
            self._ocsps = [asn1_ocsp.OCSPResponse.load(o) for o in ocsps]
        except (ValueError, TypeError) as exc:
            raise InvalidValue("trust_roots", f"unreadable certificate or revocation data: {exc}") from exc
        if not self._roots:
            raise InvalidValue("trust_roots", "at least one trust root is needed")
        self._diff_policy = diff_policy or DEFAULT_DIFF_POLICY
        self._revocation_mode = revocation_mode
        self._clock = clock

    def validate(self, pdf: bytes) -> ValidationReport:
        """One report per signature and document timestamp, in signing order. A tampered document is
        an answer (TOTAL_FAILED …), not an exception; raises InvalidValue("file") only when the
        bytes are not a readable PDF at all."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            pass
        else:
            raise SigningError("PyHankoSignatureValidator.validate() is blocking; call it in a worker thread")
        try:
            reader = PdfFileReader(io.BytesIO(pdf))
            fields = list(enumerate_sig_fields(reader, filled_status=True))
        except Exception as exc:  # pyHanko read errors of every kind
            raise InvalidValue("file", f"not a readable PDF: {exc}") from exc
        return aio.run(self._validate(reader, fields))

    async def _validate(self, reader: PdfFileReader, fields: list) -> ValidationReport:
        material = _read_dss(reader)
        reports: list[tuple[int, SignatureReport]] = []
        for fq_name, _sig_obj_ref, field_ref in fields:
            try:
                emb = EmbeddedPdfSignature(reader, field_ref, fq_name)
            except Exception as exc:  # missing /ByteRange, /Contents, undecodable CMS, …
                _log.info("signature %r unreadable: %s: %s", fq_name, exc.__class__.__name__, exc)
                reports.append((1 << 30, _failed(fq_name)))
                continue
            try:
                report = await self._one(emb, material)
            except Exception as exc:  # SignatureValidationError (hybrid xref, SubFilter), broken structures
                _log.info("signature %r not validatable: %s: %s", fq_name, exc.__class__.__name__, exc)
                report = _failed(fq_name)
            reports.append((emb.signed_revision, report))
        reports.sort(key=lambda item: item[0])
        return ValidationReport(signatures=tuple(r for _, r in reports))

    def _context(self, material: _Material, moment: datetime | None) -> ValidationContext:
        return ValidationContext(
            trust_roots=self._roots,
            other_certs=material.certs,
            crls=self._crls + material.crls,
            ocsps=self._ocsps + material.ocsps,
            allow_fetching=False,
            revocation_mode=self._revocation_mode,
            moment=moment,
        )

    async def _one(self, emb: EmbeddedPdfSignature, material: _Material) -> SignatureReport:
        moment = self._clock() if self._clock else None
        is_doc_ts = emb.sig_object_type == "/DocTimeStamp"
        if is_doc_ts:
            status = await async_validate_pdf_timestamp(
                emb, validation_context=self._context(material, moment), diff_policy=self._diff_policy
            )
            ts_time = status.timestamp
        else:
            status = await async_validate_pdf_signature(
                emb, signer_validation_context=self._context(material, moment), diff_policy=self._diff_policy
            )
            tst = status.timestamp_validity
            ts_ok = tst is not None and tst.intact and tst.valid and tst.trusted
            ts_time = tst.timestamp if tst is not None else None
            indic = status.trust_problem_indic
            if ts_ok and indic is not None and indic.name in _CURABLE_BY_POE:
                # the timestamp proves the signature existed while certificate and revocation data were
                # valid; keep the original (more telling) finding unless that settles it
                # (integrity and the diff analysis do not depend on the time: skip the diff, keep ours)
                retry = await async_validate_pdf_signature(
                    emb, signer_validation_context=self._context(material, tst.timestamp), skip_diff=True
                )
                if retry.trusted and retry.trust_problem_indic is None:
                    status = dataclasses.replace(
                        status,
                        trust_problem_indic=None,
                        validation_path=retry.validation_path,
                        revocation_details=retry.revocation_details,
                        validation_time=retry.validation_time,
                    )
        indication, sub = _classify(status, is_doc_ts)
        level = status.modification_level
        return SignatureReport(
            field_name=emb.field_name,
            indication=indication,
            sub_indication=sub,
            signer=_common_name(emb.signer_cert),
            signing_time=_iso(_signed_time(emb) if not is_doc_ts else ts_time),
            timestamp_time=_iso(ts_time),
            covered_revision=emb.signed_revision,
            modification_level=level.name if level is not None else None,
        )


def _classify(status, is_doc_ts: bool) -> tuple[Indication, str | None]:  # type: ignore[no-untyped-def]
    if status.coverage not in _GOOD_COVERAGE:
        return Indication.TOTAL_FAILED, "FORMAT_FAILURE"
    if not status.intact:
        return Indication.TOTAL_FAILED, "HASH_FAILURE"
    if not status.valid:
        return Indication.TOTAL_FAILED, "SIG_CRYPTO_FAILURE"
    diff = status.diff_result
    if (
        isinstance(diff, SuspiciousModification)
        or status.modification_level == ModificationLevel.OTHER
        or (not is_doc_ts and status.docmdp_ok is False)
    ):
        return Indication.TOTAL_FAILED, "FORMAT_FAILURE"
    indic = status.trust_problem_indic
    if isinstance(indic, AdESFailure):
        return Indication.TOTAL_FAILED, indic.name
    if status.revoked:
        return Indication.INDETERMINATE, "REVOKED_NO_POE"
    if isinstance(indic, AdESIndeterminate):
        return Indication.INDETERMINATE, indic.name
    if not status.trusted:
        return Indication.INDETERMINATE, "NO_CERTIFICATE_CHAIN_FOUND"
    if not is_doc_ts:
        tst = status.timestamp_validity
        if tst is not None and not (tst.intact and tst.valid and tst.trusted):
            return Indication.INDETERMINATE, "NO_POE"
    return Indication.TOTAL_PASSED, None


def _failed(field_name: str) -> SignatureReport:
    return SignatureReport(field_name=field_name, indication=Indication.TOTAL_FAILED, sub_indication="FORMAT_FAILURE")


def _read_dss(reader: PdfFileReader) -> _Material:
    try:
        dss = DocumentSecurityStore.read_dss(reader)
    except NoDSSFoundError:
        return _Material([], [], [])
    except Exception:  # a malformed DSS contributes nothing; signatures relying on it fail their checks
        return _Material([], [], [])
    crls, ocsps = [], []
    for ref in dss.crls:
        try:
            crls.append(asn1_crl.CertificateList.load(ref.get_object().data))
        except Exception:  # noqa: S112 — skip an unreadable CRL stream, keep the others
            continue
    for ref in dss.ocsps:
        try:
            ocsps.append(asn1_ocsp.OCSPResponse.load(ref.get_object().data))
        except Exception:  # noqa: S112 — skip an unreadable OCSP stream, keep the others
            continue
    try:
        certs = list(dss.load_certs())
    except Exception:
        certs = []
    return _Material(certs, crls, ocsps)


def _signed_time(emb: EmbeddedPdfSignature) -> datetime | None:
    """The signing time as the *signed* revision states it (a /M overridden by a later update is
    ignored), from the CMS signing-time attribute or the original signature dictionary's /M."""
    try:
        ref = emb.sig_field.raw_get("/V").reference
        revision = emb.reader.xrefs.get_introducing_revision(ref)
        original = emb.reader.get_historical_resolver(revision).get_object(ref)
        return generic.parse_pdf_date(original["/M"])
    except Exception:
        try:
            return emb.self_reported_timestamp
        except Exception:
            return None


def _common_name(cert: asn1_x509.Certificate) -> str | None:
    try:
        cn = cert.subject.native.get("common_name")
        if isinstance(cn, list):
            cn = cn[-1]
        return cn or cert.subject.human_friendly
    except Exception:
        return None


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
