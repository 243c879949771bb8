"""`esign seal make`, `esign sign` and `esign verify` on an activated SQLite installation."""

from __future__ import annotations

import io
import json

from PIL import Image
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from tests.cli.conftest import init_args


def _pdf(tmp_path, pages: int = 2):  # type: ignore[no-untyped-def]
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4)
    for i in range(pages):
        c.drawString(72, 700, f"Party A (seal): page {i + 1}")
        c.showPage()
    c.save()
    path = tmp_path / "in.pdf"
    path.write_bytes(out.getvalue())
    return path


def test_seal_make_writes_a_transparent_png_of_the_right_size(run, data_dir, licence_for, tmp_path):
    run(*init_args(data_dir, licence_for(data_dir)))
    out = tmp_path / "seal.png"
    done = run("--data-dir", str(data_dir), "seal", "make", "--style", "company", "--text", "示例科技有限公司",
               "--type-text", "合同专用章", "--out", str(out))
    assert done.exit_code == 0, done.output
    img = Image.open(out)
    assert img.mode == "RGBA" and img.size == (496, 496)  # 42 mm at 300 dpi
    assert img.getpixel((0, 0))[3] == 0


def test_sign_then_verify_passes_and_a_missing_keyword_is_a_clear_error(run, data_dir, licence_for, tmp_path):
    run(*init_args(data_dir, licence_for(data_dir)))
    src, dst = _pdf(tmp_path), tmp_path / "out.pdf"
    who = ["--name", "张三", "--type", "personal", "--code", "11010519491231002X"]
    signed = run("--data-dir", str(data_dir), "sign", str(src), str(dst), "--stamper",
                 "personal@keyword=Party A,index=-1,x=0.1,y=0", "--stamper", "across", *who, "--level", "B-T")
    assert signed.exit_code == 0, signed.output
    verified = run("--data-dir", str(data_dir), "verify", str(dst), "--json")
    assert verified.exit_code == 0, verified.output
    report = json.loads(verified.output)
    assert report["indication"] == "TOTAL_PASSED" and report["signatures"][0]["signer"] == "张三"
    assert report["signatures"][0]["timestamp"]

    missing = run("--data-dir", str(data_dir), "sign", str(src), str(tmp_path / "x.pdf"), "--stamper",
                  "personal@keyword=甲方不存在", *who)
    assert missing.exit_code == 6 and "甲方不存在" in missing.output
    assert not (tmp_path / "x.pdf").exists()


def test_bad_inputs_are_refused_clearly(run, data_dir, licence_for, tmp_path):
    run(*init_args(data_dir, licence_for(data_dir)))
    src = _pdf(tmp_path)
    truncated = tmp_path / "truncated.pdf"
    truncated.write_bytes(src.read_bytes()[:300])
    bad = run("--data-dir", str(data_dir), "verify", str(truncated))
    assert bad.exit_code == 2 and "[file]" in bad.output
    wrong_id = run("--data-dir", str(data_dir), "sign", str(src), str(tmp_path / "y.pdf"), "--stamper", "across",
                   "--name", "张三", "--type", "personal", "--code", "110105194912310021")
    assert wrong_id.exit_code == 2 and "id_number" in wrong_id.output
    bad_stamper = run("--data-dir", str(data_dir), "sign", str(src), str(tmp_path / "y.pdf"), "--stamper",
                      "company@x=0.5", "--name", "张三", "--type", "personal", "--code", "11010519491231002X")
    assert bad_stamper.exit_code == 2 and "stamper" in bad_stamper.output


def test_a_long_term_certificate_signs_repeatedly_until_revoked(run, data_dir, licence_for, tmp_path):
    run(*init_args(data_dir, licence_for(data_dir)))
    issued = run("--data-dir", str(data_dir), "pki", "issue", "--name", "示例科技有限公司", "--type", "enterprise",
                 "--code", "91350100M000100Y43")
    serial = next(line.split("│")[4].strip() for line in issued.output.splitlines() if "LONG_TERM" in line)
    src = _pdf(tmp_path)
    once, twice = tmp_path / "once.pdf", tmp_path / "twice.pdf"
    for a, b in ((src, once), (once, twice)):
        done = run("--data-dir", str(data_dir), "sign", str(a), str(b), "--stamper", "company@page=1,x=0.5,y=0.1",
                   "--certificate", serial)
        assert done.exit_code == 0, done.output
    report = json.loads(run("--data-dir", str(data_dir), "verify", str(twice), "--json").output)
    assert report["indication"] == "TOTAL_PASSED" and len(report["signatures"]) == 2
    assert run("--data-dir", str(data_dir), "pki", "revoke", serial, "--reason", "keyCompromise").exit_code == 0
    refused = run("--data-dir", str(data_dir), "sign", str(src), str(tmp_path / "no.pdf"), "--stamper", "across",
                  "--certificate", serial)
    assert refused.exit_code == 3 and "revoked" in refused.output


def test_seal_catalogue_and_seal_creation(run, data_dir, licence_for, tmp_path):
    run(*init_args(data_dir, licence_for(data_dir)))
    listed = run("--data-dir", str(data_dir), "seal", "type", "list").output
    assert "合同专用章" in listed and "启用" in listed
    tid = run("--data-dir", str(data_dir), "seal", "type", "add", "发票专用章").output.strip()
    assert run("--data-dir", str(data_dir), "seal", "type", "disable", tid).exit_code == 0
    assert "停用" in run("--data-dir", str(data_dir), "seal", "type", "list").output
    from esign_adapters.bootstrap import Platform
    from esign_adapters.settings import Settings

    platform = Platform.from_settings(Settings.load(data_dir))
    with platform.uow() as uow:
        org = uow.organizations.platform()
        contract_type = uow.seal_types.by_name("合同专用章")
    refused = run("--data-dir", str(data_dir), "seal", "create", "--org-id", str(org.id), "--type-id", tid)
    assert refused.exit_code == 3 and "disabled" in refused.output
    made = run("--data-dir", str(data_dir), "seal", "create", "--org-id", str(org.id), "--type-id",
               str(contract_type.id), "--code", "3501000001234")
    assert made.exit_code == 0, made.output
    shown = run("--data-dir", str(data_dir), "seal", "list", "--org-id", str(org.id)).output
    assert "合同专用章" in shown and "drawn" in shown
    with platform.uow() as uow:
        seal = uow.seals.get(int(made.output.strip()))
    image = Image.open(io.BytesIO(platform.blob_store.read(seal.image)))
    assert image.mode == "RGBA" and image.size == (496, 496)
