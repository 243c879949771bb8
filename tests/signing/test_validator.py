"""PyHankoSignatureValidator against the attack classes of security.md §1, built in code from
documents our signer produced, plus trust problems (untrusted root, revoked, expired)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name

from esign_adapters.signing.signer import PyHankoPdfSigner, default_signer_factory
from esign_adapters.signing.validator import PyHankoSignatureValidator
from esign_core.errors import InvalidValue
from esign_core.model.contract import StamperType
from esign_core.ports.signing import SignatureLevel, SignRequest, Stamp
from esign_core.values import Indication, PagePosition, SignatureReport
from tests.signing import attacks, pdfs
from tests.signing.testpki import TestPki


@pytest.fixture(scope="module")
def signed(signer: PyHankoPdfSigner, pki: TestPki, one_page_pdf: bytes, company_seal: bytes) -> bytes:
    """One visible B-T signature over an uncompressed one-page document."""
    stamp = Stamp(StamperType.SEAL_CORPORATE, company_seal, PagePosition(1, 0.5, 0.3))
    return signer.sign(
        one_page_pdf,
        SignRequest(credential=pki.credential("甲方"), stamps=(stamp,), level=SignatureLevel.B_T, reason="同意"),
    )


@pytest.fixture(scope="module")
def twice_signed(signer: PyHankoPdfSigner, pki: TestPki, signed: bytes) -> bytes:
    return signer.sign(signed, SignRequest(credential=pki.credential("乙方"), level=SignatureLevel.B_B))


def _only(validator: PyHankoSignatureValidator, pdf: bytes, index: int = 0) -> SignatureReport:
    return validator.validate(pdf).signatures[index]


def test_untouched_document_passes(validator: PyHankoSignatureValidator, signed: bytes) -> None:
    sig = _only(validator, signed)
    assert (sig.indication, sig.sub_indication, sig.modification_level) == (Indication.TOTAL_PASSED, None, "NONE")


def test_byte_flip_in_signed_content_is_hash_failure(validator: PyHankoSignatureValidator, signed: bytes) -> None:
    tampered = attacks.flip_signed_byte(signed, b"Total amount: 100000")
    sig = _only(validator, tampered)
    assert (sig.indication, sig.sub_indication) == (Indication.TOTAL_FAILED, "HASH_FAILURE")


def test_incremental_update_changing_page_content_fails_though_pdfsig_says_valid(
    validator: PyHankoSignatureValidator, signed: bytes, pdfsig: Callable[[bytes], list[dict[str, str]]]
) -> None:
    tampered = attacks.replace_page_content(signed)
    sig = _only(validator, tampered)
    assert (sig.indication, sig.modification_level) == (Indication.TOTAL_FAILED, "OTHER")
    assert sig.sub_indication == "FORMAT_FAILURE"
    # poppler only checks the byte range: the naive verdict we do better than
    (block,) = pdfsig(tampered)
    assert block["Signature Validation"] == "Signature is Valid."
    assert "Not total document signed" in block["raw"]


def test_page_added_after_signing_fails(validator: PyHankoSignatureValidator, signed: bytes) -> None:
    sig = _only(validator, attacks.add_page(signed))
    assert (sig.indication, sig.sub_indication, sig.modification_level) == (
        Indication.TOTAL_FAILED,
        "FORMAT_FAILURE",
        "OTHER",
    )


def test_page_removed_after_signing_fails(
    signer: PyHankoPdfSigner, validator: PyHankoSignatureValidator, pki: TestPki, three_page_pdf: bytes
) -> None:
    signed3 = signer.sign(three_page_pdf, SignRequest(credential=pki.credential(), level=SignatureLevel.B_B))
    sig = _only(validator, attacks.remove_last_page(signed3))
    assert (sig.indication, sig.modification_level) == (Indication.TOTAL_FAILED, "OTHER")


def test_byte_range_garbled_in_place_is_format_failure(validator: PyHankoSignatureValidator, signed: bytes) -> None:
    report = validator.validate(attacks.garble_byte_range_in_place(signed))
    assert len(report.signatures) == 1  # reported, never skipped
    assert (report.signatures[0].indication, report.signatures[0].sub_indication) == (
        Indication.TOTAL_FAILED,
        "FORMAT_FAILURE",
    )


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda d: d.__setitem__(pdf_name("/ByteRange"), generic.NullObject()), id="byterange-null"),
        pytest.param(lambda d: d.__delitem__(pdf_name("/ByteRange")), id="byterange-missing"),
        pytest.param(lambda d: d.__setitem__(pdf_name("/Contents"), generic.NullObject()), id="contents-null"),
        pytest.param(
            lambda d: d.__setitem__(pdf_name("/Contents"), generic.ByteStringObject(b"\0" * 64)), id="contents-zero"
        ),
    ],
)
def test_universal_signature_forgery_is_format_failure(
    validator: PyHankoSignatureValidator, signed: bytes, change: Callable[[generic.DictionaryObject], None]
) -> None:
    report = validator.validate(attacks.override_sig_dict(signed, change))
    assert len(report.signatures) == 1
    assert (report.signatures[0].indication, report.signatures[0].sub_indication) == (
        Indication.TOTAL_FAILED,
        "FORMAT_FAILURE",
    )


@pytest.mark.parametrize(
    "ranges",
    [
        pytest.param(lambda a, b, c, n: [0, a, b, c // 2, b + c // 2, c - c // 2], id="three-ranges"),
        pytest.param(lambda a, b, c, n: [0, a, b, c - 20], id="tail-uncovered"),
        pytest.param(lambda a, b, c, n: [0, a - 40, b, c], id="gap-bigger-than-contents"),
        pytest.param(lambda a, b, c, n: [10, a - 10, b, c], id="not-from-zero"),
    ],
)
def test_signature_wrapping_coverage_anomalies_fail(
    validator: PyHankoSignatureValidator, pki: TestPki, signed: bytes, ranges: Callable[..., list[int]]
) -> None:
    wrapped = attacks.resign_with_byte_range(signed, default_signer_factory(pki.credential("甲方")), ranges)
    sig = _only(validator, wrapped)
    assert (sig.indication, sig.sub_indication) == (Indication.TOTAL_FAILED, "FORMAT_FAILURE")


def test_resigning_helper_is_sound(validator: PyHankoSignatureValidator, pki: TestPki, signed: bytes) -> None:
    """Control for the wrapping test: the same re-signing with the standard ranges passes."""
    same = attacks.resign_with_byte_range(
        signed, default_signer_factory(pki.credential("甲方")), lambda a, b, c, n: [0, a, b, c]
    )
    assert _only(validator, same).indication is Indication.TOTAL_PASSED


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda d: d.__setitem__(pdf_name("/Reason"), generic.TextStringObject("不同意")), id="reason"),
        pytest.param(
            lambda d: d.__setitem__(pdf_name("/M"), generic.pdf_date(datetime(2020, 1, 1, tzinfo=UTC))),
            id="signing-time",
        ),
        pytest.param(lambda d: d.__setitem__(pdf_name("/Name"), generic.TextStringObject("Mallory")), id="name"),
    ],
)
def test_signature_dictionary_spoofing_is_reported(
    validator: PyHankoSignatureValidator, signed: bytes, change: Callable[[generic.DictionaryObject], None]
) -> None:
    original = _only(validator, signed)
    sig = _only(validator, attacks.override_sig_dict(signed, change))
    assert sig.indication is not Indication.TOTAL_PASSED
    assert sig.indication is Indication.TOTAL_FAILED
    assert sig.signing_time == original.signing_time  # the signed revision's value is shown


def test_shadow_hide_attack_is_not_passed(
    signer: PyHankoPdfSigner, validator: PyHankoSignatureValidator, pki: TestPki
) -> None:
    prepared = pdfs.shadow_pdf()
    signed_shadow = signer.sign(prepared, SignRequest(credential=pki.credential(), level=SignatureLevel.B_B))
    assert _only(validator, signed_shadow).indication is Indication.TOTAL_PASSED
    revealed = attacks.hide_overlay(signed_shadow)
    sig = _only(validator, revealed)
    assert sig.indication is Indication.TOTAL_FAILED
    assert sig.modification_level == "OTHER"


def test_earlier_signature_stays_intact_after_a_second_signature(
    validator: PyHankoSignatureValidator, twice_signed: bytes
) -> None:
    report = validator.validate(twice_signed)
    assert [s.indication for s in report.signatures] == [Indication.TOTAL_PASSED] * 2
    assert report.signatures[0].modification_level == "FORM_FILLING"


def test_tampering_after_two_signatures_fails_both(validator: PyHankoSignatureValidator, twice_signed: bytes) -> None:
    report = validator.validate(attacks.replace_page_content(twice_signed))
    assert [s.indication for s in report.signatures] == [Indication.TOTAL_FAILED] * 2


def test_untrusted_root_is_indeterminate(stranger_pki: TestPki, signed: bytes) -> None:
    sig = _only(PyHankoSignatureValidator([stranger_pki.root.der]), signed)
    assert (sig.indication, sig.sub_indication) == (Indication.INDETERMINATE, "NO_CERTIFICATE_CHAIN_FOUND")


def test_revoked_signer_is_not_passed(signer: PyHankoPdfSigner, pki: TestPki, one_page_pdf: bytes) -> None:
    leaf = pki.leaf("被吊销")
    out = signer.sign(one_page_pdf, SignRequest(credential=pki.credential(leaf=leaf), level=SignatureLevel.B_B))
    validator = PyHankoSignatureValidator([pki.root.pem], crls=pki.crls(revoked=(leaf,)))
    sig = _only(validator, out)
    assert sig.indication is not Indication.TOTAL_PASSED
    assert sig.sub_indication is not None and sig.sub_indication.startswith("REVOKED")


def test_expired_event_certificate_passes_on_its_timestamp_only(
    signer: PyHankoPdfSigner, pki: TestPki, one_page_pdf: bytes
) -> None:
    leaf = pki.leaf("短期证书", days=1)
    cred = pki.credential(leaf=leaf)
    later = PyHankoSignatureValidator([pki.root.pem], crls=pki.crls(), clock=lambda: pki.now + timedelta(days=3))
    with_ts = signer.sign(one_page_pdf, SignRequest(credential=cred, level=SignatureLevel.B_T))
    assert _only(later, with_ts).indication is Indication.TOTAL_PASSED
    without_ts = signer.sign(one_page_pdf, SignRequest(credential=cred, level=SignatureLevel.B_B))
    sig = _only(later, without_ts)
    assert sig.indication is Indication.INDETERMINATE
    assert sig.sub_indication in {"EXPIRED", "OUT_OF_BOUNDS_NO_POE", "OUT_OF_BOUNDS_NOT_REVOKED"}


def test_unsigned_document_has_no_signatures(validator: PyHankoSignatureValidator, one_page_pdf: bytes) -> None:
    report = validator.validate(one_page_pdf)
    assert report.signatures == () and report.indication is Indication.INDETERMINATE


def test_non_pdf_is_invalid_value(validator: PyHankoSignatureValidator) -> None:
    with pytest.raises(InvalidValue):
        validator.validate(b"definitely not a pdf")


def test_validation_report_fields(validator: PyHankoSignatureValidator, signed: bytes) -> None:
    sig = _only(validator, signed)
    assert sig.signer == "甲方"
    assert sig.timestamp_time is not None and sig.signing_time is not None
    assert sig.covered_revision == 1


@pytest.mark.parametrize(
    ("level", "expected"),
    [
        (SignatureLevel.B_B, Indication.INDETERMINATE),
        (SignatureLevel.B_LT, Indication.TOTAL_PASSED),
        (SignatureLevel.B_LTA, Indication.TOTAL_PASSED),
    ],
)
def test_a_month_later_long_term_levels_still_pass(
    level: SignatureLevel, expected: Indication, signer: PyHankoPdfSigner, pki: TestPki, one_page_pdf: bytes
) -> None:
    """The event certificate has expired and the embedded CRLs are stale; B-LT/B-LTA pass on their
    timestamp and DSS (with the CA's current CRL for the TSA), B-B cannot."""
    out = signer.sign(one_page_pdf, SignRequest(credential=pki.credential(), level=level))
    at = pki.now + timedelta(days=30)
    later = PyHankoSignatureValidator([pki.root.pem], crls=pki.crls(at=at), clock=lambda: at)
    assert {s.indication for s in later.validate(out).signatures} == {expected}


def test_revocation_after_a_long_term_signature_does_not_invalidate_it(
    signer: PyHankoPdfSigner, pki: TestPki, one_page_pdf: bytes
) -> None:
    """The signer's certificate is revoked an hour after a B-LT signature: the signature timestamp
    and the DSS prove it was made while the certificate was good."""
    leaf = pki.leaf("后来吊销")
    out = signer.sign(one_page_pdf, SignRequest(credential=pki.credential(leaf=leaf), level=SignatureLevel.B_LT))
    at = pki.now + timedelta(hours=2)
    crls = pki.crls(revoked=(leaf,), at=at, revoked_at=pki.now + timedelta(hours=1))
    later = PyHankoSignatureValidator([pki.root.pem], crls=crls, clock=lambda: at)
    assert _only(later, out).indication is Indication.TOTAL_PASSED
