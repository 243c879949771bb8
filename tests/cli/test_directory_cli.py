"""``esign orgs|members|contacts|users``: templates downloaded from the app, filled and imported;
mixed files, re-imports, exports, management commands."""

from __future__ import annotations

from pathlib import Path

import openpyxl

from esign_core.model.import_rows import ImportKind
from tests.cli.conftest import init_args
from tests.directory.workbooks import filled, sheet_values

PLATFORM = "测试集团有限公司"


def _init(run, data_dir: Path, licence_for) -> list[str]:  # type: ignore[no-untyped-def]
    assert run(*init_args(data_dir, licence_for(data_dir))).exit_code == 0
    return ["--data-dir", str(data_dir)]


def test_each_downloaded_template_filled_with_valid_rows_imports_cleanly_and_reimport_is_a_noop(
        run, data_dir: Path, licence_for, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    d = _init(run, data_dir, licence_for)
    cases = [
        ("orgs", [], ImportKind.ORG_UNITS,
         [["华东分公司", PLATFORM, "企业", "91350100M000100Y43", "李雷", "13900000001"],
          ["华东销售部", "华东分公司", "部门", None, "韩梅梅", "13900000002"]]),
        ("orgs", ["--external"], ImportKind.EXTERNAL_ENTERPRISES,
         [["某某供应商有限公司", None, "王五", "13700000001"]]),
        ("members", [], ImportKind.MEMBERS, [["赵六", "13600000001", None, None, "E01", "华东销售部"],
                                            ["钱七", None, "qian@example.com", None, None, PLATFORM]]),
        ("contacts", ["--kind", "enterprise"], ImportKind.ENTERPRISE_CONTACTS,
         [["C1", "某某客户有限公司", "孙八", "13500000001", None]]),
        ("contacts", ["--kind", "personal"], ImportKind.PERSONAL_CONTACTS, [["P1", "周九", None, "zhou@example.com"]]),
    ]
    for group, extra, kind, rows in cases:
        template = tmp_path / f"{kind.value}.xlsx"
        got = run(*d, group, "template", *extra, "-o", str(template))
        assert got.exit_code == 0, got.output
        path = filled(kind, rows, tmp_path / f"{kind.value}-filled.xlsx", template=template.read_bytes())
        first = run(*d, group, "import", str(path), *extra)
        assert first.exit_code == 0, first.output
        assert f"created {len(rows)}, updated 0, skipped 0, rejected 0" in first.output
        again = run(*d, group, "import", str(path), *extra)
        assert f"created 0, updated 0, skipped {len(rows)}, rejected 0" in again.output, again.output
    listed = run(*d, "members", "list", "--org", "华东销售部")
    assert "赵六" in listed.output and "E01" in listed.output
    contacts = run(*d, "contacts", "list", "--kind", "enterprise")
    assert "孙八" in contacts.output


def test_a_mixed_file_writes_the_error_workbook_and_changes_nothing(
        run, data_dir: Path, licence_for, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    d = _init(run, data_dir, licence_for)
    path = filled(ImportKind.MEMBERS, [
        ["好人", "13600000001", None, None, None, PLATFORM],
        ["坏手机", "12345", None, None, None, PLATFORM],
        ["", "13600000003", None, None, None, PLATFORM],
        ["重复", "13600000001", None, None, None, PLATFORM],
        ["无单位", "13600000005", None, None, None, "不存在的部门"],
        ["坏证件", "13600000006", None, "110101199003070000", None, PLATFORM],
    ], tmp_path / "mixed.xlsx")
    errors = tmp_path / "errors.xlsx"
    got = run(*d, "members", "import", str(path), "--errors", str(errors))
    assert got.exit_code == 1
    assert "created 1, updated 0, skipped 0, rejected 5" in got.output
    rows = sheet_values(errors.read_bytes())
    assert [r[-2] for r in rows[1:]] == [3, 4, 5, 6, 7]
    reasons = " ".join(str(r[-1]) for r in rows[1:])
    assert "手机号格式错误" in reasons and "必填" in reasons and "重复" in reasons and "不存在" in reasons
    assert "身份证号格式错误" in reasons
    listed = run(*d, "members", "list", "--org", PLATFORM)
    assert "好人" not in listed.output  # atomic: nothing written
    partial = run(*d, "members", "import", str(path), "--partial", "--errors", str(errors))
    assert "created 1" in partial.output
    assert "好人" in run(*d, "members", "list", "--org", PLATFORM).output


def test_exports_neutralise_formulas(run, data_dir: Path, licence_for, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    d = _init(run, data_dir, licence_for)
    assert run(*d, "contacts", "add", "--name", "=HYPERLINK(\"http://x\")", "--mobile", "13500000009").exit_code == 0
    out = tmp_path / "c.xlsx"
    assert run(*d, "contacts", "export", "--format", "xlsx", "-o", str(out)).exit_code == 0
    ws = openpyxl.load_workbook(out).worksheets[0]
    assert ws.cell(2, 3).value == "'=HYPERLINK(\"http://x\")" and ws.cell(2, 3).data_type == "s"
    csv_out = tmp_path / "c.csv"
    assert run(*d, "contacts", "export", "--format", "csv", "-o", str(csv_out)).exit_code == 0
    assert "'=HYPERLINK" in csv_out.read_text(encoding="utf-8-sig")


def test_manage_org_certify_freeze_delete_and_callbacks(run, data_dir: Path, licence_for) -> None:  # type: ignore[no-untyped-def]
    d = _init(run, data_dir, licence_for)
    org_id = run(*d, "orgs", "add-external", "外部甲公司", "--admin", "甲", "--mobile", "13700000002").output.strip()
    assert run(*d, "orgs", "certify", org_id, "--uscc", "91350100M000100Y43", "--legal-person", "甲").exit_code == 0
    assert "APPLIED" in run(*d, "orgs", "list", "--external").output
    assert run(*d, "orgs", "decide", org_id, "--reject", "--reason", "营业执照模糊").exit_code == 0
    assert "REJECTED" in run(*d, "orgs", "list", "--external").output
    assert run(*d, "orgs", "freeze", org_id).exit_code == 0
    assert "frozen" in run(*d, "orgs", "list", "--external").output
    refused = run(*d, "orgs", "callbacks", "--enterprise-success", "http://127.0.0.1:8080/cb")
    assert refused.exit_code == 2 and "allow-list" in refused.output
    allowed = run(*d, "orgs", "callbacks", "--enterprise-success", "http://127.0.0.1:8080/cb", "--allow", "127.0.0.1")
    assert allowed.exit_code == 0
    assert run(*d, "orgs", "delete", org_id).exit_code == 0
    assert "外部甲公司" not in run(*d, "orgs", "list", "--external").output


def test_users_filters_certification_and_totp(run, data_dir: Path, licence_for) -> None:  # type: ignore[no-untyped-def]
    import pyotp

    d = _init(run, data_dir, licence_for)
    uid = run(*d, "users", "add", "--name", "吴十", "--mobile", "13300000001", "--passwordless").output.strip()
    assert run(*d, "users", "certification", uid, "PASSED").output.strip() == "updated"
    listed = run(*d, "users", "list", "--status", "PASSED")
    assert "吴十" in listed.output and "张三" not in listed.output
    assert "吴十" not in run(*d, "users", "list", "--account", "138").output
    first = run(*d, "users", "totp", uid).output
    secret = first.split("secret:")[1].split()[0]
    wrong = run(*d, "users", "totp", uid, "--secret", secret, "--code", "000000")
    assert wrong.exit_code == 2
    bound = run(*d, "users", "totp", uid, "--secret", secret, "--code", pyotp.TOTP(secret).now())
    assert bound.output.strip() == "bound"
    assert "已绑定" in run(*d, "users", "list", "--name", "吴").output


def test_members_and_contacts_edit_and_orgs_move(run, data_dir: Path, licence_for) -> None:  # type: ignore[no-untyped-def]
    d = _init(run, data_dir, licence_for)
    sales = run(*d, "orgs", "add-internal", "销售部", "--parent", PLATFORM, "--admin", "甲", "--mobile", "13900000001",
                "--department").output.strip()
    run(*d, "orgs", "add-internal", "技术部", "--parent", PLATFORM, "--admin", "乙", "--mobile", "13900000002",
        "--department")
    team = run(*d, "orgs", "add-internal", "北区组", "--parent", "销售部", "--admin", "丙", "--mobile", "13900000003",
               "--department").output.strip()
    moved = run(*d, "orgs", "move", team, "--parent", "技术部")
    assert moved.exit_code == 0 and moved.output.strip() == "moved", moved.output
    cycle = run(*d, "orgs", "move", sales, "--parent", "销售部")
    assert cycle.exit_code != 0 and "under itself" in cycle.output, cycle.output
    top = run(*d, "orgs", "move", run(*d, "orgs", "list").output.split()[0], "--parent", "技术部")
    assert top.exit_code != 0 and "top-level" in top.output, top.output

    mid = run(*d, "members", "add", "--org", "销售部", "--name", "赵六", "--mobile", "13600000001").output.strip()
    edited = run(*d, "members", "edit", mid, "--number", "E09", "--email", "zhao@example.com")
    assert edited.exit_code == 0, edited.output
    listed = run(*d, "members", "list", "--org", "销售部").output
    assert "赵六" in listed and "E09" in listed
    bad = run(*d, "members", "edit", mid, "--mobile", "12345")
    assert bad.exit_code != 0, bad.output
    taken = run(*d, "members", "edit", mid, "--mobile", "13900000002")  # 乙's account
    assert taken.exit_code != 0 and "another user" in taken.output, taken.output

    cid = run(*d, "contacts", "add", "--kind", "enterprise", "--enterprise", "客户公司", "--name", "孙八",
              "--mobile", "13500000001").output.strip()
    run(*d, "contacts", "add", "--kind", "enterprise", "--enterprise", "客户公司", "--name", "李四",
        "--mobile", "13500000002")
    assert run(*d, "contacts", "edit", cid, "--name", "孙八八", "--email", "sun@example.com").exit_code == 0
    contacts = run(*d, "contacts", "list", "--kind", "enterprise").output
    assert "孙八八" in contacts and "sun@example.com" in contacts and "13500000001" in contacts
    assert run(*d, "contacts", "edit", cid, "--email", "bad@").exit_code == 2
    duplicate = run(*d, "contacts", "edit", cid, "--mobile", "13500000002")
    assert duplicate.exit_code != 0, duplicate.output
