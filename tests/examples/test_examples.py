"""Every example in examples/ runs: the ten-line script (as a user runs it, in a subprocess, and
checked by poppler's pdfsig), the Flask app through Flask's test client, and the background jobs
through their job runner on a real data directory (SQLite)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import esign
from esign_adapters.licensing import generate_vendor_keys, issue_licence
from esign_core.model.installation import Quotas
from tests.embedding.conftest import make_pdf
from tests.embedding.test_open_platform import activate, two_party
from tests.examples.conftest import EXAMPLES, load_example


def test_the_sign_and_verify_script_is_at_most_ten_lines_of_code() -> None:
    code = [line for line in (EXAMPLES / "sign_and_verify.py").read_text().splitlines()
            if line.strip() and not line.lstrip().startswith(("#", '"""'))]
    assert len(code) <= 10, code


def test_the_sign_and_verify_script_signs_for_real(tmp_path: Path) -> None:
    src, dst = tmp_path / "in.pdf", tmp_path / "out.pdf"
    src.write_bytes(make_pdf())
    proc = subprocess.run([sys.executable, str(EXAMPLES / "sign_and_verify.py"), str(src), str(dst)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "TOTAL_PASSED"
    if shutil.which("pdfsig") is None:
        pytest.skip("pdfsig (poppler-utils) is not installed")
    report = subprocess.run(["pdfsig", str(dst)], capture_output=True, text=True).stdout
    assert "Signature is Valid" in report and "张三" in report


@pytest.fixture
def flask_app():  # type: ignore[no-untyped-def]
    pytest.importorskip("flask")
    module = load_example("flask_app")
    platform = module.open_demo_platform()
    app = module.create_app(platform)
    app.config["TESTING"] = True
    yield app, platform
    platform.close()


def test_the_flask_form_creates_a_contract_the_company_has_sealed(flask_app) -> None:  # type: ignore[no-untyped-def]
    app, platform = flask_app
    client = app.test_client()
    assert b'name="subject"' in client.get("/").data
    answer = client.post("/contracts", content_type="multipart/form-data", data={
        "subject": "租赁合同", "name": "王五", "mobile": "13900139002",
        "file": (__import__("io").BytesIO(make_pdf()), "lease.pdf")})
    assert answer.status_code == 303
    location = answer.headers["Location"]
    contract_id = int(re.search(r"/contracts/(\d+)$", location).group(1))  # type: ignore[union-attr]
    shown = client.get(location).get_json()
    assert shown["subject"] == "租赁合同" and shown["status"] == "SIGNING"
    assert [(s["name"], s["status"]) for s in shown["signatories"]] == [
        ("示例集团有限公司", "COMPLETE"), ("王五", "SIGNING")]
    platform.sign_contract_as_person(contract_id, name="王五", contact="13900139002", id_number="11010519491231002X")
    pdf = client.get(f"/contracts/{contract_id}/file").data
    report = platform.verify_pdf(pdf)
    assert report.indication is esign.Indication.TOTAL_PASSED and len(report.signatures) == 2


def test_the_flask_app_answers_refusals_with_the_error_code(flask_app) -> None:  # type: ignore[no-untyped-def]
    app, _platform = flask_app
    client = app.test_client()
    bad = client.post("/contracts", content_type="multipart/form-data", data={
        "subject": "x", "name": "王五", "mobile": "13900139002",
        "file": (__import__("io").BytesIO(b"not a pdf"), "x.pdf")})
    assert bad.status_code == 400 and bad.get_json()["fields"]["field"] == "file"
    bad_mobile = client.post("/contracts", content_type="multipart/form-data", data={
        "subject": "x", "name": "王五", "mobile": "12", "file": (__import__("io").BytesIO(make_pdf("m")), "m.pdf")})
    assert bad_mobile.status_code == 400
    assert client.get("/contracts/42").status_code == 404


def test_background_jobs_seal_and_archive_through_the_job_runner(tmp_path: Path) -> None:
    jobs = load_example("background_job")
    private, public = generate_vendor_keys(tmp_path / "vendor")
    data_dir = tmp_path / "esign-data"
    data_dir.mkdir()
    (data_dir / "licence-vendor.pub").write_bytes(public.read_bytes())
    with esign.open_platform(data_dir) as platform:  # the web application's side
        platform.migrate()
        code = issue_licence(private.read_bytes(), product_code=platform.product_code, licensee="x",
                             expires_at=datetime.now(UTC) + timedelta(days=30), quotas=Quotas())
        activate(platform, code)
        platform.create_seal(authorize_member_ids=[m.id for m in platform.members()])
        doc = platform.upload_document("采购合同", make_pdf("job"))
        contract_id = platform.create_contract("采购合同", documents=[doc], signatories=two_party(doc), ordinal=True)
        platform.sign_contract_as_company(contract_id)
        platform.sign_contract_as_person(contract_id, name="王五", contact="13900139002",
                                         id_number="11010519491231002X")
        other_doc = platform.upload_document("补充协议", make_pdf("other"))
        pending = platform.create_contract("补充协议", documents=[other_doc], signatories=two_party(other_doc),
                                           ordinal=True)
    runner = jobs.JobRunner()
    sealed = runner.enqueue(jobs.seal_contract, pending, data_dir=str(data_dir))
    again = runner.enqueue(jobs.seal_contract, pending, data_dir=str(data_dir))
    archived = runner.enqueue(jobs.archive_contract, contract_id, data_dir=str(data_dir), out_dir=str(tmp_path))
    refused = runner.enqueue(jobs.archive_contract, pending, data_dir=str(data_dir), out_dir=str(tmp_path))
    runner.run_until_empty()
    assert runner.results[sealed] == "SIGNING"  # the person has yet to sign
    assert isinstance(runner.errors[again], esign.InvalidTransition)  # the company already sealed
    (path,) = runner.results[archived]
    with esign.open_platform(data_dir) as platform:
        assert platform.verify_pdf(Path(path).read_bytes()).indication is esign.Indication.TOTAL_PASSED
    assert isinstance(runner.errors[refused], esign.InvalidTransition)
