"""Signing-engine throughput, each figure a ratio to a baseline measured in the same run.

- sign: our engine end to end (new EC P-256 event key + certificate from our CA, visible seal,
  PAdES B-B incremental update) vs raw pyHanko signing the same file with a ready key and the same
  visible image (its defaults, and also with a fixed ``bytes_reserved``); 1-page and 100-page PDFs.
- validate: our validator (indication, diff analysis) vs raw pyHanko ``validate_pdf_signature``.
- growth: signing after 8 earlier signatures vs signing the unsigned file (ours and raw).
- crypto floor: signatures per second vs ``openssl speed ecdsap256`` signs per second.
Targets (issue 3): sign <= 1.3x raw pyHanko; validate <= 1.2x raw pyHanko.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from PIL import Image
from pyhanko.pdf_utils.images import PdfImage
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.stamp import StaticStampStyle
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from esign_adapters.pki.ca import InternalCertificateAuthority
from esign_adapters.pki.pyhanko_bridge import pyhanko_signer, validation_context
from esign_adapters.seals.renderer import PillowSealRenderer
from esign_adapters.security import AesGcmSecretBox
from esign_adapters.signing.signer import PyHankoPdfSigner
from esign_adapters.signing.validator import PyHankoSignatureValidator
from esign_adapters.system import SnowflakeIds, SystemClock
from esign_core.model.certificate import SubjectType
from esign_core.model.contract import StamperType
from esign_core.ports.signing import SealDesign, SealStyle, SignatureLevel, SignRequest, Stamp, Subject
from esign_core.values import PagePosition

SUBJECT = Subject("示例科技有限公司", SubjectType.ENTERPRISE, "91350100M000100Y43")
SEAL_MM = 42.0
BOX = (350.0, 100.0, 350.0 + SEAL_MM * 72 / 25.4, 100.0 + SEAL_MM * 72 / 25.4)


def make_pdf(pages: int) -> bytes:
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4, invariant=1)
    for i in range(pages):
        c.setFont("Helvetica", 11)
        for line in range(40):
            c.drawString(60, 780 - line * 18, f"Clause {i + 1}.{line + 1}: the parties agree to the terms below.")
        c.showPage()
    c.save()
    return out.getvalue()


def median_ms(fn: Callable[[], object], n: int) -> float:
    fn()  # warm
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


def openssl_signs_per_second() -> float | None:
    exe = shutil.which("openssl")
    if exe is None:
        return None
    out = subprocess.run([exe, "speed", "-seconds", "1", "ecdsap256"], capture_output=True, text=True).stdout
    m = re.search(r"256 bits ecdsa \(nistp256\)\s+\S+\s+\S+\s+([\d.]+)\s+([\d.]+)", out)
    return float(m.group(1)) if m else None


def run() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        clock = SystemClock()
        ca = InternalCertificateAuthority(Path(tmp) / "pki", secret_box=AesGcmSecretBox(os.urandom(32)), clock=clock,
                                          ids=SnowflakeIds(node=1))
        ca.init(at=clock.now())
        seal_png = PillowSealRenderer().render(SealDesign(SealStyle.COMPANY_ROUND, SUBJECT.name, "合同专用章"))
        ours = PyHankoPdfSigner()
        ready = ca.issue_long_term_certificate(SUBJECT, at=clock.now(), days=30)
        raw_signer = pyhanko_signer(ready)
        stamp_style = StaticStampStyle(background=PdfImage(Image.open(io.BytesIO(seal_png))), border_width=0,
                                       background_opacity=1)

        def sign_ours(pdf: bytes) -> bytes:
            cred = ca.issue_event_certificate(SUBJECT, at=clock.now())
            stamp = Stamp(StamperType.SEAL_CORPORATE, seal_png, PagePosition(1, 0.55, 0.1), SEAL_MM, SEAL_MM)
            return ours.sign(pdf, SignRequest(credential=cred, stamps=(stamp,), level=SignatureLevel.B_B))

        def sign_raw(pdf: bytes, reserved: int | None = None) -> bytes:
            w = IncrementalPdfFileWriter(io.BytesIO(pdf))
            name = f"Sig{len(PdfFileReader(io.BytesIO(pdf)).embedded_signatures) + 1}"
            meta = signers.PdfSignatureMetadata(field_name=name)
            pdf_signer = signers.PdfSigner(meta, raw_signer, stamp_style=stamp_style,
                                           new_field_spec=fields.SigFieldSpec(name, on_page=0, box=BOX))
            out = io.BytesIO()
            pdf_signer.sign_pdf(w, output=out, bytes_reserved=reserved)
            return out.getvalue()

        print(f"{'case':34} {'ours ms':>9} {'raw ms':>9} {'ratio':>7}  (raw fixed-reserve ms, ratio)")
        rates = {}
        for pages, n in ((1, 30), (100, 15)):
            pdf = make_pdf(pages)
            t_ours = median_ms(lambda pdf=pdf: sign_ours(pdf), n)
            t_raw = median_ms(lambda pdf=pdf: sign_raw(pdf), n)
            t_fixed = median_ms(lambda pdf=pdf: sign_raw(pdf, 6144), n)
            rates[pages] = 1000 / t_ours
            print(f"sign {pages:>3}-page, seal, event cert     {t_ours:9.1f} {t_raw:9.1f} {t_ours / t_raw:6.2f}x"
                  f"  ({t_fixed:.1f} ms, {t_ours / t_fixed:.2f}x)  target <= 1.30x")

        pdf = make_pdf(1)
        signed = sign_ours(pdf)
        validator = PyHankoSignatureValidator([ca.trust_anchors_pem()], crls=[ca.crl(), ca.root_crl()])

        def validate_raw() -> None:
            sig = PdfFileReader(io.BytesIO(signed)).embedded_signatures[0]
            assert validate_pdf_signature(sig, validation_context(ca)).bottom_line

        assert validator.validate(signed).indication.value == "TOTAL_PASSED"
        t_val = median_ms(lambda: validator.validate(signed), 30)
        t_val_raw = median_ms(validate_raw, 30)
        print(f"validate 1-page, 1 signature        {t_val:9.1f} {t_val_raw:9.1f} {t_val / t_val_raw:6.2f}x"
              "  target <= 1.20x")

        many, many_raw = pdf, pdf
        for _ in range(8):
            many = sign_ours(many)
            many_raw = sign_raw(many_raw)
        g_ours = median_ms(lambda: sign_ours(many), 15) / median_ms(lambda: sign_ours(pdf), 15)
        g_raw = median_ms(lambda: sign_raw(many_raw), 15) / median_ms(lambda: sign_raw(pdf), 15)
        print(f"growth: 9th signature / 1st          ours {g_ours:.2f}x, raw pyHanko {g_raw:.2f}x "
              f"(file {len(many) / len(pdf):.1f}x larger)")

        openssl = openssl_signs_per_second()
        if openssl:
            print(f"crypto floor: ours {rates[1]:.0f} signatures/s (1 page) = {rates[1] / openssl:.4f} of "
                  f"openssl ecdsap256 {openssl:.0f} signs/s")
