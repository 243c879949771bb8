"""PyHankoPdfSigner: levels, stamps as widgets, incremental multi-party signing checked by our
validator, pyHanko's own validator, poppler's pdfsig and qpdf; failures that must never produce a
lower-level signature."""

from __future__ import annotations

import asyncio
import io
import socket
import threading
import urllib.request
from collections.abc import Callable

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.timestamps import TimeStamper
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp
from pyhanko_certvalidator import ValidationContext

from esign_adapters.signing.signer import PyHankoPdfSigner
from esign_adapters.signing.validator import PyHankoSignatureValidator
from esign_core.errors import SigningError
from esign_core.model.contract import StamperType
from esign_core.ports.signing import SignatureLevel, SignRequest, Stamp
from esign_core.values import Indication, KeywordPosition, PagePosition
from tests.signing import pdfs
from tests.signing.testpki import TestPki


def _widgets(pdf: bytes) -> dict[str, list[tuple[int, list[float]]]]:
    """Signature field name → [(page index, rect)] of its widgets."""
    reader = PdfFileReader(io.BytesIO(pdf))
    node_stack = [reader.root.raw_get("/Pages")]
    order = []
    while node_stack:
        ref = node_stack.pop()
        node = ref.get_object()
        if "/Kids" in node:
            node_stack.extend(reversed(list(node.raw_get("/Kids"))))
        else:
            order.append(ref.reference)
    page_index = {ref: i for i, ref in enumerate(order)}
    result: dict[str, list[tuple[int, list[float]]]] = {}
    for field_ref in reader.root["/AcroForm"]["/Fields"]:
        field = field_ref.get_object()
        widgets = [k.get_object() for k in field["/Kids"]] if "/Kids" in field else [field]
        result[str(field["/T"])] = [
            (page_index[w.raw_get("/P").reference], [float(v) for v in w["/Rect"]]) for w in widgets
        ]
    return result


def _sign(signer: PyHankoPdfSigner, pdf: bytes, cred, *stamps: Stamp, level=SignatureLevel.B_B, **kw) -> bytes:  # type: ignore[no-untyped-def]
    return signer.sign(pdf, SignRequest(credential=cred, stamps=stamps, level=level, **kw))


@pytest.mark.parametrize("level", list(SignatureLevel))
def test_each_level_validates_as_claimed(
    level: SignatureLevel,
    signer: PyHankoPdfSigner,
    validator: PyHankoSignatureValidator,
    pki: TestPki,
    one_page_pdf: bytes,
    company_seal: bytes,
    qpdf_check: Callable[[bytes], None],
) -> None:
    stamp = Stamp(StamperType.SEAL_CORPORATE, company_seal, PagePosition(1, 0.55, 0.3))
    out = _sign(signer, one_page_pdf, pki.credential("示例科技有限公司"), stamp, level=level, reason="同意")
    report = validator.validate(out)
    assert report.indication is Indication.TOTAL_PASSED, report
    sig = report.signatures[0]
    assert sig.signer == "示例科技有限公司"
    assert sig.signing_time is not None
    assert (sig.timestamp_time is not None) is (level is not SignatureLevel.B_B)
    reader = PdfFileReader(io.BytesIO(out))
    has_dss = "/DSS" in reader.root
    assert has_dss is (level in (SignatureLevel.B_LT, SignatureLevel.B_LTA))
    if has_dss:
        assert len(reader.root["/DSS"]["/CRLs"]) >= 2  # issuing CA and root CRLs
    doc_ts = [s for s in report.signatures if s.field_name.startswith("Timestamp")]
    assert len(doc_ts) == (1 if level is SignatureLevel.B_LTA else 0)
    assert out.startswith(one_page_pdf)  # an incremental update
    qpdf_check(out)


@pytest.fixture(scope="module")
def contract(
    signer: PyHankoPdfSigner,
    pki: TestPki,
    chinese_pdf: bytes,
    company_seal: bytes,
    square_seal: bytes,
    signature_png: bytes,
) -> list[bytes]:
    """Five successive actions on a 3-page Chinese contract; returns every intermediate document."""
    steps = [
        (
            pki.credential("甲方科技有限公司"),
            Stamp(StamperType.SEAL_CORPORATE, company_seal, KeywordPosition("甲方（盖章）", -1)),
            SignatureLevel.B_T,
        ),
        (
            pki.credential("王五"),
            Stamp(
                StamperType.SEAL_CORPORATE,
                square_seal,
                KeywordPosition("乙方（盖章）", -1, 0.05, -0.03),
                width_mm=20,
                height_mm=20,
            ),
            SignatureLevel.B_T,
        ),
        (
            pki.credential("李四"),
            Stamp(StamperType.SEAL_PERSONAL, signature_png, PagePosition(-1, 0.6, 0.15), width_mm=40, height_mm=16),
            SignatureLevel.B_LT,
        ),
        (pki.credential("甲方科技有限公司"), Stamp(StamperType.ACROSS_PAGE, company_seal), SignatureLevel.B_T),
        (
            pki.credential("甲方科技有限公司"),
            Stamp(StamperType.TIMESTAMP, b"", PagePosition(1, 0.65, 0.92), width_mm=45, height_mm=8),
            SignatureLevel.B_LTA,
        ),
    ]
    docs = [chinese_pdf]
    for cred, stamp, level in steps:
        docs.append(_sign(signer, docs[-1], cred, stamp, level=level))
    return docs


def test_five_signatures_as_incremental_updates_all_pass_our_validator(
    contract: list[bytes], validator: PyHankoSignatureValidator
) -> None:
    for i, doc in enumerate(contract[1:], start=1):
        assert doc.startswith(contract[i - 1])
    report = validator.validate(contract[-1])
    sigs = [s for s in report.signatures if not s.field_name.startswith("Timestamp")]
    assert len(sigs) == 5
    assert all(s.indication is Indication.TOTAL_PASSED for s in report.signatures), report
    assert [s.modification_level for s in sigs[:4]] == ["FORM_FILLING"] * 4
    assert sigs[0].covered_revision < sigs[1].covered_revision < sigs[4].covered_revision


def test_five_signatures_pass_pyhanko_own_validator(contract: list[bytes], pki: TestPki) -> None:
    reader = PdfFileReader(io.BytesIO(contract[-1]))
    assert len(reader.embedded_regular_signatures) == 5
    for emb in reader.embedded_regular_signatures:
        vc = ValidationContext(trust_roots=[pki.root.asn1], crls=pki.crls(), allow_fetching=False)
        status = validate_pdf_signature(emb, vc)
        assert status.bottom_line, status.pretty_print_details()
    for emb in reader.embedded_timestamp_signatures:
        ts = validate_pdf_timestamp(emb, ValidationContext(trust_roots=[pki.root.asn1], allow_fetching=False))
        assert ts.valid and ts.intact and ts.trusted


def test_five_signatures_pass_pdfsig_and_qpdf(
    contract: list[bytes], pdfsig: Callable[[bytes], list[dict[str, str]]], qpdf_check: Callable[[bytes], None]
) -> None:
    for doc in contract[1:]:
        qpdf_check(doc)
    blocks = pdfsig(contract[-1])
    cades = [b for b in blocks if b.get("Signature Type") == "ETSI.CAdES.detached"]
    assert len(cades) == 5, blocks
    for block in cades:
        assert block.get("Signature Validation") == "Signature is Valid.", block["raw"]
        assert block.get("Certificate Validation") == "Certificate is Trusted.", block["raw"]
    # poppler 22.12 cannot verify RFC 3161 document timestamps ("Unable to validate this type of
    # signature"); it lists the B-LTA timestamp unverified, and pyHanko checks it above.
    assert len(blocks) == 6
    assert all("not signed" not in b["raw"] for b in blocks)


def test_contract_widgets_land_where_asked(contract: list[bytes]) -> None:
    widgets = list(_widgets(contract[-1]).values())
    assert [page for page, _ in widgets[0]] == [2]  # last «甲方（盖章）»
    assert [page for page, _ in widgets[1]] == [2]
    assert [page for page, _ in widgets[2]] == [2]  # page -1
    assert [page for page, _ in widgets[3]] == [0, 1, 2]  # one slice per page
    for _, rect in widgets[3]:
        assert rect[2] == pytest.approx(595.2756, abs=0.01)  # at the right edge of A4
        assert rect[2] - rect[0] == pytest.approx(42 * 72 / 25.4 / 3, abs=0.01)
    assert [page for page, _ in widgets[4]] == [0]


def test_page_zero_stamps_every_page_and_minus_one_the_last(
    signer: PyHankoPdfSigner, pki: TestPki, three_page_pdf: bytes, company_seal: bytes
) -> None:
    out = _sign(
        signer,
        three_page_pdf,
        pki.credential(),
        Stamp(StamperType.SEAL_CORPORATE, company_seal, PagePosition(0, 0.1, 0.2)),
    )
    out = _sign(
        signer, out, pki.credential(), Stamp(StamperType.SEAL_PERSONAL, company_seal, PagePosition(-1, 0.5, 0.5))
    )
    first, second = _widgets(out).values()
    assert [p for p, _ in first] == [0, 1, 2]
    x, y = 0.1 * 595.2756, 0.2 * 841.8898
    assert first[0][1][:2] == pytest.approx([x, y], abs=0.01)
    assert [p for p, _ in second] == [2]


def test_across_page_on_one_page_document_is_the_whole_seal(
    signer: PyHankoPdfSigner, pki: TestPki, one_page_pdf: bytes, company_seal: bytes
) -> None:
    out = _sign(signer, one_page_pdf, pki.credential(), Stamp(StamperType.ACROSS_PAGE, company_seal))
    ((page, rect),) = next(iter(_widgets(out).values()))
    assert rect[2] - rect[0] == pytest.approx(42 * 72 / 25.4, abs=0.01)
    assert rect[2] == pytest.approx(595.2756, abs=0.01)


def test_hundred_page_document_with_seal_on_every_page(
    signer: PyHankoPdfSigner,
    validator: PyHankoSignatureValidator,
    pki: TestPki,
    hundred_page_pdf: bytes,
    company_seal: bytes,
    qpdf_check: Callable[[bytes], None],
) -> None:
    out = _sign(
        signer,
        hundred_page_pdf,
        pki.credential(),
        Stamp(StamperType.SEAL_CORPORATE, company_seal, PagePosition(-1, 0.5, 0.2)),
        Stamp(StamperType.ACROSS_PAGE, company_seal),
        level=SignatureLevel.B_T,
    )
    (marks,) = _widgets(out).values()
    assert len(marks) == 101
    assert validator.validate(out).indication is Indication.TOTAL_PASSED
    qpdf_check(out)


def test_sign_works_from_a_worker_thread_and_refuses_inside_an_event_loop(
    signer: PyHankoPdfSigner, pki: TestPki, one_page_pdf: bytes
) -> None:
    request = SignRequest(credential=pki.credential(), level=SignatureLevel.B_B)
    results: list[bytes] = []
    t = threading.Thread(target=lambda: results.append(signer.sign(one_page_pdf, request)))
    t.start()
    t.join()
    assert results and results[0].startswith(one_page_pdf)

    async def from_async() -> bytes:
        with pytest.raises(SigningError, match="worker thread"):
            signer.sign(one_page_pdf, request)
        return await asyncio.to_thread(signer.sign, one_page_pdf, request)

    assert asyncio.run(from_async()).startswith(one_page_pdf)


def test_concurrent_signing_from_a_thread_pool(
    signer: PyHankoPdfSigner,
    validator: PyHankoSignatureValidator,
    pki: TestPki,
    chinese_pdf: bytes,
    company_seal: bytes,
) -> None:
    """Thread-pool workers share one signer (cached signers, pdfium behind its lock)."""
    from concurrent.futures import ThreadPoolExecutor

    stamp = Stamp(StamperType.SEAL_CORPORATE, company_seal, KeywordPosition("乙方（盖章）", 0))

    def one(i: int) -> bytes:
        return _sign(signer, chinese_pdf, pki.credential(f"签署人{i}"), stamp, level=SignatureLevel.B_T)

    with ThreadPoolExecutor(max_workers=4) as pool:
        outputs = list(pool.map(one, range(8)))
    for out in outputs:
        assert validator.validate(out).indication is Indication.TOTAL_PASSED
        assert [p for p, _ in next(iter(_widgets(out).values()))] == [0, 1, 2]


class _TsaPort:
    """The core TimeStamper port (what the TSA engineer's adapter implements)."""

    def __init__(self, pki: TestPki, *, up: bool = True) -> None:
        self._tsa = pki.timestamper()
        self._up = up

    def timestamp(self, message_imprint: bytes, *, hash_algorithm: str = "sha256") -> bytes:
        if not self._up:
            raise SigningError("TSA unavailable")
        return asyncio.run(self._tsa.async_timestamp(message_imprint, hash_algorithm)).dump()


def test_core_timestamper_port_is_accepted(
    pki: TestPki, validator: PyHankoSignatureValidator, one_page_pdf: bytes
) -> None:
    signer = PyHankoPdfSigner(timestamper=_TsaPort(pki))
    out = signer.sign(one_page_pdf, SignRequest(credential=pki.credential(), level=SignatureLevel.B_T))
    (sig,) = validator.validate(out).signatures
    assert sig.indication is Indication.TOTAL_PASSED and sig.timestamp_time is not None
    down = PyHankoPdfSigner(timestamper=_TsaPort(pki, up=False))
    with pytest.raises(SigningError, match="TSA unavailable"):
        down.sign(one_page_pdf, SignRequest(credential=pki.credential(), level=SignatureLevel.B_T))


class _DownTsa(DummyTimeStamper):
    async def async_request_tsa_response(self, req):  # type: ignore[no-untyped-def]
        raise OSError("TSA unreachable")


class _UrllibTsa(TimeStamper):
    """A minimal RFC 3161 HTTP client (the TSA engineer's client is not needed for this)."""

    def __init__(self, url: str) -> None:
        super().__init__()
        self.url = url

    async def async_request_tsa_response(self, req):  # type: ignore[no-untyped-def]
        from asn1crypto import tsp

        request = urllib.request.Request(  # noqa: S310 — a fixed http://127.0.0.1 URL
            self.url, data=req.dump(), headers={"Content-Type": "application/timestamp-query"}
        )
        with urllib.request.urlopen(request, timeout=2) as resp:  # noqa: S310
            return tsp.TimeStampResp.load(resp.read())


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("level", [SignatureLevel.B_T, SignatureLevel.B_LT, SignatureLevel.B_LTA])
@pytest.mark.parametrize("tsa", ["raises", "closed-port"])
def test_tsa_unavailable_fails_and_never_downgrades(
    level: SignatureLevel, tsa: str, pki: TestPki, one_page_pdf: bytes
) -> None:
    timestamper = (
        _DownTsa(pki.tsa.asn1, pki.tsa.asn1_key)
        if tsa == "raises"
        else _UrllibTsa(f"http://127.0.0.1:{_closed_port()}/tsa")
    )
    signer = PyHankoPdfSigner(timestamper=timestamper, validation_context=pki.validation_context)
    with pytest.raises(SigningError):
        signer.sign(one_page_pdf, SignRequest(credential=pki.credential(), level=level))


def test_timestamp_level_without_tsa_is_refused(pki: TestPki, one_page_pdf: bytes) -> None:
    with pytest.raises(SigningError, match="time-stamping authority"):
        PyHankoPdfSigner().sign(one_page_pdf, SignRequest(credential=pki.credential(), level=SignatureLevel.B_T))


@pytest.mark.parametrize("level", [SignatureLevel.B_LT, SignatureLevel.B_LTA])
def test_revocation_data_unavailable_fails_b_lt(level: SignatureLevel, pki: TestPki, one_page_pdf: bytes) -> None:
    signer = PyHankoPdfSigner(
        timestamper=pki.timestamper(), validation_context=lambda: pki.validation_context(with_revinfo=False)
    )
    with pytest.raises(SigningError, match="revocation data unavailable"):
        signer.sign(one_page_pdf, SignRequest(credential=pki.credential(), level=level))


def test_b_lt_for_an_untrusted_signer_is_refused(pki: TestPki, stranger_pki: TestPki, one_page_pdf: bytes) -> None:
    signer = PyHankoPdfSigner(timestamper=pki.timestamper(), validation_context=pki.validation_context)
    with pytest.raises(SigningError):
        signer.sign(one_page_pdf, SignRequest(credential=stranger_pki.credential(), level=SignatureLevel.B_LT))


def test_vendor_errors_become_signing_errors(signer: PyHankoPdfSigner, pki: TestPki, company_seal: bytes) -> None:
    with pytest.raises(SigningError):
        signer.sign(b"%PDF-1.7\nnot really", SignRequest(credential=pki.credential(), level=SignatureLevel.B_B))


def test_stamp_without_image_or_position_is_refused(
    signer: PyHankoPdfSigner, pki: TestPki, one_page_pdf: bytes, company_seal: bytes
) -> None:
    with pytest.raises(SigningError, match="no image"):
        _sign(signer, one_page_pdf, pki.credential(), Stamp(StamperType.SEAL_CORPORATE, b"", PagePosition(1, 0.1, 0.1)))
    with pytest.raises(SigningError, match="no position"):
        _sign(signer, one_page_pdf, pki.credential(), Stamp(StamperType.SEAL_CORPORATE, company_seal))
    with pytest.raises(SigningError, match="cannot be read"):
        _sign(signer, one_page_pdf, pki.credential(), Stamp(StamperType.SEAL_CORPORATE, b"PNG?", PagePosition(1, 0, 0)))


def test_page_beyond_the_document_is_refused(
    signer: PyHankoPdfSigner, pki: TestPki, one_page_pdf: bytes, company_seal: bytes
) -> None:
    with pytest.raises(SigningError, match="page 2 does not exist"):
        _sign(
            signer,
            one_page_pdf,
            pki.credential(),
            Stamp(StamperType.SEAL_CORPORATE, company_seal, PagePosition(2, 0, 0)),
        )


def test_existing_field_name_is_refused(signer: PyHankoPdfSigner, pki: TestPki, one_page_pdf: bytes) -> None:
    out = signer.sign(one_page_pdf, SignRequest(credential=pki.credential(), level=SignatureLevel.B_B, field_name="A"))
    with pytest.raises(SigningError, match="already exists"):
        signer.sign(out, SignRequest(credential=pki.credential(), level=SignatureLevel.B_B, field_name="A"))


@pytest.mark.parametrize("make", [pdfs.form_pdf, pdfs.object_stream_pdf], ids=["acroform-and-annots", "object-streams"])
def test_documents_with_forms_annotations_and_xref_streams(
    make: Callable[[], bytes],
    signer: PyHankoPdfSigner,
    validator: PyHankoSignatureValidator,
    pki: TestPki,
    company_seal: bytes,
    pdfsig: Callable[[bytes], list[dict[str, str]]],
    qpdf_check: Callable[[bytes], None],
) -> None:
    doc = make()
    first = _sign(
        signer, doc, pki.credential(), Stamp(StamperType.SEAL_CORPORATE, company_seal, PagePosition(0, 0.6, 0.1))
    )
    out = _sign(signer, first, pki.credential(), Stamp(StamperType.ACROSS_PAGE, company_seal), level=SignatureLevel.B_T)
    assert [s.indication for s in validator.validate(out).signatures] == [Indication.TOTAL_PASSED] * 2
    blocks = pdfsig(out)
    assert [b.get("Signature Validation") for b in blocks] == ["Signature is Valid."] * 2
    qpdf_check(out)


def test_spec_parent_links_keep_pyhanko_happy_but_confuse_poppler(
    pki: TestPki,
    validator: PyHankoSignatureValidator,
    three_page_pdf: bytes,
    company_seal: bytes,
    pdfsig: Callable[[bytes], list[dict[str, str]]],
) -> None:
    """Why widgets of a multi-mark signature carry no /Parent by default."""
    signer = PyHankoPdfSigner(widget_parent_links=True)
    out = _sign(signer, three_page_pdf, pki.credential(), Stamp(StamperType.ACROSS_PAGE, company_seal))
    assert validator.validate(out).indication is Indication.TOTAL_PASSED
    blocks = pdfsig(out)
    assert len(blocks) == 3 and all("not signed" in b["raw"] for b in blocks)


def test_b_lt_for_a_revoked_signer_is_refused(pki: TestPki, one_page_pdf: bytes) -> None:
    leaf = pki.leaf("已吊销")
    crls = pki.crls(revoked=(leaf,))

    def context() -> ValidationContext:  # the CA engineer's context in soft-fail mode
        return ValidationContext(trust_roots=[pki.root.asn1], crls=crls, allow_fetching=False)

    signer = PyHankoPdfSigner(timestamper=pki.timestamper(), validation_context=context)
    with pytest.raises(SigningError, match="is revoked"):
        signer.sign(one_page_pdf, SignRequest(credential=pki.credential(leaf=leaf), level=SignatureLevel.B_LT))
