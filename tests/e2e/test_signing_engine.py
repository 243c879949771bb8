"""The signing engine's acceptance test, with real processes and real tools: a Chinese contract
gets an enterprise seal, a legal-person seal, a personal signature, a cross-page seal and a
timestamp through `esign sign`; `esign verify`, pyHanko and poppler's pdfsig (fetching OCSP from
our running server) all report every signature valid; tampering gives TOTAL_FAILED."""

from __future__ import annotations

import io
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature

from esign_adapters.bootstrap import Platform
from esign_adapters.licensing import generate_vendor_keys, issue_licence, product_code
from esign_adapters.pki.pyhanko_bridge import validation_context
from esign_adapters.settings import Settings
from esign_core.model.installation import Quotas
from tests.conftest import service_unavailable
from tests.signing import pdfs

BIN = Path(sys.executable).parent
ESIGN = str(BIN / "esign") if (BIN / "esign").exists() else (shutil.which("esign") or "esign")
USCC = "91350100M000100Y43"
ID_NUMBER = "11010519491231002X"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _tool(name: str, package: str) -> str:
    path = shutil.which(name)
    if path is None:
        service_unavailable(f"{name} not installed (apt-get install {package})")
    return str(path)


@pytest.fixture(scope="module")
def installation(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, str], str]]:
    """An activated installation whose CA points its OCSP/CRL URLs at a running `esign serve`."""
    tmp = tmp_path_factory.mktemp("engine")
    data_dir = tmp / "esign-data"
    data_dir.mkdir()
    port = _free_port()
    env = {**os.environ, "ESIGN_DATA_DIR": str(data_dir), "ESIGN_PORT": str(port)}
    priv, pub = generate_vendor_keys(tmp / "vendor")
    shutil.copy(pub, data_dir / "licence-vendor.pub")
    code = issue_licence(priv.read_bytes(), product_code=product_code(data_dir), licensee="示例科技有限公司",
                         expires_at=datetime.now(UTC) + timedelta(days=30), quotas=Quotas())
    init = subprocess.run(
        [ESIGN, "init", "--licence", code, "--admin-username", "admin", "--admin-password", "Passw0rd2026",
         "--platform-name", "示例科技有限公司", "--platform-uscc", USCC, "--platform-admin-name", "张三",
         "--platform-admin-mobile", "13812345678"], env=env, capture_output=True, text=True, timeout=120)
    assert init.returncode == 0, init.stdout + init.stderr
    log = (tmp / "serve.log").open("w")
    server = subprocess.Popen([ESIGN, "serve"], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/pki/crl", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, (tmp / "serve.log").read_text()
            time.sleep(0.3)
        yield data_dir, env, f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=15)
        log.close()


def _esign(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([ESIGN, *args], env=env, capture_output=True, text=True, timeout=180)


@pytest.fixture(scope="module")
def contract(installation: tuple[Path, dict[str, str], str], tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir, env, _ = installation
    tmp = tmp_path_factory.mktemp("contract")
    font = pdfs.cjk_font_name(str(tmp))
    if font is None:
        service_unavailable("no CJK font to build the Chinese contract (apt-get install fonts-noto-cjk)")
    src = tmp / "contract.pdf"
    src.write_bytes(pdfs.chinese_pdf(font, pages=3))
    lp = tmp / "lp.png"
    assert _esign(env, "seal", "make", "--style", "lp", "--text", "张三", "--out", str(lp)).returncode == 0
    enterprise = ["--name", "示例科技有限公司", "--type", "enterprise", "--code", USCC]
    person = ["--name", "张三", "--type", "personal", "--code", ID_NUMBER]
    steps = [
        ["--stamper", "company@keyword=甲方（盖章）,index=1,x=0.1,y=0", *enterprise],
        ["--stamper", "lp@keyword=甲方（盖章）,index=-1,x=0.25,y=0", "--seal", str(lp), "--seal-size", "22", *person],
        ["--stamper", "personal@keyword=乙方（盖章）,index=-1,x=0.15,y=0", *person],
        ["--stamper", "across", *enterprise],
        ["--stamper", "timestamp@page=1,x=0.65,y=0.9", *enterprise],
    ]
    current = src
    for i, step in enumerate(steps, 1):
        out = tmp / f"step{i}.pdf"
        done = _esign(env, "sign", str(current), str(out), "--level", "B-LT", *step)
        assert done.returncode == 0, f"step {i}: {done.stdout}{done.stderr}"
        current = out
    return current


def test_our_validator_reports_five_signatures_total_passed(installation, contract: Path) -> None:
    _, env, _ = installation
    done = _esign(env, "verify", str(contract), "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert report["indication"] == "TOTAL_PASSED"
    assert len(report["signatures"]) == 5
    assert {s["signer"] for s in report["signatures"]} >= {"示例科技有限公司", "张三"}


def test_pyhanko_agrees(installation, contract: Path) -> None:
    data_dir, _, _ = installation
    ca = Platform.from_settings(Settings.load(data_dir)).ca
    reader = PdfFileReader(io.BytesIO(contract.read_bytes()))
    assert len(reader.embedded_signatures) == 5
    for sig in reader.embedded_signatures:
        status = validate_pdf_signature(sig, validation_context(ca))
        assert status.bottom_line, status.pretty_print_details()


def test_pdfsig_reports_every_signature_valid_and_trusted(installation, contract: Path, tmp_path: Path) -> None:
    data_dir, env, _ = installation
    pdfsig, certutil, qpdf = _tool("pdfsig", "poppler-utils"), _tool("certutil", "libnss3-tools"), _tool("qpdf", "qpdf")
    root = tmp_path / "root.pem"
    assert _esign(env, "pki", "root", "--out", str(root)).returncode == 0
    db = f"sql:{tmp_path}"
    subprocess.run([certutil, "-N", "-d", db, "--empty-password"], check=True, capture_output=True)
    subprocess.run([certutil, "-A", "-d", db, "-n", "esign-root", "-t", "C,C,C", "-i", str(root)], check=True,
                   capture_output=True)
    out = subprocess.run([pdfsig, "-nssdir", db, str(contract)], capture_output=True, text=True).stdout
    assert out.count("Signature is Valid.") == 5, out
    assert out.count("Certificate is Trusted.") == 5, out
    assert subprocess.run([qpdf, "--check", str(contract)], capture_output=True).returncode == 0


def test_a_flipped_byte_or_an_appended_page_change_fails(installation, contract: Path, tmp_path: Path) -> None:
    _, env, _ = installation
    data = bytearray(contract.read_bytes())
    pos = data.index(b"stream", 200) + 20  # inside the first page's signed content
    data[pos] ^= 0x01
    flipped = tmp_path / "flipped.pdf"
    flipped.write_bytes(bytes(data))
    report = json.loads(_esign(env, "verify", str(flipped), "--json").stdout)
    assert report["indication"] == "TOTAL_FAILED"
    assert any(s["sub_indication"] == "HASH_FAILURE" for s in report["signatures"])

    writer = IncrementalPdfFileWriter(io.BytesIO(contract.read_bytes()))
    page = writer.root["/Pages"]["/Kids"][0].get_object()
    from pyhanko.pdf_utils import generic

    stream = generic.StreamObject(stream_data=b"BT /F1 24 Tf 100 500 Td (PAID) Tj ET")
    page["/Contents"] = generic.ArrayObject([page.raw_get("/Contents"), writer.add_object(stream)])
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    edited = tmp_path / "edited.pdf"
    edited.write_bytes(out.getvalue())
    done = _esign(env, "verify", str(edited), "--json")
    assert done.returncode == 1
    report = json.loads(done.stdout)
    assert report["indication"] == "TOTAL_FAILED"
    assert {s["modification_level"] for s in report["signatures"]} == {"OTHER"}
