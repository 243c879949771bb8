"""Helpers for the conversion tests: page texts and renders with pypdfium2."""

from __future__ import annotations

import io
import subprocess
import tempfile

import pypdfium2
import pytest

from esign_adapters.convert import BuiltinConverter


@pytest.fixture(scope="session")
def builtin() -> BuiltinConverter:
    return BuiltinConverter()


def page_texts(pdf: bytes) -> list[str]:
    doc = pypdfium2.PdfDocument(pdf)
    try:
        return [page.get_textpage().get_text_range() for page in doc]
    finally:
        doc.close()


def render(pdf: bytes, index: int = 0) -> bytes:
    doc = pypdfium2.PdfDocument(pdf)
    try:
        img = doc[index].render(scale=0.5).to_pil().convert("RGB")
        return img.tobytes()
    finally:
        doc.close()


def qpdf_check(pdf: bytes) -> None:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(pdf)
        f.flush()
        result = subprocess.run(["qpdf", "--check", f.name], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def png(width: int, height: int, color: str = "red") -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, "PNG")
    return out.getvalue()
