"""Browser-like flows for the HTTP tests: CSRF tokens from forms, the wizard, the login."""

from __future__ import annotations

import re

from litestar import Litestar
from litestar.testing import TestClient

from esign_adapters.bootstrap import Platform

ADMIN_USER = "sysadmin"
ADMIN_PASSWORD = "Passw0rd-2026"
PLATFORM = {"platform_name": "示例科技有限公司", "uscc": "91350100M000100Y43", "admin_name": "张三",
            "admin_mobile": "13812345678"}
_CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    """The CSRF token of the first form on a page."""
    match = _CSRF.search(html)
    assert match, "the page has no CSRF field"
    return match.group(1)


def post_form(client: TestClient[Litestar], page: str, action: str, data: dict[str, str], **kwargs):  # type: ignore[no-untyped-def]
    """GET ``page``, take its CSRF token and POST ``data`` to ``action`` (not following redirects)."""
    token = csrf_of(client.get(page).text)
    return client.post(action, data={"_csrf_token": token, **data}, follow_redirects=False, **kwargs)


def run_wizard_until_platform(client: TestClient[Litestar], licence_code: str) -> None:
    """Steps 1-3 of the wizard; the caller submits step 4."""
    r = post_form(client, "/setup", "/setup/licence", {"licence_code": licence_code})
    assert r.status_code in (302, 303), r.text
    assert r.headers["location"] == "/setup/database"
    r = post_form(client, "/setup/database", "/setup/database", {"db_type": "sqlite", "name": "esign.db"})
    assert r.status_code in (302, 303), r.text
    assert r.headers["location"] == "/setup/account"
    r = post_form(client, "/setup/account", "/setup/account",
                  {"username": ADMIN_USER, "password": ADMIN_PASSWORD, "password_confirm": ADMIN_PASSWORD})
    assert r.status_code in (302, 303), r.text
    assert r.headers["location"] == "/setup/platform"


def submit_platform(client: TestClient[Litestar], data: dict[str, str] | None = None, files=None):  # type: ignore[no-untyped-def]
    token = csrf_of(client.get("/setup/platform").text)
    form = {"_csrf_token": token, **PLATFORM, "use_external_api": "on", **(data or {})}
    form = {k: v for k, v in form.items() if v is not None}
    return client.post("/setup/platform", data=form, files=files or {"_": ("", b"")}, follow_redirects=False)


def activate(client: TestClient[Litestar], platform: Platform, licence_code: str) -> None:
    run_wizard_until_platform(client, licence_code)
    r = submit_platform(client)
    assert r.status_code in (302, 303), r.text
    assert platform.is_initialized()


def login(client: TestClient[Litestar], username: str = ADMIN_USER, password: str = ADMIN_PASSWORD,
          next_: str = ""):  # type: ignore[no-untyped-def]
    return post_form(client, "/console/login", "/console/login",
                     {"username": username, "password": password, "next": next_})
