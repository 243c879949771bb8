"""Fixtures for the signing engine: a test PKI with TSA, seal images, documents, the signer and the
validator, and the external checkers (poppler ``pdfsig`` with an NSS database, ``qpdf``)."""

from __future__ import annotations

import io
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from esign_adapters.signing.signer import PyHankoPdfSigner
from esign_adapters.signing.validator import PyHankoSignatureValidator
from tests.conftest import service_unavailable
from tests.signing import pdfs
from tests.signing.testpki import TestPki


@pytest.fixture(scope="session")
def pki() -> TestPki:
    return TestPki.create()


@pytest.fixture(scope="session")
def stranger_pki() -> TestPki:
    return TestPki.create("stranger")


def _png(size: tuple[int, int], draw: Callable[[ImageDraw.ImageDraw], None]) -> bytes:
    img = Image.new("RGBA", size, (0, 0, 0, 0))
    draw(ImageDraw.Draw(img))
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


@pytest.fixture(scope="session")
def company_seal() -> bytes:
    """A red ring with a star, transparent background (stand-in for PillowSealRenderer output)."""

    def draw(d: ImageDraw.ImageDraw) -> None:
        d.ellipse((8, 8, 488, 488), outline=(220, 20, 20, 255), width=22)
        d.regular_polygon((248, 248, 70), 5, fill=(220, 20, 20, 255))

    return _png((496, 496), draw)


@pytest.fixture(scope="session")
def square_seal() -> bytes:
    return _png((300, 300), lambda d: d.rectangle((6, 6, 294, 294), outline=(200, 0, 0, 255), width=16))


@pytest.fixture(scope="session")
def signature_png() -> bytes:
    return _png((400, 160), lambda d: d.line((10, 120, 120, 30, 220, 130, 390, 40), fill=(0, 0, 0, 255), width=8))


@pytest.fixture(scope="session")
def cjk_font(tmp_path_factory: pytest.TempPathFactory) -> str:
    name = pdfs.cjk_font_name(str(tmp_path_factory.mktemp("fonts")))
    if name is None:
        service_unavailable("no CJK font found (apt-get install fonts-noto-cjk)")
    return name  # type: ignore[return-value]


@pytest.fixture(scope="session")
def chinese_pdf(cjk_font: str) -> bytes:
    return pdfs.chinese_pdf(cjk_font, pages=3)


@pytest.fixture(scope="session")
def one_page_pdf() -> bytes:
    return pdfs.latin_pdf(1)


@pytest.fixture(scope="session")
def three_page_pdf() -> bytes:
    return pdfs.latin_pdf(3)


@pytest.fixture(scope="session")
def hundred_page_pdf() -> bytes:
    return pdfs.latin_pdf(100, compress=True)


@pytest.fixture(scope="session")
def signer(pki: TestPki) -> PyHankoPdfSigner:
    return PyHankoPdfSigner(timestamper=pki.timestamper(), validation_context=pki.validation_context)


@pytest.fixture(scope="session")
def validator(pki: TestPki) -> PyHankoSignatureValidator:
    return PyHankoSignatureValidator([pki.root.pem], crls=pki.crls())


# -- external checkers ----------------------------------------------------------------------


def _tool(name: str, package: str) -> str:
    path = shutil.which(name)
    if path is None:
        service_unavailable(f"{name} not installed (apt-get install {package})")
    return path  # type: ignore[return-value]


@pytest.fixture(scope="session")
def qpdf_check(tmp_path_factory: pytest.TempPathFactory) -> Callable[[bytes], None]:
    qpdf = _tool("qpdf", "qpdf")
    folder = tmp_path_factory.mktemp("qpdf")

    def check(pdf: bytes) -> None:
        path = folder / "check.pdf"
        path.write_bytes(pdf)
        done = subprocess.run([qpdf, "--check", str(path)], capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stdout + done.stderr

    return check


@pytest.fixture(scope="session")
def pdfsig(pki: TestPki, tmp_path_factory: pytest.TempPathFactory) -> Callable[[bytes], list[dict[str, str]]]:
    """Runs poppler's pdfsig against an NSS database that trusts the test root; returns one dict
    per signature block (field name, type, validation lines)."""
    pdfsig_bin = _tool("pdfsig", "poppler-utils")
    certutil = _tool("certutil", "libnss3-tools")
    folder: Path = tmp_path_factory.mktemp("nss")
    root_pem = folder / "root.pem"
    root_pem.write_bytes(pki.root.pem)
    db = f"sql:{folder}"
    subprocess.run([certutil, "-N", "-d", db, "--empty-password"], check=True, capture_output=True)
    subprocess.run(
        [certutil, "-A", "-d", db, "-n", "root", "-t", "C,C,C", "-i", str(root_pem)], check=True, capture_output=True
    )

    def run(pdf: bytes) -> list[dict[str, str]]:
        path = folder / "doc.pdf"
        path.write_bytes(pdf)
        done = subprocess.run([pdfsig_bin, "-nssdir", db, str(path)], capture_output=True, text=True, check=False)
        blocks: list[dict[str, str]] = []
        for line in done.stdout.splitlines():
            if line.startswith("Signature #"):
                blocks.append({"raw": ""})
            elif blocks:
                blocks[-1]["raw"] += line.strip() + "\n"
                key, _, value = line.strip().lstrip("- ").partition(": ")
                blocks[-1][key] = value
        return blocks

    return run
