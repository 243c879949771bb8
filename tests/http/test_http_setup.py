"""The activation wizard (manual 一.1) driven through HTTP."""

from __future__ import annotations

import pytest
from http_flows import (
    ADMIN_PASSWORD,
    PLATFORM,
    activate,
    csrf_of,
    post_form,
    run_wizard_until_platform,
    submit_platform,
)
from http_platform import backend

from esign_adapters.licensing import generate_vendor_keys

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def test_first_visit_redirects_to_setup(client):
    r = client.get("/", follow_redirects=False)
    assert r.status_code == 302
    assert r.headers["location"] == "/setup"


@pytest.mark.parametrize("path", ["/console", "/console/login", "/portal"])
def test_console_and_portal_redirect_to_setup_before_activation(client, path):
    r = client.get(path, follow_redirects=False)
    assert r.status_code == 302
    assert r.headers["location"] == "/setup"


def test_setup_page_shows_product_code(client, platform):
    r = client.get("/setup")
    assert r.status_code == 200
    assert platform.product_code in r.text
    assert "产品识别码" in r.text


def test_full_wizard_activates_and_then_setup_leads_to_login(client, platform, licence_for):
    activate(client, platform, licence_for(platform.product_code))
    done = client.get("/setup/done")
    assert done.status_code == 200
    assert "激活成功" in done.text
    assert 'href="/console/login"' in done.text
    r = client.get("/setup", follow_redirects=False)
    assert r.status_code == 302
    assert r.headers["location"] == "/console/login"
    assert client.get("/", follow_redirects=False).headers["location"] == "/console"


def test_second_activation_is_refused_with_409(client, platform, licence_for):
    run_wizard_until_platform(client, licence_for(platform.product_code))
    token = csrf_of(client.get("/setup/platform").text)
    form = {"_csrf_token": token, **PLATFORM, "use_external_api": "on"}
    assert client.post("/setup/platform", data=form, files={"_": ("", b"")}, follow_redirects=False).status_code == 302
    again = client.post("/setup/platform", data=form, files={"_": ("", b"")}, follow_redirects=False)
    assert again.status_code == 409
    assert "系统已激活，不能重复激活" in again.text


def test_steps_cannot_be_skipped(client):
    r = client.get("/setup/platform", follow_redirects=False)
    assert r.status_code == 302
    assert r.headers["location"] == "/setup"


def _refused_licence(client, platform, code):
    r = post_form(client, "/setup", "/setup/licence", {"licence_code": code})
    assert r.status_code == 400
    assert not platform.is_initialized()
    assert client.get("/setup/database", follow_redirects=False).headers["location"] == "/setup"
    return r.text


def test_licence_signed_by_another_key_is_refused(client, platform, licence_for, tmp_path):
    other_private, _ = generate_vendor_keys(tmp_path)
    text = _refused_licence(client, platform, licence_for(platform.product_code, private_key=other_private))
    assert "不是由授权方签发" in text


def test_licence_for_another_product_code_is_refused(client, platform, licence_for):
    text = _refused_licence(client, platform, licence_for("AAAA-BBBB-CCCC-DDDD-EEEE"))
    assert "不是为本系统的产品识别码签发的" in text


def test_expired_licence_is_refused(client, platform, licence_for):
    text = _refused_licence(client, platform, licence_for(platform.product_code, days=-1))
    assert "过期" in text


def test_garbage_licence_is_refused(client, platform):
    assert "license 码无效" in _refused_licence(client, platform, "not-a-licence")


@pytest.mark.parametrize(("field", "value", "expected"), [
    ("admin_mobile", "12345", "手机号格式不正确"),
    ("uscc", "91350100M000100Y44", "统一社会信用代码不正确"),
    ("platform_name", "", "请填写平台企业名称"),
])
def test_bad_platform_fields_re_render_the_form(client, platform, licence_for, field, value, expected):
    run_wizard_until_platform(client, licence_for(platform.product_code))
    r = submit_platform(client, {field: value})
    assert r.status_code == 400
    assert expected in r.text
    assert 'action="/setup/platform"' in r.text
    assert not platform.is_initialized()


def test_weak_password_re_renders_the_account_form(client, platform, licence_for):
    post_form(client, "/setup", "/setup/licence", {"licence_code": licence_for(platform.product_code)})
    post_form(client, "/setup/database", "/setup/database", {"db_type": "sqlite", "name": "esign.db"})
    r = post_form(client, "/setup/account", "/setup/account",
                  {"username": "admin", "password": "short", "password_confirm": "short"})
    assert r.status_code == 400
    assert "密码强度不足" in r.text
    assert 'value="short"' not in r.text  # passwords are never echoed back


def test_mismatched_password_confirmation_is_refused(client, platform, licence_for):
    post_form(client, "/setup", "/setup/licence", {"licence_code": licence_for(platform.product_code)})
    post_form(client, "/setup/database", "/setup/database", {"db_type": "sqlite", "name": "esign.db"})
    r = post_form(client, "/setup/account", "/setup/account",
                  {"username": "admin", "password": ADMIN_PASSWORD, "password_confirm": ADMIN_PASSWORD + "x"})
    assert r.status_code == 400
    assert "两次输入的密码不一致" in r.text


def test_offline_activation_needs_token_and_licence_image(client, platform, licence_for):
    run_wizard_until_platform(client, licence_for(platform.product_code))
    r = submit_platform(client, {"use_external_api": None})
    assert r.status_code == 400
    assert "token 文件" in r.text
    assert not platform.is_initialized()
    assert not (platform.settings.config_dir / "token").exists()


def test_offline_activation_places_token_and_licence_image(client, platform, licence_for):
    run_wizard_until_platform(client, licence_for(platform.product_code))
    files = {"offline_token": ("token", b"offline-token-value"), "licence_image": ("LICENSE.png", PNG)}
    r = submit_platform(client, {"use_external_api": None}, files=files)
    assert r.status_code == 302, r.text
    assert platform.is_initialized()
    assert (platform.settings.config_dir / "token").read_bytes() == b"offline-token-value"
    assert (platform.settings.config_dir / "LICENSE.png").read_bytes() == PNG


def test_sqlite_file_must_stay_in_the_data_directory(client, platform, licence_for):
    post_form(client, "/setup", "/setup/licence", {"licence_code": licence_for(platform.product_code)})
    r = post_form(client, "/setup/database", "/setup/database", {"db_type": "sqlite", "name": "../../etc/evil.db"})
    assert r.status_code == 400
    assert "SQLite 数据库文件名" in r.text


def _skip_without_sql_adapter():
    pytest.importorskip("esign_adapters.db.engine")
    pytest.importorskip("psycopg")
    if backend() != "sqlite":
        pytest.skip("the in-memory platform has no database step to fail")


@pytest.mark.parametrize(("port", "name", "expected"), [
    ("5432", "esign_no_such_database", "指定的数据库不存在"),
    ("1", "esign", "连接被拒绝"),
])
def test_database_step_shows_a_clear_error_for_a_bad_postgresql(client, platform, licence_for, port, name, expected):
    _skip_without_sql_adapter()
    post_form(client, "/setup", "/setup/licence", {"licence_code": licence_for(platform.product_code)})
    form = {"db_type": "postgresql", "host": "127.0.0.1", "port": port, "user": "postgres",
            "password": "Wrong-Secret-123", "name": name}
    test = post_form(client, "/setup/database", "/setup/database/test", form, headers={"hx-request": "true"})
    assert test.status_code == 200
    assert "连接失败" in test.text
    assert expected in test.text
    assert "<html" not in test.text  # an htmx fragment
    assert "Wrong-Secret-123" not in test.text
    r = post_form(client, "/setup/database", "/setup/database", form)
    assert r.status_code == 503
    assert expected in r.text
    assert "Wrong-Secret-123" not in r.text
    assert 'value="Wrong-Secret-123"' not in r.text
    toml = platform.settings.data_dir / "esign.toml"
    assert not toml.exists() or "postgresql" not in toml.read_text()


def test_database_test_button_reports_success_for_sqlite(client, platform, licence_for):
    pytest.importorskip("esign_adapters.db.engine")
    post_form(client, "/setup", "/setup/licence", {"licence_code": licence_for(platform.product_code)})
    r = post_form(client, "/setup/database", "/setup/database/test", {"db_type": "sqlite", "name": "probe.db"},
                  headers={"hx-request": "true"})
    assert r.status_code == 200
    assert "连接成功" in r.text


def test_database_test_without_javascript_renders_the_whole_page(client, platform, licence_for):
    pytest.importorskip("esign_adapters.db.engine")
    post_form(client, "/setup", "/setup/licence", {"licence_code": licence_for(platform.product_code)})
    r = post_form(client, "/setup/database", "/setup/database/test", {"db_type": "sqlite", "name": "probe.db"})
    assert r.status_code == 200
    assert "<html" in r.text and "连接成功" in r.text


def test_a_failed_final_step_leaves_nothing_and_can_be_corrected(client, platform, licence_for):
    run_wizard_until_platform(client, licence_for(platform.product_code))
    assert submit_platform(client, {"admin_mobile": "999"}).status_code == 400
    assert not platform.is_initialized()
    r = submit_platform(client)
    assert r.status_code == 302
    assert platform.is_initialized()
