"""Equivalence of the fast signing path with the pyHanko path: for every document of the corpus the
fast output passes our validator (pyHanko underneath: intact, valid, modification level as
expected, earlier signatures still valid), poppler's ``pdfsig`` and ``qpdf --check``; B-T carries a
valid timestamp; what the fast path does not handle falls back to pyHanko, is counted, and still
gives a valid file."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable
from pathlib import Path

import pikepdf
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from esign_adapters.signing.fast import FastPdfSigner
from esign_adapters.signing.signer import PyHankoPdfSigner
from esign_adapters.signing.validator import PyHankoSignatureValidator
from esign_core.errors import SigningError
from esign_core.model.contract import StamperType
from esign_core.ports.signing import Credential, SignatureLevel, SignRequest, Stamp
from esign_core.values import Indication, KeywordPosition, PagePosition
from tests.signing import fastcorpus, pdfs
from tests.signing.testpki import TestPki, _issue

Check = Callable[[bytes, int], None]


class _TsaPort:
    """The core TimeStamper port over the test PKI's TSA."""

    def __init__(self, pki: TestPki) -> None:
        self._tsa = pki.timestamper()

    def timestamp(self, message_imprint: bytes, *, hash_algorithm: str = "sha256") -> bytes:
        return asyncio.run(self._tsa.async_timestamp(message_imprint, hash_algorithm)).dump()


@pytest.fixture
def fast(pki: TestPki) -> FastPdfSigner:
    port = _TsaPort(pki)
    fallback = PyHankoPdfSigner(timestamper=port, validation_context=pki.validation_context)
    return FastPdfSigner(fallback=fallback, timestamper=port)


@pytest.fixture
def check(
    validator: PyHankoSignatureValidator,
    pdfsig: Callable[[bytes], list[dict[str, str]]],
    qpdf_check: Callable[[bytes], None],
) -> Check:
    def run(out: bytes, signatures: int) -> None:
        reports = validator.validate(out).signatures
        assert [s.indication for s in reports] == [Indication.TOTAL_PASSED] * signatures, reports
        assert [s.modification_level for s in reports] == ["FORM_FILLING"] * (signatures - 1) + ["NONE"]
        blocks = pdfsig(out)
        assert [b.get("Signature Validation") for b in blocks] == ["Signature is Valid."] * signatures, blocks
        assert blocks[-1].get("Certificate Validation") == "Certificate is Trusted."
        qpdf_check(out)

    return run


def _seal(png: bytes, page: int = 1) -> Stamp:
    return Stamp(StamperType.SEAL_CORPORATE, png, PagePosition(page, 0.55, 0.1))


def _request(pki: TestPki, *stamps: Stamp, level: SignatureLevel = SignatureLevel.B_B, **kw: str) -> SignRequest:
    return SignRequest(credential=pki.credential(), stamps=stamps, level=level, **kw)


def _xref_kind(pdf: bytes) -> bytes:
    startxref = int(pdf.rstrip().rsplit(b"startxref", 1)[1].split()[0])
    return pdf[startxref:startxref + 4]


# -- the corpus, signed by the fast path -------------------------------------------------------

CORPUS: dict[str, Callable[[], bytes]] = {
    "1 page": lambda: pdfs.latin_pdf(1),
    "100 pages": lambda: pdfs.latin_pdf(100, compress=True),
    "1000 pages": lambda: fastcorpus.many_pages(1000),
    "xref and object streams": lambda: pdfs.object_stream_pdf(3),
    "form and link annotations": pdfs.form_pdf,
    "incremental history": fastcorpus.incremental_history,
    "linearized": fastcorpus.linearized,
}


@pytest.mark.parametrize("name", list(CORPUS))
def test_corpus_signed_by_the_fast_path(name: str, fast: FastPdfSigner, pki: TestPki, company_seal: bytes,
                                        check: Check) -> None:
    doc = CORPUS[name]()
    out = fast.sign(doc, _request(pki, _seal(company_seal, -1), reason="同意签署", signer_name="示例科技有限公司"))
    assert out.startswith(doc), "the original bytes are never rewritten"
    assert fast.stats.snapshot() == {"fast": 1, "fallback": {}}
    assert (_xref_kind(out) == b"xref") == (_xref_kind(doc) == b"xref"), "xref style follows the original"
    check(out, 1)


def test_twenty_megabytes_of_images_in_memory_and_in_place(
    fast: FastPdfSigner, pki: TestPki, company_seal: bytes, check: Check, tmp_path: Path
) -> None:
    doc = fastcorpus.large_images(20)
    assert len(doc) > 20_000_000
    out = fast.sign(doc, _request(pki, _seal(company_seal)))
    check(out, 1)
    path = tmp_path / "large.pdf"
    path.write_bytes(doc)
    fast.sign_file(path, _request(pki, _seal(company_seal)))
    assert fast.stats.snapshot() == {"fast": 2, "fallback": {}}
    signed = path.read_bytes()
    assert signed.startswith(doc)
    check(signed, 1)


def test_after_pyhanko_signatures_and_as_a_chain_of_updates(
    fast: FastPdfSigner, signer: PyHankoPdfSigner, pki: TestPki, company_seal: bytes, square_seal: bytes,
    check: Check,
) -> None:
    doc = signer.sign(pdfs.latin_pdf(2), _request(pki, _seal(company_seal)))  # the pyHanko path first
    doc = fast.sign(doc, _request(pki, _seal(square_seal, 2)))
    doc = fast.sign(doc, _request(pki, Stamp(StamperType.ACROSS_PAGE, company_seal)))
    doc = signer.sign(doc, _request(pki, _seal(square_seal)))  # and pyHanko again after the fast path
    assert fast.stats.fast == 2 and fast.stats.fallback_total == 0
    check(doc, 4)


def test_chinese_document_with_keyword_positions_and_b_t(
    fast: FastPdfSigner, pki: TestPki, chinese_pdf: bytes, company_seal: bytes, signature_png: bytes,
    validator: PyHankoSignatureValidator, check: Check,
) -> None:
    stamps = (
        Stamp(StamperType.SEAL_CORPORATE, company_seal, KeywordPosition("甲方（盖章）", 0, 0.1, 0.0)),
        Stamp(StamperType.SEAL_PERSONAL, signature_png, KeywordPosition("乙方", 1, 0.05, 0.0), 30, 12),
    )
    out = fast.sign(chinese_pdf, _request(pki, *stamps, level=SignatureLevel.B_T, reason="同意", location="福州"))
    assert fast.stats.snapshot() == {"fast": 1, "fallback": {}}
    check(out, 1)
    (sig,) = validator.validate(out).signatures
    assert sig.timestamp_time is not None
    with pikepdf.open(io.BytesIO(out)) as pdf:
        (field,) = [f for f in pdf.Root.AcroForm.Fields if f.FT == "/Sig"]
        assert len(field.Kids) == 4  # 甲方 on each of the 3 pages + the first 乙方
        assert str(field.V.Reason) == "同意"


def test_invisible_signature_and_b_t_on_object_streams(fast: FastPdfSigner, pki: TestPki,
                                                       validator: PyHankoSignatureValidator, check: Check) -> None:
    out = fast.sign(pdfs.object_stream_pdf(2), _request(pki, level=SignatureLevel.B_T))
    check(out, 1)
    assert validator.validate(out).signatures[0].timestamp_time is not None
    assert fast.stats.fast == 1


# -- fallbacks -------------------------------------------------------------------------------------


def _rsa_credential(pki: TestPki) -> Credential:
    leaf = _issue("RSA signer", issuer=pki.issuing, ca=False, now=pki.now, days=1,
                  key=rsa.generate_private_key(public_exponent=65537, key_size=2048))
    return pki.credential("RSA signer", leaf=leaf)


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("indirect annots", "page /Annots is not a direct array"),
        ("rsa key", "key is not EC P-256"),
        ("b-lt", "level B-LT"),
        ("text timestamp stamp", "TIMESTAMP stamp without image"),
        ("certified document", "document has /Perms (DocMDP or UR restrictions)"),
    ],
)
def test_unsupported_cases_fall_back_to_pyhanko_and_are_counted(
    case: str, reason: str, fast: FastPdfSigner, signer: PyHankoPdfSigner, pki: TestPki, company_seal: bytes,
    validator: PyHankoSignatureValidator, qpdf_check: Callable[[bytes], None],
) -> None:
    doc, request = pdfs.latin_pdf(1), _request(pki, _seal(company_seal))
    earlier = 0
    if case == "indirect annots":
        doc = fastcorpus.indirect_annots()
    elif case == "rsa key":
        request = SignRequest(credential=_rsa_credential(pki), stamps=request.stamps)
    elif case == "b-lt":
        request = _request(pki, _seal(company_seal), level=SignatureLevel.B_LT)
    elif case == "text timestamp stamp":
        request = _request(pki, Stamp(StamperType.TIMESTAMP, b"", PagePosition(1, 0.1, 0.1), 40, 8))
    else:
        doc, earlier = _certified(pki, doc), 1
    out = fast.sign(doc, request)
    assert fast.stats.snapshot() == {"fast": 0, "fallback": {reason: 1}}
    reports = validator.validate(out).signatures
    assert len(reports) == earlier + 1
    assert reports[-1].indication is Indication.TOTAL_PASSED
    qpdf_check(out)


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (fastcorpus.broken_startxref, "startxref does not point at a cross-reference section"),
        (fastcorpus.broken_xref_entry, "qpdf warning"),
        (fastcorpus.encrypted, "encrypted document"),
        (fastcorpus.hybrid_reference, "hybrid-reference file"),
    ],
)
def test_doubtful_files_are_never_fast(make: Callable[[], bytes], reason: str, fast: FastPdfSigner, pki: TestPki,
                                       company_seal: bytes, validator: PyHankoSignatureValidator) -> None:
    doc = make()
    try:
        out = fast.sign(doc, _request(pki, _seal(company_seal)))
    except SigningError:
        out = None  # pyHanko refuses it: also acceptable, no file at all
    assert fast.stats.fast == 0 and fast.stats.fallback_total == 1
    assert next(iter(fast.stats.fallbacks)).startswith(reason)
    if out is not None:
        assert [s.indication for s in validator.validate(out).signatures] == [Indication.TOTAL_PASSED]


def test_request_errors_are_the_same_as_on_the_pyhanko_path(fast: FastPdfSigner, pki: TestPki,
                                                           company_seal: bytes) -> None:
    with pytest.raises(SigningError, match="keyword"):
        fast.sign(pdfs.latin_pdf(1), _request(pki, Stamp(StamperType.SEAL_CORPORATE, company_seal,
                                                        KeywordPosition("不存在的关键字", 1, 0, 0))))
    with pytest.raises(SigningError, match="page 3 does not exist"):
        fast.sign(pdfs.latin_pdf(1), _request(pki, _seal(company_seal, 3)))
    assert fast.stats.fast == 0 and fast.stats.fallback_total == 0


def _certified(pki: TestPki, doc: bytes) -> bytes:
    """A certification (DocMDP, form filling allowed) signature made by pyHanko."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    from esign_adapters.signing.signer import KeyHoldingSigner

    cred = pki.credential()
    meta = signers.PdfSignatureMetadata(field_name="Certification", certify=True,
                                        docmdp_permissions=fields.MDPPerm.FILL_FORMS)
    out = io.BytesIO()
    signers.PdfSigner(meta, KeyHoldingSigner(cred.key_handle, cred.chain_der)).sign_pdf(
        IncrementalPdfFileWriter(io.BytesIO(doc)), output=out)
    return out.getvalue()


def test_in_place_fallback_replaces_the_file_with_a_valid_one(fast: FastPdfSigner, pki: TestPki,
                                                              company_seal: bytes, tmp_path: Path,
                                                              validator: PyHankoSignatureValidator) -> None:
    path = tmp_path / "annots.pdf"
    path.write_bytes(fastcorpus.indirect_annots())
    fast.sign_file(path, _request(pki, _seal(company_seal)))
    assert fast.stats.snapshot() == {"fast": 0, "fallback": {"page /Annots is not a direct array": 1}}
    assert [s.indication for s in validator.validate(path.read_bytes()).signatures] == [Indication.TOTAL_PASSED]
    assert [p.name for p in tmp_path.iterdir()] == ["annots.pdf"]


def test_cross_page_seal_over_a_thousand_pages(fast: FastPdfSigner, pki: TestPki, company_seal: bytes,
                                               check: Check) -> None:
    out = fast.sign(fastcorpus.many_pages(1000), _request(pki, Stamp(StamperType.ACROSS_PAGE, company_seal)))
    assert fast.stats.fast == 1
    check(out, 1)
    with pikepdf.open(io.BytesIO(out)) as pdf:
        assert all(len(page.Annots) == 1 for page in pdf.pages)


class _GrowingTsa:
    """Tokens with the issuing CA embedded first, then with the root as well (bigger)."""

    def __init__(self, pki: TestPki) -> None:
        from pyhanko.sign.timestamps import DummyTimeStamper
        from pyhanko_certvalidator.registry import SimpleCertificateStore

        self.calls = 0
        self._small = DummyTimeStamper(tsa_cert=pki.tsa.asn1, tsa_key=pki.tsa.asn1_key,
                                       certs_to_embed=SimpleCertificateStore.from_certs([pki.issuing.asn1]))
        self._big = DummyTimeStamper(tsa_cert=pki.tsa.asn1, tsa_key=pki.tsa.asn1_key,
                                     certs_to_embed=SimpleCertificateStore.from_certs(
                                         [pki.issuing.asn1, pki.root.asn1]))

    def timestamp(self, message_imprint: bytes, *, hash_algorithm: str = "sha256") -> bytes:
        self.calls += 1
        tsa = self._small if self.calls == 1 else self._big
        return asyncio.run(tsa.async_timestamp(message_imprint, hash_algorithm)).dump()


def test_a_timestamp_token_larger_than_reserved_falls_back(pki: TestPki, company_seal: bytes,
                                                           validator: PyHankoSignatureValidator) -> None:
    tsa = _GrowingTsa(pki)
    fast = FastPdfSigner(fallback=PyHankoPdfSigner(timestamper=tsa), timestamper=tsa)
    doc = fast.sign(pdfs.latin_pdf(1), _request(pki, _seal(company_seal), level=SignatureLevel.B_T))
    doc = fast.sign(doc, _request(pki, _seal(company_seal), level=SignatureLevel.B_T))
    assert fast.stats.snapshot() == {"fast": 1, "fallback": {"timestamp token larger than the space reserved": 1}}
    reports = validator.validate(doc).signatures
    assert [r.indication for r in reports] == [Indication.TOTAL_PASSED] * 2
    assert all(r.timestamp_time is not None for r in reports)
    doc = fast.sign(doc, _request(pki, _seal(company_seal), level=SignatureLevel.B_T))  # now reserved for
    assert fast.stats.fast == 2
