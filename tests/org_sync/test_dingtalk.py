"""The DingTalk directory against a real HTTP stand-in of the DingTalk server API (127.0.0.1)."""

from __future__ import annotations

import logging
import os

import pytest

from esign_adapters.org_sync.dingtalk import DingTalkOrgDirectory
from esign_adapters.org_sync.im_http import TokenCache
from esign_adapters.security import AesGcmSecretBox
from esign_adapters.testing.dingtalk_server import FakeDingTalk
from esign_adapters.testing.im_server import sample_org
from esign_core.errors import ConfigurationError
from esign_core.ports.org_directory import OrgDirectoryError, UnitKind

from .conftest import CORP, DING_KEY, DING_SECRET

PAUSES: list[float] = []


def _directory(server: FakeDingTalk, tokens: TokenCache, **kwargs) -> DingTalkOrgDirectory:  # type: ignore[no-untyped-def]
    options = {"corp_id": CORP, "app_key": DING_KEY, "app_secret": DING_SECRET, "endpoint": server.endpoint,
               "timeout": 2.0, "tokens": tokens, "sleep": PAUSES.append, **kwargs}
    return DingTalkOrgDirectory(**options)


def test_the_whole_corp_is_one_company_and_departments_keep_their_parents(dingtalk, tokens) -> None:
    d = _directory(dingtalk, tokens)
    [company] = d.companies()
    assert (company.external_id, company.kind, company.name) == (CORP, UnitKind.COMPANY, "示例科技有限公司")
    units = {u.external_id: u for u in d.departments([CORP])}
    expected = {str(k): v for k, v in dingtalk.org.departments.items() if k != 1}
    assert set(units) == set(expected)
    for dept_id, unit in units.items():
        parent = expected[dept_id].parent
        assert unit.kind is UnitKind.DEPARTMENT and unit.company_id == CORP
        assert unit.parent_id == (None if parent == 1 else str(parent))
    assert list(d.departments(["another-corp"])) == []
    d.close()


def test_every_person_is_listed_once_through_the_pages(tokens) -> None:
    server = FakeDingTalk(sample_org(departments=2, people=450), app_key=DING_KEY, app_secret=DING_SECRET).start()
    try:
        d = _directory(server, tokens)
        people = list(d.people([]))
        assert len(people) == 450 and len({p.external_id for p in people}) == 450
        # ~225 direct members in each department: three pages of at most 100 each
        assert server.calls.count("/topapi/v2/user/list") >= 7
        by_id = {p.external_id: p for p in people}
        assert by_id["u00000"].department_ids == ()  # directly under the corp
        assert by_id["u00007"].department_ids == ("3", "2")  # two departments
        assert by_id["u00001"].mobile == "13800000001" and by_id["u00001"].email == "u1@example.com"
        assert by_id["u00001"].number == "E00001" and by_id["u00001"].company_id == CORP
        narrowed = list(d.people([CORP], ["3"]))
        assert {p.external_id for p in narrowed} == {p.userid for p in server.org.members(3)}
    finally:
        server.stop()


def test_an_expired_token_mid_listing_is_refreshed_and_the_listing_continues(dingtalk, tokens) -> None:
    d = _directory(dingtalk, tokens)
    people = iter(d.people([]))
    first = [next(people) for _ in range(5)]
    dingtalk.expire_tokens()  # DingTalk now answers errcode 88 / sub_code 40014
    rest = list(people)
    assert len({p.external_id for p in first + rest}) == 250
    assert dingtalk.tokens_issued == 2 and tokens.fetches == 2


def test_a_token_expiring_after_a_few_calls_is_refreshed_once(dingtalk, tokens) -> None:
    dingtalk.expire_tokens_after(3)
    d = _directory(dingtalk, tokens)
    assert len(list(d.departments([]))) == 6
    assert len(list(d.people([]))) == 250
    assert dingtalk.tokens_issued == 2


def test_the_token_is_cached_across_directory_objects(dingtalk, tokens) -> None:
    _directory(dingtalk, tokens).department_count()
    _directory(dingtalk, tokens).department_count()
    assert dingtalk.tokens_issued == 1


def test_a_wrong_app_secret_is_a_clear_error_without_the_secret(dingtalk, tokens) -> None:
    d = _directory(dingtalk, tokens, app_secret="not-the-secret")
    with pytest.raises(OrgDirectoryError) as err:
        list(d.departments([]))
    message = str(err.value)
    assert "gettoken" in message and "AppKey or AppSecret is wrong" in message and "40089" in message
    assert "not-the-secret" not in message


def test_missing_contact_permission_gives_none_not_a_crash(dingtalk, tokens) -> None:
    dingtalk.withhold_contacts = True
    people = list(_directory(dingtalk, tokens).people([]))
    assert len(people) == 250
    assert all(p.mobile is None and p.email is None for p in people)
    assert all(p.name and p.number for p in people)


def test_people_without_a_mobile_or_email_have_none(dingtalk, tokens) -> None:
    by_id = {p.external_id: p for p in _directory(dingtalk, tokens).people([])}
    assert by_id["u00003"].mobile is None and by_id["u00003"].email == "u3@example.com"
    assert by_id["u00005"].email is None and by_id["u00005"].mobile == "13800000005"


def test_a_server_error_is_an_org_directory_error(dingtalk, tokens) -> None:
    dingtalk.fail_status = 502
    with pytest.raises(OrgDirectoryError, match="server error HTTP 502"):
        _directory(dingtalk, tokens).department_count()


def test_a_server_that_does_not_answer_in_time_is_an_org_directory_error(dingtalk, tokens) -> None:
    dingtalk.stall_seconds = 1.5
    with pytest.raises(OrgDirectoryError, match="no answer from 127.0.0.1 within 0.3 s"):
        _directory(dingtalk, tokens, timeout=0.3).department_count()


def test_an_unreachable_server_is_an_org_directory_error(tokens) -> None:
    server = FakeDingTalk(app_key=DING_KEY, app_secret=DING_SECRET)
    endpoint = server.endpoint
    server.httpd.server_close()  # the port is closed: connection refused
    with pytest.raises(OrgDirectoryError, match="cannot reach 127.0.0.1"):
        DingTalkOrgDirectory(corp_id=CORP, app_key=DING_KEY, app_secret=DING_SECRET, endpoint=endpoint,
                             tokens=tokens).department_count()


def test_a_rate_limit_is_waited_out_a_few_times_then_reported(dingtalk, tokens) -> None:
    PAUSES.clear()
    dingtalk.rate_limited_calls = 2
    assert _directory(dingtalk, tokens).department_count() == 6
    assert PAUSES == [1.0, 2.0]
    PAUSES.clear()
    dingtalk.rate_limited = True
    with pytest.raises(OrgDirectoryError, match="90018.*rate limit"):
        _directory(dingtalk, tokens).department_count()
    assert PAUSES == [1.0, 2.0, 4.0]


def test_secrets_never_reach_repr_or_logs(dingtalk, tokens, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="httpx")  # an earlier `esign worker` in this process quietens it
    d = _directory(dingtalk, tokens)
    d.department_count()
    dingtalk.expire_tokens()
    d.department_count()
    assert DING_SECRET not in repr(d) and "***" in repr(d)
    issued = list(dingtalk.tokens)
    assert caplog.text and DING_SECRET not in caplog.text
    assert all(token not in caplog.text for token in issued)


def test_from_config_opens_the_sealed_secret(dingtalk, tokens) -> None:
    box = AesGcmSecretBox(os.urandom(32))
    sealed = box.seal(DING_SECRET.encode(), purpose="org_sync.dingtalk.app_secret")
    d = DingTalkOrgDirectory.from_config({"corp_id": CORP, "app_key": DING_KEY, "app_secret_secret_ref": sealed,
                                          "endpoint": dingtalk.endpoint, "timeout": "3"}, secrets=box, tokens=tokens)
    assert d.department_count() == 6
    with pytest.raises(ConfigurationError, match="unknown setting"):
        DingTalkOrgDirectory.from_config({"corp_id": CORP, "app_key": DING_KEY, "app_secret": "x", "bogus": "1"})
    with pytest.raises(ConfigurationError, match="app_key"):
        DingTalkOrgDirectory.from_config({"corp_id": CORP, "app_secret": "x"})


def test_a_malformed_answer_is_an_org_directory_error(dingtalk, tokens) -> None:
    dingtalk.garbage = True
    with pytest.raises(OrgDirectoryError, match="DingTalk: departments: malformed answer"):
        _directory(dingtalk, tokens).department_count()
