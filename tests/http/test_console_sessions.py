"""Console sessions end when a login factor changes elsewhere, and a dynamic-token code is
accepted once across workers (issue 6, ADR 0037): the account's session generation and its last
accepted TOTP time-step are kept in the database, not in one server process."""

from __future__ import annotations

import re
import time

from http_flows import ADMIN_PASSWORD, ADMIN_USER, activate, login, post_form
from http_platform import make_platform
from litestar.testing import TestClient

from esign_http.app import create_app
from esign_http.ratelimit import LoginThrottle

NEW_PASSWORD = "Zq8wNv3pLk"


def _browser(app):  # type: ignore[no-untyped-def]
    return TestClient(app, base_url="http://testserver.local")


def _logged_in(client) -> bool:  # type: ignore[no-untyped-def]
    return client.get("/console", follow_redirects=False).status_code == 200


def _second_worker(platform, vendor_keys):  # type: ignore[no-untyped-def]
    """Another server process over the same data directory (database and session files)."""
    again = make_platform(platform.settings.data_dir, vendor_keys[1])
    return create_app(again, login_throttle=LoginThrottle(per_ip=10, per_username=10, window=300))


def test_changing_the_own_password_ends_the_other_sessions_only(client, app, platform, licence_for) -> None:  # type: ignore[no-untyped-def]
    activate(client, platform, licence_for(platform.product_code))
    assert login(client).status_code in (302, 303)
    with _browser(app) as other:
        assert login(other).status_code in (302, 303) and _logged_in(other)
        r = post_form(client, "/console/account/password", "/console/account/password", {
            "current_password": ADMIN_PASSWORD, "new_password": NEW_PASSWORD, "new_password_confirm": NEW_PASSWORD})
        assert r.status_code == 303, r.text
        assert _logged_in(client)  # the session that changed it continues
        ended = other.get("/console/settings/system", follow_redirects=False)
        assert ended.status_code in (302, 303) and ended.headers["location"].startswith("/console/login")
        assert other.get("/api/v1/settings/system").status_code == 401  # the REST API too
        assert login(other, password=NEW_PASSWORD).status_code in (302, 303) and _logged_in(other)


def test_binding_a_token_ends_the_other_sessions(client, app, platform, licence_for) -> None:  # type: ignore[no-untyped-def]
    from esign_adapters.console import totp

    activate(client, platform, licence_for(platform.product_code))
    login(client)
    with _browser(app) as other:
        login(other)
        secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', client.get("/console/account/totp").text).group(1)
        r = post_form(client, "/console/account", "/console/account/totp",
                      {"code": totp.code_at(secret, time.time()), "password": ADMIN_PASSWORD})
        assert r.status_code == 303
        assert _logged_in(client) and not _logged_in(other)
        login(other)
        assert post_form(other, "/console/login/verify", "/console/login/verify", {
            "code": totp.code_at(secret, time.time() + 30)}).status_code in (302, 303)
        assert _logged_in(other)
        r = post_form(client, "/console/account", "/console/account/totp/unbind", {"password": ADMIN_PASSWORD})
        assert r.status_code == 303
        assert _logged_in(client) and not _logged_in(other)


def test_an_administrator_changing_roles_or_disabling_ends_that_accounts_sessions(client, app, platform,
                                                                                  licence_for) -> None:  # type: ignore[no-untyped-def]
    activate(client, platform, licence_for(platform.product_code))
    login(client)
    r = post_form(client, "/console/admins/roles", "/console/admins/roles",
                  {"name": "审计员", "description": "只看日志", "permission": ["audit.view"]})
    assert r.status_code == 303, r.text
    with platform.uow() as uow:
        role = uow.roles.by_name("审计员")
    r = post_form(client, "/console/admins/accounts", "/console/admins/accounts",
                  {"username": "auditor", "password": "Kfcq7293x", "display_name": "审计", "role_id": str(role.id)})
    assert r.status_code == 303, r.text
    with platform.uow() as uow:
        auditor = uow.admins.by_username("auditor")
    with _browser(app) as other:
        assert login(other, "auditor", "Kfcq7293x").status_code in (302, 303) and _logged_in(other)
        same = {"account_id": str(auditor.id), "display_name": "审计", "mobile": "", "role_id": str(role.id)}
        assert post_form(client, "/console/admins/accounts", "/console/admins/accounts", same).status_code == 303
        assert _logged_in(other)  # saving without a change keeps the session
        assert post_form(client, "/console/admins/accounts", "/console/admins/accounts",
                         {**same, "role_id": ""}).status_code == 303
        assert not _logged_in(other)
        assert login(other, "auditor", "Kfcq7293x").status_code in (302, 303) and _logged_in(other)
        assert post_form(client, "/console/admins/accounts", "/console/admins/accounts",
                         {**same, "disabled": "on"}).status_code == 303
        assert not _logged_in(other)
        assert _logged_in(client)


def test_a_totp_code_is_accepted_once_across_workers(client, platform, licence_for, vendor_keys) -> None:  # type: ignore[no-untyped-def]
    from esign_adapters.console import totp

    activate(client, platform, licence_for(platform.product_code))
    login(client)
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', client.get("/console/account/totp").text).group(1)
    assert post_form(client, "/console/account", "/console/account/totp", {
        "code": totp.code_at(secret, time.time()), "password": ADMIN_PASSWORD}).status_code == 303
    step = int(time.time() + 30) // 30  # the next step (one step of drift is allowed)
    code = totp.code_at(secret, step * 30)
    with _browser(_second_worker(platform, vendor_keys)) as elsewhere:
        assert login(elsewhere).headers["location"] == "/console/login/verify"
        assert post_form(elsewhere, "/console/login/verify", "/console/login/verify",
                         {"code": code}).status_code in (302, 303)
        assert _logged_in(elsewhere)
    client.cookies.clear()
    assert login(client).headers["location"] == "/console/login/verify"
    replayed = post_form(client, "/console/login/verify", "/console/login/verify", {"code": code})
    assert replayed.status_code == 401 and not _logged_in(client)
    with platform.uow() as uow:
        assert uow.admins.by_username(ADMIN_USER).totp_last_step == step
