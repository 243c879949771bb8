"""REST API (/api/v1), open API (/open), health checks and the error translation."""

from __future__ import annotations

import pytest
from http_flows import activate, csrf_of, login
from litestar import get

from esign_core.errors import InvalidValue, NotFoundError


@pytest.fixture
def logged_in(client, platform, licence_for):
    activate(client, platform, licence_for(platform.product_code))
    assert login(client).status_code == 302
    return client


def _csrf_header(client) -> dict[str, str]:
    return {"x-csrftoken": csrf_of(client.get("/console").text)}


def test_open_check_health_is_plain_ok(client):
    for path in ("/open/checkHealth", "/checkHealth"):
        r = client.get(path)
        assert r.status_code == 200
        assert r.text == "OK"
        assert r.headers["content-type"].startswith("text/plain")


def test_api_health_before_activation(client):
    r = client.get("/api/v1/health")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok"
    assert body["initialized"] is False
    assert body["database"] in ("ok", "not_migrated")
    assert body["version"]


def test_api_health_after_activation(client, platform, licence_for):
    activate(client, platform, licence_for(platform.product_code))
    body = client.get("/api/v1/health").json()
    assert body == {**body, "status": "ok", "initialized": True, "database": "ok"}


def test_health_checks_the_database(client):
    r = client.get("/health")
    assert r.status_code == 200
    assert r.json()["status"] == "ok"


def test_openapi_schema_is_published_with_our_paths(client):
    r = client.get("/api/v1/schema/openapi.json")
    assert r.status_code == 200
    schema = r.json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/health" in schema["paths"]
    assert "/api/v1/settings/{section}" in schema["paths"]
    assert not any(p.startswith(("/console", "/setup", "/open")) for p in schema["paths"])


def test_settings_api_needs_a_login(client):
    r = client.get("/api/v1/settings/display")
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["status"] == 401


def test_settings_api_reads_and_changes_a_section(logged_in):
    r = logged_in.get("/api/v1/settings/display")
    assert r.status_code == 200
    assert r.json()["console_name"] == "电子合同管理控制台"
    r = logged_in.put("/api/v1/settings/display", json={"console_name": "合同控制台"}, headers=_csrf_header(logged_in))
    assert r.status_code == 200, r.text
    assert r.json()["console_name"] == "合同控制台"
    assert "合同控制台" in logged_in.get("/console").text


def test_settings_change_needs_the_csrf_header(logged_in):
    r = logged_in.put("/api/v1/settings/display", json={"console_name": "x"})
    assert r.status_code == 403
    assert r.headers["content-type"].startswith("application/problem+json")


def test_invalid_setting_becomes_problem_details(logged_in):
    r = logged_in.put("/api/v1/settings/display", json={"theme_color": "red"}, headers=_csrf_header(logged_in))
    assert r.status_code == 400
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["type"] == "https://esign.dev/problems/domain.invalid_value"
    assert body["code"] == "domain.invalid_value"
    assert body["status"] == 400
    assert body["fields"]["field"] == "theme_color"
    assert "traceback" not in r.text.lower()


def test_unknown_settings_section_is_a_400_problem(logged_in):
    r = logged_in.get("/api/v1/settings/nope")
    assert r.status_code == 400
    assert r.json()["fields"]["field"] == "section"


def test_secret_references_are_neither_shown_nor_settable(logged_in):
    assert "password_secret_ref" not in logged_in.get("/api/v1/settings/mail").json()
    r = logged_in.put("/api/v1/settings/mail", json={"password_secret_ref": "v1.x"}, headers=_csrf_header(logged_in))
    assert r.status_code == 400


def test_unknown_api_path_is_a_404_problem(client):
    r = client.get("/api/v1/nothing-here")
    assert r.status_code == 404
    assert r.json()["type"] == "https://esign.dev/problems/http.404"


@get("/open/test/raise-invalid")
async def _raise_invalid() -> None:
    raise InvalidValue("mobile", "not a mainland mobile number: 123****")


@get("/open/test/raise-api-code")
async def _raise_api_code() -> None:
    raise NotFoundError("contract 1 not found", api_code=3001008)


@get("/open/test/crash")
async def _crash() -> None:
    raise RuntimeError("secret-internal-detail")


@get("/api/v1/test/crash")
async def _api_crash() -> None:
    raise RuntimeError("secret-internal-detail")


@pytest.fixture
def with_test_routes(app, client):
    for handler in (_raise_invalid, _raise_api_code, _crash, _api_crash):
        app.register(handler)
    return client


def test_domain_error_in_open_becomes_the_envelope(with_test_routes):
    r = with_test_routes.get("/open/test/raise-invalid")
    assert r.status_code == 200  # as the v4 API: errors travel in the envelope
    body = r.json()
    assert body["code"] == 1000001
    assert body["message"].startswith("mobile: ")
    assert "手机号" in body["message"]


def test_api_code_of_an_error_is_used_by_the_open_envelope(with_test_routes):
    body = with_test_routes.get("/open/test/raise-api-code").json()
    assert body["code"] == 3001008


def test_unexpected_error_leaks_nothing(with_test_routes):
    r = with_test_routes.get("/open/test/crash")
    assert r.status_code == 500
    assert r.json()["code"] == 1000000
    assert "secret-internal-detail" not in r.text
    r = with_test_routes.get("/api/v1/test/crash")
    assert r.status_code == 500
    assert "secret-internal-detail" not in r.text
    assert r.json()["request_id"] == r.headers["x-request-id"]


def test_unknown_open_path_is_enveloped(client):
    r = client.get("/open/contract/nothing")
    assert r.status_code == 200
    assert r.json()["code"] == 1000000
