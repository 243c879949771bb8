"""The console's storage settings page: warning, per-backend forms, the connection test (htmx and
plain), saving only after a passing test, permissions, and secrets never sent back."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from http_flows import activate, csrf_of, login

from esign_core.model.document import Document
from esign_core.model.policy import StorageSettings
from esign_core.model.user import AdminAccount

PAGE = "/console/settings/storage"


@pytest.fixture
def logged_in(client, platform, licence_for):
    activate(client, platform, licence_for(platform.product_code))
    assert login(client).status_code == 302
    return client


def _post(client, action: str, data: dict[str, str], **kwargs):  # type: ignore[no-untyped-def]
    token = csrf_of(client.get(PAGE).text)
    return client.post(action, data={"_csrf_token": token, **data}, follow_redirects=False, **kwargs)


def test_storage_page_needs_a_login(client, platform, licence_for):
    activate(client, platform, licence_for(platform.product_code))
    r = client.get(PAGE, follow_redirects=False)
    assert r.status_code == 302 and r.headers["location"].startswith("/console/login?next=/console/settings/storage")


def test_storage_page_shows_local_with_the_manuals_warning(logged_in):
    r = logged_in.get(PAGE)
    assert r.status_code == 200
    assert "本地存储方式仅用于测试环境，磁盘损坏将导致合同文件完全丢失，禁止在生产环境中使用！" in r.text
    assert 'id="current-backend">本地存储' in r.text
    for name in ("local", "nas", "smb", "s3", "hdfs", "fastdfs"):
        assert f'<option value="{name}"' in r.text
    assert "测试连接" in r.text


def test_english_page_translates_the_warning(logged_in):
    logged_in.cookies.set("esign_lang", "en")
    r = logged_in.get(PAGE)
    assert "Local storage is for testing only" in r.text


def test_choosing_a_backend_shows_its_form_as_an_htmx_fragment(logged_in):
    r = logged_in.get(PAGE, params={"backend": "nas"}, headers={"hx-request": "true"})
    assert r.status_code == 200
    assert r.text.lstrip().startswith('<form method="post" action="/console/settings/storage"')
    assert 'name="cfg_mount_path"' in r.text and "<html" not in r.text


def test_connection_test_reports_each_step_through_htmx(logged_in, tmp_path):
    (tmp_path / "nas").mkdir()
    r = _post(logged_in, f"{PAGE}/test", {"backend": "nas", "cfg_mount_path": str(tmp_path / "nas"),
                                          "cfg_require_mount": "false"}, headers={"hx-request": "true"})
    assert r.status_code == 200
    for step in ("configuration", "write", "read back", "delete"):
        assert f'data-step="{step}" data-ok="true"' in r.text
    assert "<html" not in r.text


def test_connection_test_of_a_missing_mount_fails_at_configuration_without_javascript(logged_in, tmp_path):
    r = _post(logged_in, f"{PAGE}/test", {"backend": "nas", "cfg_mount_path": str(tmp_path / "absent")})
    assert r.status_code == 200 and "<html" in r.text
    assert 'data-step="configuration" data-ok="false"' in r.text and "does not exist" in r.text


def test_save_switches_backend_after_a_passing_test(logged_in, platform, tmp_path):
    (tmp_path / "nas").mkdir()
    r = _post(logged_in, PAGE, {"backend": "nas", "cfg_mount_path": str(tmp_path / "nas"),
                                "cfg_require_mount": "false"})
    assert r.status_code == 200, r.text
    assert 'id="storage-save-result">已保存' in r.text
    assert platform.storage_settings().backend == "nas"
    assert platform.blob_store.name == "nas"
    assert "本地存储方式仅用于测试环境" not in logged_in.get(PAGE).text


def test_save_is_refused_when_the_new_backend_lacks_stored_files(logged_in, platform, tmp_path):
    ref = platform.blob_store.put([b"%PDF-1.7"])
    with platform.uow() as uow:
        uow.documents.add(Document(id=platform.ids.next_id(), title="a.pdf", original=ref, current=ref, pages=1,
                                   created_at=datetime.now(UTC)))
        uow.commit()
    (tmp_path / "nas").mkdir()
    r = _post(logged_in, PAGE, {"backend": "nas", "cfg_mount_path": str(tmp_path / "nas"),
                                "cfg_require_mount": "false"})
    assert r.status_code == 422
    assert 'data-step="existing files" data-ok="false"' in r.text and "migrate" in r.text
    assert platform.storage_settings().backend == "local"


def test_save_without_csrf_token_is_refused(logged_in, platform):
    r = logged_in.post(PAGE, data={"backend": "nas", "cfg_mount_path": "/tmp"}, follow_redirects=False)
    assert r.status_code == 403
    assert platform.storage_settings().backend == "local"


def test_an_account_without_the_settings_permission_is_refused(logged_in, platform):
    with platform.uow() as uow:
        admin = uow.admins.list()[0]
        helper = AdminAccount(id=platform.ids.next_id(), username="helper", display_name="helper",
                              password_hash=platform.hasher.hash("Passw0rd-2026"),
                              password_changed_at=admin.password_changed_at)
        uow.admins.add(helper)
        uow.commit()
    logged_in.cookies.clear()
    assert login(logged_in, username="helper").status_code == 302
    assert logged_in.get(PAGE).status_code == 403


def test_settings_api_never_returns_sealed_storage_secrets(logged_in, platform):
    token = platform.secrets.seal(b"hunter2", purpose="storage.smb.password")
    with platform.uow() as uow:
        uow.settings.put(StorageSettings(backend="smb", config={"server": "nas1", "password_secret_ref": token}))
        uow.commit()
    r = logged_in.get("/api/v1/settings/storage")
    assert r.status_code == 200
    assert r.json() == {"backend": "smb", "config": {"server": "nas1"}}
    page = logged_in.get(PAGE).text
    assert token not in page and "hunter2" not in page
    r = logged_in.put("/api/v1/settings/storage", json={"backend": "local"},
                      headers={"x-csrftoken": csrf_of(logged_in.get("/console").text)})
    assert r.status_code == 400 and "esign storage configure" in r.text
