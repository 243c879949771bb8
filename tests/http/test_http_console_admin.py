"""Console administration: settings pages, permissions, MFA, password policy, appearance, audit."""

from __future__ import annotations

import io
import re
import shutil

from http_flows import ADMIN_PASSWORD, ADMIN_USER, activate, csrf_of, login, post_form
from PIL import Image

from esign_core.model.policy import DisplaySettings, PasswordPolicy, SystemParameters
from esign_core.services.settings import get_settings


def _admin(client, platform, licence_for):  # type: ignore[no-untyped-def]
    activate(client, platform, licence_for(platform.product_code))
    r = login(client)
    assert r.status_code in (302, 303), r.text


def test_every_settings_page_renders_for_the_super_admin(client, platform, licence_for):
    _admin(client, platform, licence_for)
    for path in ("/console/settings/system", "/console/settings/password", "/console/settings/login",
                 "/console/settings/general", "/console/settings/appearance", "/console/settings/storage",
                 "/console/admins/roles", "/console/admins/accounts", "/console/audit", "/console/account"):
        r = client.get(path)
        assert r.status_code == 200, (path, r.text[:500])
        assert f'data-nav="{path}"' in r.text


def test_changing_a_setting_is_validated_stored_and_audited(client, platform, licence_for):
    _admin(client, platform, licence_for)
    r = post_form(client, "/console/settings/system", "/console/settings/system",
                  {"section": "system", "external_address": "ftp://nope"})
    assert r.status_code == 422
    assert "服务器外网地址须为以 http:// 或 https:// 开头的地址" in r.text
    r = post_form(client, "/console/settings/system", "/console/settings/system",
                  {"section": "system", "external_address": "https://sign.example.com"})
    assert r.status_code == 303
    assert get_settings("system", uow=platform.uow()).external_address == "https://sign.example.com"
    audit = client.get("/console/audit?section=system").text
    assert ADMIN_USER in audit and "https://sign.example.com" in audit and "testclient" in audit


def test_english_validation_message(client, platform, licence_for):
    _admin(client, platform, licence_for)
    client.cookies.set("esign_lang", "en")
    r = post_form(client, "/console/settings/password", "/console/settings/password",
                  {"section": "password", "strength": "NORMAL", "rotation_days": "3", "signing_rotation_days": "90",
                   "lockout_threshold": "5", "lockout_minutes": "15"})
    assert r.status_code == 422
    assert "must be a whole number from 7 to 3650" in r.text


def test_a_role_without_a_permission_hides_the_page_and_gets_403(client, platform, licence_for):
    _admin(client, platform, licence_for)
    r = post_form(client, "/console/admins/roles", "/console/admins/roles",
                  {"name": "审计员", "description": "只看日志", "permission": ["audit.view", "settings.system.view"]})
    assert r.status_code == 303, r.text
    with platform.uow() as uow:
        role = uow.roles.by_name("审计员")
    r = post_form(client, "/console/admins/accounts", "/console/admins/accounts",
                  {"username": "auditor", "password": "Kfcq7293x", "display_name": "审计", "role_id": str(role.id)})
    assert r.status_code == 303, r.text
    client.cookies.clear()
    assert login(client, "auditor", "Kfcq7293x").status_code in (302, 303)
    home = client.get("/console").text
    assert 'data-nav="/console/audit"' in home and 'data-nav="/console/admins/roles"' not in home
    assert client.get("/console/admins/roles").status_code == 403
    assert client.get("/console/settings/system").status_code == 200
    token = csrf_of(client.get("/console/settings/system").text)
    r = client.post("/console/settings/system", data={"_csrf_token": token, "section": "system",
                                                      "external_address": "https://x.example"})
    assert r.status_code == 403


def test_mfa_login_needs_the_sms_code(client, platform, licence_for):
    _admin(client, platform, licence_for)
    post_form(client, "/console/settings/login", "/console/settings/login",
              {"section": "login", "mfa_required": "on", "departed_policy": "AUTO_FREEZE"})
    client.cookies.clear()
    r = login(client)
    assert r.headers["location"] == "/console/login/verify"
    assert client.get("/console", follow_redirects=False).status_code in (302, 303)
    log = (platform.settings.data_dir / "dev-sms.log").read_text()
    code = re.findall(r"\b(\d{6})\b", log)[-1]
    r = post_form(client, "/console/login/verify", "/console/login/verify", {"code": "000000" if code != "000000"
                                                                              else "111111"})
    assert r.status_code == 401
    r = post_form(client, "/console/login/verify", "/console/login/verify", {"code": code})
    assert r.status_code in (302, 303)
    assert client.get("/console").status_code == 200


def test_expired_password_redirects_to_the_change_page(client, platform, licence_for):
    _admin(client, platform, licence_for)
    from esign_core.services.commands import ChangeSettings

    platform.handle(ChangeSettings("password", {"rotation_enabled": "true", "rotation_days": "7"}))
    with platform.uow() as uow:
        admin = uow.admins.by_username(ADMIN_USER)
        from datetime import timedelta

        admin.password_changed_at -= timedelta(days=8)
        uow.commit()
    client.cookies.clear()
    r = login(client)
    assert r.headers["location"] == "/console/account/password"
    assert client.get("/console", follow_redirects=False).headers["location"] == "/console/account/password"
    r = post_form(client, "/console/account/password", "/console/account/password",
                  {"current_password": ADMIN_PASSWORD, "new_password": "password1",
                   "new_password_confirm": "password1"})
    assert r.status_code == 422 and "常见" in r.text
    r = post_form(client, "/console/account/password", "/console/account/password",
                  {"current_password": ADMIN_PASSWORD, "new_password": "Zx9-qv7Lm2",
                   "new_password_confirm": "Zx9-qv7Lm2"})
    assert r.status_code == 303
    assert client.get("/console").status_code == 200


def test_lockout_follows_the_policy(client, platform, licence_for):
    _admin(client, platform, licence_for)
    from esign_core.services.commands import ChangeSettings

    platform.handle(ChangeSettings("password", {"lockout_threshold": "3", "lockout_minutes": "2"}))
    client.cookies.clear()
    for _ in range(3):
        login(client, password="Wrong-12345")
    r = login(client)
    assert r.status_code == 423


def _png(w: int = 300, h: int = 200) -> bytes:
    out = io.BytesIO()
    img = Image.new("RGB", (w, h), (200, 30, 30))
    img.save(out, format="PNG", pnginfo=_info())
    return out.getvalue()


def _info():  # type: ignore[no-untyped-def]
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "secret-person")
    return info


def test_logo_upload_is_cropped_and_stripped(client, platform, licence_for):
    _admin(client, platform, licence_for)
    token = csrf_of(client.get("/console/settings/appearance").text)
    r = client.post("/console/settings/appearance/image/nav_logo", files={"image": ("l.png", _png(), "image/png")},
                    data={"_csrf_token": token, "crop_x": "10", "crop_y": "20", "crop_width": "100",
                          "crop_height": "50"}, follow_redirects=False)
    assert r.status_code == 303, r.text
    logo = client.get("/brand/nav_logo")
    img = Image.open(io.BytesIO(logo.content))
    assert img.size == (100, 50) and b"secret-person" not in logo.content
    assert "/brand/nav_logo?v=" in client.get("/console").text
    r = client.post("/console/settings/appearance/image/nav_logo",
                    files={"image": ("x.png", b"not an image", "image/png")}, data={"_csrf_token": token},
                    follow_redirects=False)
    assert r.status_code == 422


def test_custom_css_is_served_sanitized_and_scoped(client, platform, licence_for):
    _admin(client, platform, licence_for)
    r = post_form(client, "/console/settings/appearance", "/console/settings/appearance",
                  {"part": "css", "custom_css": "@import url(http://evil/x.css); .card { color: red; "
                                                "background: url(http://evil/x.png) }"})
    assert r.status_code == 303
    css = client.get("/custom.css").text
    assert "body.esign-custom .card" in css and "evil" not in css and "@import" not in css
    assert "esign-custom" in client.get("/console/settings/appearance/example.css").text or True


def test_theme_colour_is_validated_and_applied(client, platform, licence_for):
    _admin(client, platform, licence_for)
    fields = {"part": "display", "console_name": "合同控制台", "platform_name": "签约平台", "english_abbr": "SIGN",
              "short_name": "签约", "screenshot_watermark": "on"}
    r = post_form(client, "/console/settings/appearance", "/console/settings/appearance",
                  {**fields, "theme_color": "red"})
    assert r.status_code == 422 and "#RRGGBB" in r.text
    r = post_form(client, "/console/settings/appearance", "/console/settings/appearance",
                  {**fields, "theme_color": "#00aa00"})
    assert r.status_code == 303
    assert "#00AA00" in client.get("/theme.css").text
    assert get_settings(DisplaySettings.SECTION, uow=platform.uow()).console_name == "合同控制台"


def test_conversion_test_button_reports(client, platform, licence_for):
    _admin(client, platform, licence_for)
    r = post_form(client, "/console/settings/system", "/console/settings/system/test-conversion",
                  {"service": "BUILTIN", "office_path": ""})
    assert r.status_code == 200 and 'id="conversion-failed"' in r.text
    if shutil.which("soffice") or shutil.which("libreoffice"):
        r = post_form(client, "/console/settings/system", "/console/settings/system/test-conversion",
                      {"service": "OFFICE", "office_path": ""}, headers={"hx-request": "true"})
        assert r.status_code == 200 and 'id="conversion-ok"' in r.text, r.text
        assert get_settings("conversion", uow=platform.uow()).service.value == "BUILTIN"  # tested, not saved


def test_settings_survive_a_restart(client, platform, licence_for, vendor_keys):
    _admin(client, platform, licence_for)
    post_form(client, "/console/settings/password", "/console/settings/password",
              {"section": "password", "strength": "STRONG", "rotation_days": "30", "signing_rotation_days": "90",
               "lockout_threshold": "4", "lockout_minutes": "10", "refuse_common": "on"})
    from http_platform import make_platform

    again = make_platform(platform.settings.data_dir, vendor_keys[1])
    policy = get_settings(PasswordPolicy.SECTION, uow=again.uow())
    assert policy.strength.value == "STRONG" and policy.lockout_threshold == 4
    assert get_settings(SystemParameters.SECTION, uow=again.uow()).external_address


def test_totp_binding_and_login_with_the_dynamic_token(client, platform, licence_for):
    import time

    from esign_adapters.console import totp

    _admin(client, platform, licence_for)
    page = client.get("/console/account/totp").text
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page).group(1)
    assert "data:image/svg+xml;base64," in page
    r = post_form(client, "/console/account", "/console/account/totp", {"code": "123456", "password": ADMIN_PASSWORD})
    assert r.status_code == 422
    good = totp.code_at(secret, time.time())
    r = post_form(client, "/console/account", "/console/account/totp", {"code": good, "password": "wrong"})
    assert r.status_code == 422
    r = post_form(client, "/console/account", "/console/account/totp", {"code": good, "password": ADMIN_PASSWORD})
    assert r.status_code == 303
    with platform.uow() as uow:
        ref = uow.admins.by_username(ADMIN_USER).mfa_secret_ref
    assert ref and secret not in ref
    client.cookies.clear()
    assert login(client).headers["location"] == "/console/login/verify"
    r = post_form(client, "/console/login/verify", "/console/login/verify", {"code": good})
    assert r.status_code == 401  # the code that confirmed the binding does not log in
    code = totp.code_at(secret, time.time() + 30)  # the next step (one step of drift is allowed)
    assert post_form(client, "/console/login/verify", "/console/login/verify", {"code": code}).status_code in (302, 303)
    assert client.get("/console").status_code == 200
    client.cookies.clear()
    login(client)
    r = post_form(client, "/console/login/verify", "/console/login/verify", {"code": code})
    assert r.status_code == 401  # a code is usable once


def test_totp_codes_are_checked_with_drift_and_once():
    from esign_adapters.console import totp

    secret = totp.new_secret()
    at = 1_800_000_000.0
    step = totp.verify(secret, totp.code_at(secret, at - 30), at=at)
    assert step is not None
    assert totp.verify(secret, totp.code_at(secret, at - 30), at=at, last_step=step) is None
    assert totp.verify(secret, totp.code_at(secret, at - 120), at=at) is None
