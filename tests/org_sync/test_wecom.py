"""The WeCom directory against a real HTTP stand-in of the WeCom server API (127.0.0.1), in both
API styles: department/list + user/list, and department/simplelist + user/list_id (the cursor)."""

from __future__ import annotations

import logging

import pytest

from esign_adapters.org_sync.im_http import TokenCache
from esign_adapters.org_sync.wecom import WeComOrgDirectory
from esign_adapters.testing.im_server import sample_org
from esign_adapters.testing.wecom_server import FakeWeCom
from esign_core.errors import ConfigurationError
from esign_core.ports.org_directory import OrgDirectoryError, UnitKind

from .conftest import WECOM_CORP, WECOM_SECRET

STYLES = [("list", "list"), ("simplelist", "list_id")]


def _directory(server: FakeWeCom, tokens: TokenCache, **kwargs) -> WeComOrgDirectory:  # type: ignore[no-untyped-def]
    options = {"corp_id": WECOM_CORP, "app_secret": WECOM_SECRET, "endpoint": server.endpoint, "timeout": 2.0,
               "tokens": tokens, "sleep": lambda _s: None, **kwargs}
    return WeComOrgDirectory(**options)


@pytest.mark.parametrize(("department_api", "user_api"), STYLES)
def test_company_departments_and_people_are_listed(wecom, tokens, department_api, user_api) -> None:
    d = _directory(wecom, tokens, department_api=department_api, user_api=user_api)
    [company] = d.companies()
    assert (company.external_id, company.kind, company.name) == (WECOM_CORP, UnitKind.COMPANY, "示例科技有限公司")
    units = {u.external_id: u for u in d.departments([])}
    expected = {str(k): v for k, v in wecom.org.departments.items() if k != 1}
    assert set(units) == set(expected)
    assert all(u.parent_id == (None if expected[i].parent == 1 else str(expected[i].parent)) for i, u in units.items())
    assert all(u.name == expected[i].name and u.order == expected[i].order for i, u in units.items())
    people = {p.external_id: p for p in d.people([WECOM_CORP])}
    assert len(people) == 250
    assert people["u00000"].department_ids == ()
    assert people["u00007"].department_ids == ("3", "4")
    assert people["u00002"].mobile == "13800000002" and people["u00002"].email == "u2@example.com"
    assert people["u00003"].mobile is None and people["u00005"].email is None
    assert people["u00001"].disabled and not people["u00002"].disabled  # status 5: left
    narrowed = {p.external_id for p in d.people([WECOM_CORP], ["4"])}
    assert narrowed == {p.userid for p in wecom.org.members(4)}
    assert list(d.people(["another-corp"])) == []


def test_list_id_is_read_through_its_cursor(tokens) -> None:
    server = FakeWeCom(sample_org(departments=3, people=2100), corp_id=WECOM_CORP, corp_secret=WECOM_SECRET).start()
    try:
        d = _directory(server, tokens, user_api="list_id")
        people = list(d.people([]))
        assert len(people) == 2100
        assert server.calls.count("/cgi-bin/user/list_id") == 3  # 2,394 rows, 1,000 a page
    finally:
        server.stop()


@pytest.mark.parametrize(("department_api", "user_api"), STYLES)
def test_an_expired_token_mid_listing_is_refreshed_and_the_listing_continues(wecom, tokens, department_api,
                                                                             user_api) -> None:
    d = _directory(wecom, tokens, department_api=department_api, user_api=user_api)
    people = iter(d.people([]))
    first = [next(people) for _ in range(3)]
    wecom.expire_tokens()  # WeCom now answers errcode 42001
    rest = list(people)
    assert len({p.external_id for p in first + rest}) == 250
    assert wecom.tokens_issued == 2


def test_an_unknown_token_is_refreshed_too(wecom, tokens) -> None:
    d = _directory(wecom, tokens)
    d.department_count()
    wecom.tokens.clear()  # the server forgot it: errcode 40014
    assert d.department_count() == 6
    assert wecom.tokens_issued == 2


def test_a_token_refused_twice_in_a_row_is_an_error(wecom, tokens) -> None:
    wecom.expire_tokens_after(0)
    d = _directory(wecom, tokens)
    d.department_count()  # the first call expires, the retry with a new token passes
    wecom.expires_in = 0  # from now on every token is born expired
    tokens.clear()
    with pytest.raises(OrgDirectoryError, match="42001"):
        d.department_count()


def test_a_wrong_secret_or_corp_id_is_a_clear_error(wecom, tokens) -> None:
    with pytest.raises(OrgDirectoryError) as err:
        _directory(wecom, tokens, app_secret="wrong-secret").department_count()
    assert "Secret is wrong" in str(err.value) and "40001" in str(err.value)
    assert "wrong-secret" not in str(err.value)
    with pytest.raises(OrgDirectoryError, match="CorpID is wrong"):
        _directory(wecom, tokens, corp_id="ww-other").department_count()


@pytest.mark.parametrize(("department_api", "user_api"), STYLES)
def test_withheld_mobile_and_email_are_none(wecom, tokens, department_api, user_api) -> None:
    wecom.withhold_contacts = True
    people = list(_directory(wecom, tokens, department_api=department_api, user_api=user_api).people([]))
    assert len(people) == 250 and all(p.mobile is None and p.email is None for p in people)


def test_server_errors_timeouts_and_rate_limits_are_org_directory_errors(wecom, tokens) -> None:
    wecom.fail_status = 503
    with pytest.raises(OrgDirectoryError, match="server error HTTP 503"):
        _directory(wecom, tokens).department_count()
    wecom.fail_status = None
    wecom.stall_seconds = 1.5
    with pytest.raises(OrgDirectoryError, match="no answer .* within 0.3 s"):
        _directory(wecom, tokens, timeout=0.3).department_count()
    wecom.stall_seconds = 0
    wecom.rate_limited_calls = 3
    assert _directory(wecom, tokens).department_count() == 6  # three pauses, then the answer
    wecom.rate_limited = True
    with pytest.raises(OrgDirectoryError, match="45009.*rate limit"):
        _directory(wecom, tokens).department_count()


def test_the_secret_and_tokens_stay_out_of_logs_and_repr(wecom, tokens, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="httpx")  # an earlier `esign worker` in this process quietens it
    d = _directory(wecom, tokens)
    d.department_count()
    assert "corpsecret=***" in caplog.text  # httpx logged the gettoken URL, masked
    assert WECOM_SECRET not in caplog.text and all(t not in caplog.text for t in wecom.tokens)
    assert WECOM_SECRET not in repr(d)


def test_unknown_api_styles_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="department_api"):
        WeComOrgDirectory(corp_id=WECOM_CORP, app_secret="x", department_api="tree")
    with pytest.raises(ConfigurationError, match="user_api"):
        WeComOrgDirectory.from_config({"corp_id": WECOM_CORP, "app_secret": "x", "user_api": "all"})


@pytest.mark.parametrize(("department_api", "user_api"), STYLES)
def test_a_malformed_answer_is_an_org_directory_error(wecom, tokens, department_api, user_api) -> None:
    wecom.garbage = True
    d = _directory(wecom, tokens, department_api=department_api, user_api=user_api)
    with pytest.raises(OrgDirectoryError, match="WeCom: departments: malformed answer"):
        d.department_count()
    with pytest.raises(OrgDirectoryError, match="WeCom: companies: malformed answer"):
        list(d.companies())
