"""The identity step of single sign-on (code → vendor user) against the stand-in servers."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from esign_adapters.org_sync.dingtalk import DingTalkOrgDirectory
from esign_adapters.org_sync.login import (
    WeChatMpLogin,
    dingtalk_identity,
    wecom_authorize_url,
    wecom_identity,
)
from esign_adapters.org_sync.wecom import WeComOrgDirectory
from esign_adapters.testing.wechat_mp_server import FakeWeChatMp
from esign_core.ports.org_directory import OrgDirectoryError

from .conftest import CORP, DING_KEY, DING_SECRET, WECOM_CORP, WECOM_SECRET


def test_a_wecom_code_gives_the_member_userid(wecom, tokens) -> None:
    d = WeComOrgDirectory(corp_id=WECOM_CORP, app_secret=WECOM_SECRET, agent_id="1000002", endpoint=wecom.endpoint,
                          tokens=tokens)
    url = wecom_authorize_url(d, "https://esign.example.com/sso/wecom", "st-1")
    parts = urlsplit(url)
    assert parts.fragment == "wechat_redirect"
    query = parse_qs(parts.query)
    assert query["appid"] == [WECOM_CORP] and query["agentid"] == ["1000002"] and query["state"] == ["st-1"]
    identity = wecom_identity(d, wecom.issue_login_code("u00002"))
    assert (identity.source, identity.user_id, identity.open_id) == ("wecom", "u00002", None)
    outsider = wecom_identity(d, wecom.issue_login_code("o-visitor"))
    assert outsider.user_id is None and outsider.open_id == "o-visitor"
    with pytest.raises(OrgDirectoryError, match="40029"):
        wecom_identity(d, "made-up-code")


def test_a_dingtalk_code_gives_the_member_userid(dingtalk, tokens) -> None:
    d = DingTalkOrgDirectory(corp_id=CORP, app_key=DING_KEY, app_secret=DING_SECRET, endpoint=dingtalk.endpoint,
                             tokens=tokens)
    code = dingtalk.issue_login_code("u00004")
    identity = dingtalk_identity(d, code)
    assert (identity.user_id, identity.union_id) == ("u00004", "union-u00004")
    with pytest.raises(OrgDirectoryError, match="40078"):
        dingtalk_identity(d, code)  # single use


def test_a_wechat_official_account_code_gives_the_openid() -> None:
    server = FakeWeChatMp(app_id="wx0123", app_secret="mp-secret", unionid=True).start()
    try:
        login = WeChatMpLogin(app_id="wx0123", app_secret="mp-secret", endpoint=server.endpoint, timeout=2)
        url = login.authorize_url("https://esign.example.com/sso/wechat", "st-2", scope="snsapi_base")
        assert url.startswith("https://open.weixin.qq.com/connect/oauth2/authorize?appid=wx0123&redirect_uri=")
        assert url.endswith("#wechat_redirect")
        code = server.issue_login_code("oOpenId-42")
        identity = login.identity(code)
        assert (identity.source, identity.open_id, identity.union_id) == ("wechat_mp", "oOpenId-42", "union-oOpenId-42")
        with pytest.raises(OrgDirectoryError, match="40163.*already used"):
            login.identity(code)
        wrong = WeChatMpLogin(app_id="wx0123", app_secret="other", endpoint=server.endpoint, timeout=2)
        with pytest.raises(OrgDirectoryError, match="AppSecret is wrong") as err:
            wrong.identity(server.issue_login_code("o-1"))
        assert "other" not in str(err.value) and "mp-secret" not in repr(login)
    finally:
        server.stop()
