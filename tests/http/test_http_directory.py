"""用户管理 in the console: templates downloaded from the app and uploaded back (.xlsx and .xls)
with htmx progress polling, the error workbook of a mixed file (nothing changed), a re-import that
changes nothing, refused bombs, org management, certification callbacks (127.0.0.1 refused unless
allow-listed), personal-user filters and detail, contacts, exports, English pages."""

from __future__ import annotations

import io
import time
import zipfile

import openpyxl
import pytest
from http_flows import activate, csrf_of, login

from esign_core.model.import_rows import ImportKind
from tests.directory.workbooks import filled, sheet_values

PLATFORM_NAME = None  # read from the page


@pytest.fixture
def logged_in(client, platform, licence_for):
    activate(client, platform, licence_for(platform.product_code))
    assert login(client).status_code == 302
    return client


def _platform_name(platform) -> str:  # type: ignore[no-untyped-def]
    with platform.uow() as uow:
        return uow.organizations.platform().name


def _upload(client, kind: ImportKind, data: bytes, filename: str, *, partial: bool = False):  # type: ignore[no-untyped-def]
    page = client.get(f"/console/users/import/{kind.value}")
    token = csrf_of(page.text)
    form = {"_csrf_token": token, **({"partial": "on"} if partial else {})}
    return client.post(f"/console/users/import/{kind.value}", data=form, files={"file": (filename, data)},
                       follow_redirects=False)


def _finish(client, location: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Poll the job as htmx does until the fragment stops polling (no time assertion)."""
    for _ in range(600):
        fragment = client.get(location, headers={"hx-request": "true"})
        assert fragment.status_code == 200 and "<html" not in fragment.text
        if 'hx-trigger="every 1s"' not in fragment.text:
            return {"html": fragment.text}
        time.sleep(0.05)
    raise AssertionError("the import never finished")


def test_directory_pages_need_a_login(client, platform, licence_for):
    activate(client, platform, licence_for(platform.product_code))
    r = client.get("/console/users/orgs", follow_redirects=False)
    assert r.status_code == 302 and "/console/login" in r.headers["location"]


@pytest.mark.parametrize("fmt", ["xlsx", "xls"])
def test_downloaded_template_filled_and_uploaded_imports_then_reimport_changes_nothing(
        logged_in, platform, tmp_path, fmt):  # type: ignore[no-untyped-def]
    name = _platform_name(platform)
    template = logged_in.get(f"/console/users/template/{ImportKind.MEMBERS.value}/xlsx")
    assert template.status_code == 200 and "attachment" in template.headers["content-disposition"]
    path = filled(ImportKind.MEMBERS, [["王五", "13700000001", None, None, "E1", name],
                                       ["赵六", None, "zhao@example.com", None, None, name]],
                  tmp_path / "m.xlsx", template=template.content)
    data = path.read_bytes()
    if fmt == "xls":
        from esign_adapters.spreadsheets.writing import xlsx_to_xls

        xls_template = logged_in.get(f"/console/users/template/{ImportKind.MEMBERS.value}/xls")
        assert xls_template.content.startswith(b"\xd0\xcf\x11\xe0")
        data = xlsx_to_xls(data)
    for expected in ("新增 2，更新 0，跳过 0，拒绝 0", "新增 0，更新 0，跳过 2，拒绝 0"):
        r = _upload(logged_in, ImportKind.MEMBERS, data, f"m.{fmt}")
        assert r.status_code in (302, 303), r.text
        done = _finish(logged_in, r.headers["location"])
        assert expected in done["html"]
    assert "王五" in logged_in.get("/console/users/people", params={"name": "王"}).text


def test_a_mixed_upload_gives_the_error_workbook_and_changes_nothing(logged_in, platform, tmp_path):  # type: ignore[no-untyped-def]
    name = _platform_name(platform)
    path = filled(ImportKind.PERSONAL_CONTACTS, [["P1", "甲", "13500000001", None], ["P2", "乙", "999", None]],
                  tmp_path / "c.xlsx")
    r = _upload(logged_in, ImportKind.PERSONAL_CONTACTS, path.read_bytes(), "c.xlsx")
    done = _finish(logged_in, r.headers["location"])["html"]
    assert "拒绝 1" in done and 'id="import-not-applied"' in done
    errors = logged_in.get(r.headers["location"] + "/errors.xlsx")
    rows = sheet_values(errors.content)
    assert rows[1][1] == "乙" and rows[1][-2] == 3 and "手机号格式错误" in rows[1][-1]
    assert "甲" not in logged_in.get("/console/users/contacts", params={"kind": "personal"}).text
    del name


def test_a_zip_bomb_upload_is_refused_with_a_clear_message(logged_in, tmp_path):  # type: ignore[no-untyped-def]
    path = filled(ImportKind.PERSONAL_CONTACTS, [["P1", "甲", "13500000001", None]], tmp_path / "c.xlsx")
    buf = io.BytesIO()
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, zin.read(info.filename))
        zout.writestr("xl/pad.xml", b"\0" * (30 * 1024 * 1024))
    r = _upload(logged_in, ImportKind.PERSONAL_CONTACTS, buf.getvalue(), "bomb.xlsx")
    done = _finish(logged_in, r.headers["location"])["html"]
    assert 'id="import-failed"' in done and "zip bomb" in done


def test_org_management_and_certification_page(logged_in, platform):  # type: ignore[no-untyped-def]
    page = logged_in.get("/console/users/orgs")
    assert page.status_code == 200 and "组织架构管理" in page.text
    token = csrf_of(page.text)
    r = logged_in.post("/console/users/orgs/add-external", data={"_csrf_token": token, "name": "外部甲公司",
                                                                "admin_name": "甲", "admin_mobile": "13700000009"},
                       follow_redirects=False)
    assert r.status_code in (302, 303)
    with platform.uow() as uow:
        org = uow.organizations.by_name("外部甲公司")
    page = logged_in.get("/console/users/orgs")
    assert "外部甲公司" in page.text
    post = lambda action, **data: logged_in.post(f"/console/users/orgs/{action}", data={  # noqa: E731
        "_csrf_token": csrf_of(logged_in.get("/console/users/orgs").text), "org_id": str(org.id), **data},
        follow_redirects=False)
    assert post("certify", uscc="9111010871234567X3", legal_person="甲").status_code in (302, 303)
    bad = post("certify", uscc="9111010871234567X3", legal_person="甲")
    assert bad.status_code == 409 and 'id="form-error"' in bad.text
    cert = logged_in.get("/console/users/certification")
    assert "APPLIED" in cert.text
    assert post("reject", reason="执照模糊").status_code in (302, 303)
    assert "执照模糊" in logged_in.get("/console/users/certification").text
    export = logged_in.get("/console/users/export/certification/csv")
    assert "外部甲公司" in export.content.decode("utf-8-sig") and "REJECTED" in export.content.decode("utf-8-sig")
    assert post("freeze").status_code in (302, 303)
    assert "已冻结" in logged_in.get("/console/users/orgs").text
    assert post("delete").status_code in (302, 303)
    assert "外部甲公司" not in logged_in.get("/console/users/orgs").text


def test_callback_to_127_0_0_1_is_refused_unless_allow_listed(logged_in):  # type: ignore[no-untyped-def]
    page = logged_in.get("/console/users/certification")
    form = {"_csrf_token": csrf_of(page.text), "enterprise_success_url": "http://127.0.0.1:9999/ok"}
    refused = logged_in.post("/console/users/callbacks", data=form, follow_redirects=False)
    assert refused.status_code == 400 and 'id="form-error"' in refused.text
    saved = logged_in.post("/console/users/callbacks", data={**form, "allow_list": "127.0.0.1"},
                           follow_redirects=False)
    assert saved.status_code in (302, 303)
    assert 'value="http://127.0.0.1:9999/ok"' in logged_in.get("/console/users/certification").text


def test_people_filters_detail_and_certification_update(logged_in, platform):  # type: ignore[no-untyped-def]
    page = logged_in.get("/console/users/people")
    token = csrf_of(page.text)
    r = logged_in.post("/console/users/people/add", data={"_csrf_token": token, "name": "孙七",
                                                          "mobile": "13600000007"}, follow_redirects=False)
    assert r.status_code in (302, 303)
    detail = logged_in.get(r.headers["location"])
    assert "孙七" in detail.text and "136****0007" in detail.text and "13600000007" not in detail.text
    user_id = r.headers["location"].rsplit("/", 1)[1]
    logged_in.post("/console/users/people/certification", data={
        "_csrf_token": csrf_of(detail.text), "user_id": user_id, "status": "PASSED"})
    assert "孙七" in logged_in.get("/console/users/people", params={"status": "PASSED"}).text
    assert "孙七" not in logged_in.get("/console/users/people", params={"status": "UNSUBMIT"}).text
    assert "孙七" in logged_in.get("/console/users/people", params={"account": "0007"}).text
    assert "孙七" not in logged_in.get("/console/users/people", params={"created_to": "2000-01-01"}).text
    bad = logged_in.get("/console/users/people", params={"created_from": "yesterday"})
    assert bad.status_code == 400


def test_contacts_export_neutralises_formulas(logged_in):  # type: ignore[no-untyped-def]
    page = logged_in.get("/console/users/contacts", params={"kind": "enterprise"})
    r = logged_in.post("/console/users/contacts/add", data={
        "_csrf_token": csrf_of(page.text), "kind": "enterprise", "enterprise_name": "=cmd|'/C calc'!A0",
        "name": "联系人", "mobile": "13500000002"}, follow_redirects=False)
    assert r.status_code in (302, 303)
    data = logged_in.get("/console/users/export/enterprise-contacts/xlsx").content
    ws = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    assert ws.cell(2, 2).value == "'=cmd|'/C calc'!A0" and ws.cell(2, 2).data_type == "s"


def test_english_pages(logged_in):  # type: ignore[no-untyped-def]
    logged_in.cookies.set("esign_lang", "en")
    text = logged_in.get("/console/users/orgs").text
    assert "Organization structure" in text and "Batch import" in text
    assert "Template" in logged_in.get(f"/console/users/import/{ImportKind.MEMBERS.value}").text


def test_members_page_adds_and_departs_under_the_policy(logged_in, platform):  # type: ignore[no-untyped-def]
    with platform.uow() as uow:
        org_id = uow.organizations.platform().id
    url = f"/console/users/orgs/{org_id}/members"
    page = logged_in.get(url)
    assert page.status_code == 200
    r = logged_in.post(f"{url}/add", data={"_csrf_token": csrf_of(page.text), "name": "周八",
                                           "mobile": "13600000008", "number": "E8"}, follow_redirects=False)
    assert r.status_code in (302, 303)
    with platform.uow() as uow:
        member = next(m for m in uow.members.of_org(org_id) if m.name == "周八")
    page = logged_in.get(url)
    assert "周八" in page.text and "136****0008" in page.text
    logged_in.post(f"{url}/depart", data={"_csrf_token": csrf_of(page.text), "member_id": str(member.id)})
    with platform.uow() as uow:
        assert uow.members.get(member.id).status.value == "FROZEN"  # AUTO_FREEZE by default
        assert uow.users.get(member.user_id).frozen


def test_totp_binding_in_the_console_stores_the_secret_sealed(logged_in, platform):  # type: ignore[no-untyped-def]
    import re

    import pyotp

    from esign_adapters.otp import verify_totp
    from esign_core.services.directory import AddPersonalUser

    user_id = platform.handle(AddPersonalUser(name="令牌用户", mobile="13600000011"))
    page = logged_in.get(f"/console/users/people/{user_id}/totp")
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page.text).group(1)
    wrong = logged_in.post(f"/console/users/people/{user_id}/totp", data={
        "_csrf_token": csrf_of(page.text), "secret": secret, "code": "000000"}, follow_redirects=False)
    assert wrong.status_code == 400
    r = logged_in.post(f"/console/users/people/{user_id}/totp", data={
        "_csrf_token": csrf_of(page.text), "secret": secret, "code": pyotp.TOTP(secret).now()}, follow_redirects=False)
    assert r.status_code in (302, 303)
    with platform.uow() as uow:
        sealed = uow.users.get(user_id).totp_secret_ref
    assert sealed and secret not in sealed
    assert verify_totp(platform, sealed, pyotp.TOTP(secret).now())
