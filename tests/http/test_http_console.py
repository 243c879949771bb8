"""Console login, logout, sessions, CSRF and the login rate limit."""

from __future__ import annotations

import pytest
from http_flows import ADMIN_PASSWORD, ADMIN_USER, activate, csrf_of, login, post_form

from esign_http.access import safe_next


@pytest.fixture
def activated(client, platform, licence_for):
    activate(client, platform, licence_for(platform.product_code))
    return client


def test_console_requires_login(activated):
    r = activated.get("/console", follow_redirects=False)
    assert r.status_code == 302
    assert r.headers["location"] == "/console/login?next=/console"


def test_login_with_correct_password_shows_the_dashboard(activated, platform):
    r = login(activated)
    assert r.status_code == 302
    assert r.headers["location"] == "/console"
    page = activated.get("/console")
    assert page.status_code == 200
    assert "电子合同管理控制台" in page.text
    assert platform.product_code in page.text
    assert f'id="current-account">{ADMIN_USER}<' in page.text
    assert "内部用户数" in page.text and "500" in page.text
    assert 'action="/console/logout"' in page.text


def test_login_follows_a_local_next_only(activated):
    assert login(activated, next_="/console?tab=1").headers["location"] == "/console?tab=1"
    assert login(activated, next_="https://evil.example/").headers["location"] == "/console"


@pytest.mark.parametrize("target", ["//evil.example", "/\\evil.example", "https://evil.example", "javascript:x",
                                    "/ok\r\nSet-Cookie: x=1", ""])
def test_safe_next_refuses_other_sites(target):
    assert safe_next(target) == "/console"


def test_wrong_password_is_refused(activated):
    r = login(activated, password="Wrong-Passw0rd")
    assert r.status_code == 401
    assert "账号或密码错误" in r.text
    assert activated.get("/console", follow_redirects=False).status_code == 302


def test_account_locks_after_five_failures(activated):
    for _ in range(5):
        assert login(activated, password="Wrong-Passw0rd").status_code == 401
    r = login(activated)  # even the right password
    assert r.status_code == 423
    assert "账号已被锁定" in r.text


def test_rate_limit_per_address_gives_429(activated):
    for i in range(10):
        assert login(activated, username=f"nobody{i}", password="x").status_code == 401
    r = login(activated, username="someone-else", password="x")
    assert r.status_code == 429
    assert "登录尝试过于频繁" in r.text
    assert int(r.headers["retry-after"]) > 0


def test_rate_limit_per_username_gives_429(activated, throttle):
    for i in range(10):
        throttle.failed(f"10.0.0.{i}", ADMIN_USER + "-guess")
    r = login(activated, username=ADMIN_USER + "-guess", password="x")
    assert r.status_code == 429


def test_session_id_changes_at_login(activated):
    login(activated)
    first = activated.cookies.get("esign_session")
    login(activated)
    second = activated.cookies.get("esign_session")
    assert first and second and first != second
    activated.cookies.clear()
    activated.cookies.set("esign_session", first)
    assert activated.get("/console", follow_redirects=False).status_code == 302  # the old id is dead


def test_session_cookie_flags(activated):
    r = login(activated)
    cookie = [v for k, v in r.headers.multi_items() if k == "set-cookie" and v.startswith("esign_session=")][0]
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Max-Age=1800" in cookie
    assert "Secure" not in cookie  # plain http in tests; [server] secure_cookies turns it on


def test_logout_clears_the_session(activated):
    login(activated)
    token = csrf_of(activated.get("/console").text)
    r = activated.post("/console/logout", data={"_csrf_token": token}, follow_redirects=False)
    assert r.status_code == 302
    assert r.headers["location"] == "/console/login"
    assert activated.get("/console", follow_redirects=False).status_code == 302


def test_logout_requires_csrf_token(activated):
    login(activated)
    r = activated.post("/console/logout", follow_redirects=False)
    assert r.status_code == 403
    assert "页面已过期" in r.text
    assert activated.get("/console").status_code == 200  # still logged in


def test_logout_is_post_only(activated):
    login(activated)
    assert activated.get("/console/logout", follow_redirects=False).status_code == 405


def test_post_without_csrf_token_is_refused(client):
    r = client.post("/setup/licence", data={"licence_code": "x"}, follow_redirects=False)
    assert r.status_code == 403


def test_csrf_token_from_another_secret_is_refused(client):
    client.get("/setup")
    r = client.post("/setup/licence", data={"licence_code": "x", "_csrf_token": "0" * 128}, follow_redirects=False)
    assert r.status_code == 403


def test_unknown_console_page_is_a_404_page(activated):
    login(activated)
    r = activated.get("/console/no-such-page")
    assert r.status_code == 404
    assert "页面不存在" in r.text


def test_portal_placeholder_after_activation(activated):
    r = activated.get("/portal")
    assert r.status_code == 200
    assert "签署平台" in r.text


def test_login_page_redirects_when_already_logged_in(activated):
    login(activated)
    r = activated.get("/console/login", follow_redirects=False)
    assert r.status_code == 302
    assert r.headers["location"] == "/console"


def test_empty_login_form_is_refused_without_counting(activated, throttle):
    r = post_form(activated, "/console/login", "/console/login", {"username": "", "password": ""})
    assert r.status_code == 400
    assert "请输入账号和密码" in r.text
    assert throttle.by_ip.retry_after("testclient") == 0


def test_login_still_works_for_the_right_password_after_one_failure(activated):
    assert login(activated, password="nope-1234").status_code == 401
    assert login(activated, password=ADMIN_PASSWORD).status_code == 302


def test_a_planted_session_id_is_not_adopted(client, platform, licence_for):
    planted = "a" * 64
    client.cookies.set("esign_session", planted, domain="testserver.local")
    post_form(client, "/setup", "/setup/licence", {"licence_code": licence_for(platform.product_code)})
    issued = client.cookies.get("esign_session")
    assert issued and issued != planted
    assert client.get("/setup/database").status_code == 200  # the wizard state lives under the new id


def test_anonymous_visits_store_no_session(client, platform):
    client.get("/setup")
    client.get("/")
    assert client.cookies.get("esign_session") is None
    assert not any((platform.settings.data_dir / "sessions").glob("*"))
