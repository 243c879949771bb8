"""The engine as the platform builds it (our CA, our TSA, ``CaBoundSigner``): the fast path signs
B-B/B-T with event certificates, B-LT goes to pyHanko, and ``fast=False`` turns the fast path off."""

from __future__ import annotations

import pytest

from esign_adapters.pki import InternalCertificateAuthority
from esign_adapters.signing.engine import CaBoundSigner, CaBoundValidator
from esign_adapters.tsa import InternalTimeStamper
from esign_core.model.contract import StamperType
from esign_core.ports.signing import SignatureLevel, SignRequest, Stamp
from esign_core.testing import FixedClock
from esign_core.values import Indication, PagePosition
from tests.pki.conftest import COMPANY
from tests.signing import pdfs


@pytest.fixture(scope="module")
def seal() -> bytes:
    import io

    from PIL import Image, ImageDraw

    img = Image.new("RGBA", (200, 200), (0, 0, 0, 0))
    ImageDraw.Draw(img).ellipse((5, 5, 195, 195), outline=(220, 20, 20, 255), width=12)
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


@pytest.mark.parametrize("fast", [True, False])
def test_engine_signs_b_b_b_t_and_b_lt(fast: bool, ca: InternalCertificateAuthority, tsa: InternalTimeStamper,
                                       clock: FixedClock, seal: bytes) -> None:
    signer = CaBoundSigner(ca, lambda: tsa, clock.now, fast=fast)
    validator = CaBoundValidator(ca, clock.now)
    doc = pdfs.latin_pdf(2)
    for level in (SignatureLevel.B_B, SignatureLevel.B_T, SignatureLevel.B_LT):
        credential = ca.issue_event_certificate(COMPANY, at=clock.now())
        stamp = Stamp(StamperType.SEAL_CORPORATE, seal, PagePosition(1, 0.5, 0.1))
        doc = signer.sign(doc, SignRequest(credential=credential, stamps=(stamp,), level=level))
    reports = validator.validate(doc).signatures
    assert [r.indication for r in reports] == [Indication.TOTAL_PASSED] * 3
    assert reports[0].timestamp_time is None and reports[1].timestamp_time is not None
    expected = {"fast": 2, "fallback": {"level B-LT": 1}} if fast else {"fast": 0, "fallback": {}}
    assert signer.stats.snapshot() == expected
