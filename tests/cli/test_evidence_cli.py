"""`esign evidence verify / report / notarize` on an activated SQLite installation: records go in
through the platform's units of work, rows are tampered with through sqlite3, and the report PDF is
read back with pypdfium2. The HTTP notary client is exercised against a local server."""

from __future__ import annotations

import hashlib
import hmac
import json
import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pytest

from esign_adapters.bootstrap import Platform
from esign_adapters.evidence_report import render_evidence_report
from esign_adapters.notary import HttpNotaryService, NotaryError
from esign_adapters.settings import Settings
from esign_core.errors import ConfigurationError, InvalidValue
from esign_core.model.evidence import CERTIFICATE_SERIAL, DOCUMENT_DIGEST, EvidenceRecord
from esign_core.services.commands import ChangeSettings
from esign_core.services.evidence import evidence_report_data
from esign_core.testing import FixedClock
from tests.cli.conftest import init_args
from tests.db import samples

NODE = "cli-node-1"
T0 = datetime(2026, 6, 1, 2, 30, tzinfo=UTC)
SECRET = "notary-shared-secret-0123456789"


@pytest.fixture
def installed(run, data_dir: Path, licence_for, monkeypatch: pytest.MonkeyPatch) -> Path:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ESIGN_EVIDENCE_NODE", NODE)
    result = run(*init_args(data_dir, licence_for(data_dir)))
    assert result.exit_code == 0, result.output
    return data_dir


def _platform(data_dir: Path) -> Platform:
    return Platform.from_settings(Settings.load(data_dir))


def _contract_with_log(data_dir: Path) -> int:
    """A contract with its document and certificate, and five evidence entries."""
    contract = samples.contract(biz_id="EVIDENCE-1")
    document = samples.document(contract.id)
    cert = samples.certificate("5e7a11")
    uow = _platform(data_dir).uow()
    with uow:
        uow.contracts.add(contract)
        uow.documents.add(document)
        uow.certificates.add(cert)
        uow.evidence.append(EvidenceRecord("contract.created", T0, contract.id, "admin", "10.8.0.1"))
        sent = T0 + timedelta(minutes=1)
        uow.evidence.append(EvidenceRecord("contract.sent", sent, contract.id, "admin", "10.8.0.1"))
        uow.commit()
    for n, who in enumerate(("福州测试科技有限公司", "王五", "抄送公司"), start=2):
        with uow:
            uow.evidence.append(EvidenceRecord(
                "contract.signed", T0 + timedelta(hours=n), contract.id, who, f"10.8.0.{n}",
                {CERTIFICATE_SERIAL: "5e7a11", DOCUMENT_DIGEST: document.current.digest.hex, "签署方": who},
            ))
            uow.commit()
    return contract.id


def _sql(data_dir: Path, statement: str, *params: Any) -> None:
    with sqlite3.connect(data_dir / "esign.db") as conn:
        conn.execute(statement, params)


def _pdf_text(path: Path) -> str:
    doc = pdfium.PdfDocument(path.read_bytes())
    try:
        return "\n".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))
    finally:
        doc.close()


# -- verify ----------------------------------------------------------------------------------------
def test_verify_says_ok_for_an_intact_log(run, installed: Path) -> None:
    _contract_with_log(installed)
    result = run("--data-dir", str(installed), "evidence", "verify")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("OK: 5 evidence entries on 1 node(s) verified")


def test_verify_names_an_edited_row(run, installed: Path) -> None:
    contract_id = _contract_with_log(installed)
    _sql(installed, "UPDATE evidence_entries SET ip = '6.6.6.6' WHERE node = ? AND sequence = 3", NODE)
    result = run("--data-dir", str(installed), "evidence", "verify")
    assert result.exit_code == 1
    assert f"node {NODE} sequence 3 (contract.signed, contract {contract_id}): edited" in result.output
    assert "FAILED: 1 problem(s)" in result.output


def test_verify_names_a_deleted_row(run, installed: Path) -> None:
    _contract_with_log(installed)
    _sql(installed, "DELETE FROM evidence_entries WHERE node = ? AND sequence = 2", NODE)
    result = run("--data-dir", str(installed), "evidence", "verify")
    assert result.exit_code == 1
    assert f"node {NODE} sequence 2: missing: 1 entry deleted before contract.signed" in result.output


def test_verify_names_deleted_newest_rows(run, installed: Path) -> None:
    _contract_with_log(installed)
    _sql(installed, "DELETE FROM evidence_entries WHERE sequence >= 4")
    result = run("--data-dir", str(installed), "evidence", "verify")
    assert result.exit_code == 1
    assert f"node {NODE} sequences 4-5: missing" in result.output


def test_verify_on_a_database_without_the_schema_asks_for_an_upgrade(run, data_dir: Path) -> None:
    result = run("--data-dir", str(data_dir), "evidence", "verify")
    assert result.exit_code == 6
    assert "esign db upgrade" in result.output


# -- report ----------------------------------------------------------------------------------------
def test_report_writes_a_pdf_with_the_contract_and_chinese_text(run, installed: Path, tmp_path: Path) -> None:
    contract_id = _contract_with_log(installed)
    out = tmp_path / "evidence.pdf"
    result = run("--data-dir", str(installed), "evidence", "report", str(contract_id), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "5 evidence entries" in result.output
    text = _pdf_text(out)
    assert str(contract_id) in text
    for expected in ("电子签约存证报告", "签署方", "福州测试科技有限公司", "王五", "校验通过", "签署日志", "10.8.0.3",
                     "5e7a11", "EVIDENCE-1"):
        assert expected in text, expected
    uow = _platform(installed).uow()
    with uow:
        first = next(iter(uow.evidence.entries(contract_id=contract_id)))
    assert first.entry_hash[:24] in text.replace("\n", "").replace("\r", "")


def test_report_shows_a_failed_verification(run, installed: Path, tmp_path: Path) -> None:
    contract_id = _contract_with_log(installed)
    _sql(installed, "UPDATE evidence_entries SET actor = 'mallory' WHERE sequence = 4")
    out = tmp_path / "evidence.pdf"
    result = run("--data-dir", str(installed), "evidence", "report", str(contract_id), "--out", str(out))
    assert result.exit_code == 0
    assert "problem" in result.output
    assert "校验未通过" in _pdf_text(out)


def test_report_of_an_unknown_contract_is_not_found(run, installed: Path, tmp_path: Path) -> None:
    result = run("--data-dir", str(installed), "evidence", "report", "12345", "--out", str(tmp_path / "x.pdf"))
    assert result.exit_code == 4
    assert not (tmp_path / "x.pdf").exists()


def test_a_name_outside_the_embedded_font_still_comes_out_as_text() -> None:
    from esign_core.testing import InMemoryDatabase, InMemoryUnitOfWork

    db = InMemoryDatabase()
    contract = samples.contract()
    contract.signatories[1].tenant_name = "王𠀾"  # U+2003E, outside GB 2312 and the shipped subset
    uow = InMemoryUnitOfWork(db)
    with uow:
        uow.contracts.add(contract)
        uow.evidence.append(EvidenceRecord("contract.created", T0, contract.id, "张三", None, {"note": "<b>&"}))
        uow.commit()
    pdf = render_evidence_report(evidence_report_data(contract.id, uow=InMemoryUnitOfWork(db), clock=FixedClock()))
    doc = pdfium.PdfDocument(pdf)
    text = "".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))
    assert "王𠀾" in text and "<b>&" in text


# -- notary ----------------------------------------------------------------------------------------
class _Notary(BaseHTTPRequestHandler):
    answer: tuple[int, bytes, dict[str, str]] = (200, b"", {})
    received: list[tuple[dict[str, str], bytes]] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append((dict(self.headers), body))
        status, payload, headers = type(self).answer
        if not payload:
            digest = json.loads(body)["digest"]
            payload = json.dumps({"receipt_id": f"R-{digest[:8]}", "at": "2026-06-02T10:00:00+08:00"}).encode()
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def notary_server() -> Iterator[str]:
    _Notary.answer, _Notary.received = (200, b"", {}), []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Notary)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/evidence"
    finally:
        server.shutdown()
        server.server_close()


def test_the_http_notary_signs_its_request_and_returns_the_receipt(notary_server: str) -> None:
    notary = HttpNotaryService(notary_server, secret=SECRET.encode(), key_id="esign-01")
    receipt = notary.submit("AB" * 32, title="采购合同")
    assert receipt.receipt_id == "R-abababab"
    assert receipt.at == datetime(2026, 6, 2, 2, 0, tzinfo=UTC)
    assert json.loads(receipt.raw)["receipt_id"] == "R-abababab"
    [(headers, body)] = _Notary.received
    sent = json.loads(body)
    assert (sent["digest"], sent["algorithm"], sent["title"]) == ("ab" * 32, "sha256", "采购合同")
    mac = hmac.new(SECRET.encode(), headers["X-Esign-Timestamp"].encode() + b"." + body, hashlib.sha256)
    assert headers["X-Esign-Signature"] == f"v1={mac.hexdigest()}"
    assert headers["X-Esign-Key-Id"] == "esign-01"


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ((500, b"oops", {}), "HTTP 500"),
        ((302, b"", {"Location": "http://127.0.0.1:1/elsewhere"}), "HTTP 302"),
        ((200, b"<html>", {}), "not JSON"),
        ((200, b'{"ok": true}', {}), "no receipt_id"),
    ],
)
def test_notary_failures_become_notary_errors(notary_server: str, answer, message: str) -> None:  # type: ignore[no-untyped-def]
    _Notary.answer = answer
    with pytest.raises(NotaryError, match=message) as caught:
        HttpNotaryService(notary_server, secret=SECRET.encode()).submit("ab" * 32, title="t")
    assert caught.value.code == "port.notary"


def test_an_unreachable_notary_is_a_notary_error() -> None:
    notary = HttpNotaryService("http://127.0.0.1:9/", secret=SECRET.encode(), timeout=2)
    with pytest.raises(NotaryError, match="unreachable"):
        notary.submit("ab" * 32, title="t")


def test_notary_configuration_is_checked(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="https"):
        HttpNotaryService("http://notary.example.com/x", secret=SECRET.encode())
    with pytest.raises(ConfigurationError, match="16 bytes"):
        HttpNotaryService("https://notary.example.com/x", secret=b"short")
    with pytest.raises(ConfigurationError, match="secret"):
        HttpNotaryService.from_settings({"url": "https://notary.example.com/x"}, env={})
    secret_file = tmp_path / "notary.secret"
    secret_file.write_text(SECRET + "\n")
    built = HttpNotaryService.from_settings({"url": "https://n.example.com/", "secret_file": str(secret_file)}, env={})
    assert built.secret == SECRET.encode() and SECRET not in repr(built)
    with pytest.raises(InvalidValue):
        built.submit("not-a-digest", title="t")


def test_notarize_submits_every_document_hash_and_keeps_the_receipts(
    run, installed: Path, notary_server: str, tmp_path: Path
) -> None:
    contract_id = _contract_with_log(installed)
    platform = _platform(installed)
    platform.settings.save(notary={"url": notary_server, "secret": SECRET})
    off = run("--data-dir", str(installed), "evidence", "notarize", str(contract_id))
    assert off.exit_code == 0 and "switched off" in off.output and _Notary.received == []
    platform.handle(ChangeSettings("evidence", {"notary_enabled": True}))
    result = run("--data-dir", str(installed), "evidence", "notarize", str(contract_id))
    assert result.exit_code == 0, result.output
    uow = platform.uow()
    with uow:
        [document] = uow.documents.of_contract(contract_id)
    digest = document.current.digest.hex
    assert f"receipt R-{digest[:8]}" in result.output
    assert [json.loads(body)["digest"] for _, body in _Notary.received] == [digest]
    # 5 contract entries, the notary receipt and the audit record of switching the notary on
    assert run("--data-dir", str(installed), "evidence", "verify").output.startswith("OK: 7 evidence entries")
    out = tmp_path / "evidence.pdf"
    assert run("--data-dir", str(installed), "evidence", "report", str(contract_id), "--out", str(out)).exit_code == 0
    assert f"R-{digest[:8]}" in _pdf_text(out)
