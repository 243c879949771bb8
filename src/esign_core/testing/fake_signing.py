"""Fakes of the PDF ports for unit tests: a screener that checks the header, a signer that appends
a marker naming the certificate, and a validator that reads the markers back."""

from __future__ import annotations

import re

from esign_core.errors import InvalidValue, SigningError
from esign_core.ports.signing import PdfInfo, SignRequest
from esign_core.values import Indication, SignatureReport, ValidationReport

_MARK = re.compile(rb"%FAKE-SIGNATURE serial=([0-9a-f]+) signer=(\S*)\n")


class FakePdfScreener:
    def screen(self, pdf: bytes) -> PdfInfo:
        if not pdf.startswith(b"%PDF-"):
            raise InvalidValue("file", "not a PDF")
        return PdfInfo(pages=max(pdf.count(b"/Type /Page\n"), 1), size=len(pdf),
                       signature_count=len(_MARK.findall(pdf)))


class FakePdfSigner:
    def __init__(self) -> None:
        self.fail_with: str | None = None

    def sign(self, pdf: bytes, request: SignRequest) -> bytes:
        if self.fail_with:
            raise SigningError(self.fail_with)
        name = request.signer_name.replace(" ", "_")
        return pdf + f"%FAKE-SIGNATURE serial={request.credential.certificate.serial} signer={name}\n".encode()


class FakeSignatureValidator:
    def validate(self, pdf: bytes) -> ValidationReport:
        return ValidationReport(tuple(
            SignatureReport(field_name=f"Signature{i + 1}", indication=Indication.TOTAL_PASSED,
                            signer=m.group(2).decode(), covered_revision=i + 1)
            for i, m in enumerate(_MARK.finditer(pdf))
        ))
