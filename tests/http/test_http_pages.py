"""Security headers, language switch, translations and static files."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_python
from http_flows import activate, csrf_of, login
from jinja2.ext import babel_extract

import esign_http
from esign_http.i18n import TRANSLATIONS

PACKAGE = Path(esign_http.__file__).parent


def test_security_headers_on_pages(client):
    r = client.get("/setup")
    csp = r.headers["content-security-policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["referrer-policy"] == "same-origin"
    assert "camera=()" in r.headers["permissions-policy"]
    assert r.headers["cache-control"] == "no-store"
    assert "strict-transport-security" not in r.headers
    assert re.fullmatch(r"[0-9a-f]{16}", r.headers["x-request-id"])


def test_security_headers_on_404_and_api(client):
    for path in ("/no-such-page", "/api/v1/health", "/open/checkHealth"):
        r = client.get(path)
        assert r.headers["x-frame-options"] == "DENY", path
        assert "content-security-policy" in r.headers, path


def test_hsts_only_over_https(app):
    from litestar.testing import TestClient

    with TestClient(app, base_url="https://testserver.local") as https:
        assert "max-age=" in https.get("/checkHealth").headers["strict-transport-security"]


def test_static_files_are_served_and_cacheable(client):
    r = client.get("/static/vendor/htmx.min.js")
    assert r.status_code == 200
    assert "htmx" in r.text[:200]
    assert r.headers.get("cache-control") != "no-store"
    assert client.get("/static/console.css").status_code == 200


def test_pages_have_no_inline_script_or_style(client):
    html = client.get("/setup").text
    assert re.search(r"<script(?![^>]*\bsrc=)", html) is None
    assert "<style" not in html and " style=" not in html


def test_theme_colour_is_a_stylesheet(client):
    r = client.get("/theme.css")
    assert r.headers["content-type"].startswith("text/css")
    assert "--esign-theme: #1677FF" in r.text


def test_a_proxy_request_id_is_kept_when_sane(client):
    assert client.get("/checkHealth", headers={"x-request-id": "abc-123-def"}).headers["x-request-id"] == "abc-123-def"
    assert client.get("/checkHealth", headers={"x-request-id": "bad id\x01"}).headers["x-request-id"] != "bad id\x01"


def test_english_can_be_switched_on(client):
    token = csrf_of(client.get("/setup").text)
    r = client.post("/lang/en", data={"_csrf_token": token, "next": "/setup"}, follow_redirects=False)
    assert r.status_code == 302
    assert r.headers["location"] == "/setup"
    assert "esign_lang=en" in r.headers["set-cookie"]
    page = client.get("/setup").text
    assert "Product identification code" in page
    assert "Licence code" in page
    assert 'lang="en"' in page
    assert "产品识别码" not in page


def test_language_switch_does_not_redirect_off_site(client):
    token = csrf_of(client.get("/setup").text)
    r = client.post("/lang/en", data={"_csrf_token": token, "next": "//evil.example"}, follow_redirects=False)
    assert r.headers["location"] == "/"


def test_english_dashboard_and_errors(client, platform, licence_for):
    activate(client, platform, licence_for(platform.product_code))
    client.cookies.set("esign_lang", "en")
    assert "Wrong account or password." in login(client, password="Nope-12345").text
    login(client)
    page = client.get("/console").text
    assert "E-Contract Management Console" in page
    assert "Internal users" in page
    assert "Log out" in page


def _template_msgids() -> set[str]:
    found: set[str] = set()
    options = {"extensions": "jinja2.ext.i18n", "trimmed": "true", "newstyle_gettext": "true", "silent": "false"}
    for path in (PACKAGE / "templates").rglob("*.html"):
        with path.open("rb") as fh:
            for _line, _func, message, _comments in babel_extract(fh, ("_", "gettext", "ngettext"), [], options):
                found.update(m for m in (message if isinstance(message, tuple) else (message,)) if m)
    return found


def _python_msgids() -> set[str]:
    found: set[str] = set()
    for path in PACKAGE.glob("*.py"):
        with path.open("rb") as fh:
            for _line, _func, message, _comments in extract_python(fh, {"_l": None}, [], {}):
                found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_message_has_an_english_translation():
    english = TRANSLATIONS["en"].messages
    templates, python = _template_msgids(), _python_msgids()
    assert len(templates) > 40 and len(python) > 40
    missing = sorted(m for m in templates | python if not english.get(m, "").strip())
    assert missing == []


def test_english_translations_keep_their_placeholders():
    for msgid, msgstr in TRANSLATIONS["en"].messages.items():
        assert sorted(re.findall(r"%\(\w+\)s", msgid)) == sorted(re.findall(r"%\(\w+\)s", msgstr)), msgid
