"""The identity step of single sign-on from DingTalk, WeCom and a WeChat official account: turn
the one-time ``code`` the vendor hands to our page into the vendor's user identifier.

- WeCom web authorisation: :func:`wecom_authorize_url` → the browser comes back with ``code`` →
  ``GET /cgi-bin/auth/getuserinfo?access_token=&code=`` → ``userid`` (a member) or ``openid``.
- DingTalk in-app login (免登): the H5 page gets ``code`` from ``dd.getAuthCode`` →
  ``POST /topapi/v2/user/getuserinfo`` ``{"code"}`` → ``result.userid``.
- WeChat official account web authorisation (网页授权): :func:`WeChatMpLogin.authorize_url` →
  ``GET /sns/oauth2/access_token?appid=&secret=&code=&grant_type=authorization_code`` →
  ``openid`` (and ``unionid`` when the account is bound to an open-platform account).

What is NOT done here (docs/integrations-im.md): binding the identifier to a platform account and
opening a portal session with it; these functions only prove who the vendor says the user is."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import attrs
import httpx

from esign_adapters.org_sync.dingtalk import DingTalkOrgDirectory
from esign_adapters.org_sync.im_http import VendorHttp, VendorRules, errcode_of, text_or_none, vendor_error
from esign_adapters.org_sync.wecom import WeComOrgDirectory
from esign_core.ports.org_directory import OrgDirectoryError

AUTHORIZE = "https://open.weixin.qq.com/connect/oauth2/authorize"
WECHAT_API = "https://api.weixin.qq.com"
WECHAT_RULES = VendorRules(
    name="WeChat official account",
    token_errors=frozenset(),
    hints={40029: "the code is invalid or expired (a code is valid for 5 minutes)",
           40163: "the code was already used", 40125: "the AppSecret is wrong", 40013: "the AppID is wrong",
           45009: "rate limit reached"},
    rate_limit_errors=frozenset({45009}),
)


@attrs.frozen
class VendorIdentity:
    """Who the vendor says logged in: ``user_id`` (DingTalk / WeCom member userid) or ``open_id``
    (WeChat, or WeCom for a non-member), ``union_id`` when the vendor gives one."""

    source: str
    user_id: str | None = None
    open_id: str | None = None
    union_id: str | None = None


def _authorize_url(appid: str, redirect_uri: str, state: str, *, scope: str = "snsapi_base",
                   agent_id: str = "") -> str:
    if scope not in ("snsapi_base", "snsapi_userinfo", "snsapi_privateinfo"):
        raise ValueError(f"unknown OAuth scope {scope!r}")
    params = {"appid": appid, "redirect_uri": redirect_uri, "response_type": "code", "scope": scope, "state": state}
    if agent_id:
        params["agentid"] = agent_id
    # The parameters must be in this order and the fragment must be there, or WeChat refuses.
    return f"{AUTHORIZE}?{urlencode(params)}#wechat_redirect"


def wecom_authorize_url(directory: WeComOrgDirectory, redirect_uri: str, state: str) -> str:
    return _authorize_url(directory.corp_id, redirect_uri, state, agent_id=directory.agent_id)


def wecom_identity(directory: WeComOrgDirectory, code: str) -> VendorIdentity:
    """The WeCom member (or outside user) behind ``code``; OrgDirectoryError if WeCom refuses."""
    data = directory.api.call("GET", "/cgi-bin/auth/getuserinfo", what="auth/getuserinfo", params={"code": code})
    user_id = text_or_none(data.get("userid") or data.get("UserId"))
    open_id = text_or_none(data.get("openid") or data.get("OpenId"))
    if not user_id and not open_id:
        raise OrgDirectoryError("WeCom: auth/getuserinfo answered without a userid or openid")
    return VendorIdentity("wecom", user_id=user_id, open_id=open_id)


def dingtalk_identity(directory: DingTalkOrgDirectory, code: str) -> VendorIdentity:
    """The DingTalk member behind a 免登 ``code``; OrgDirectoryError if DingTalk refuses."""
    data = directory.api.call("POST", "/topapi/v2/user/getuserinfo", what="user/getuserinfo", body={"code": code})
    result = data.get("result") or {}
    user_id = text_or_none(result.get("userid"))
    if not user_id:
        raise OrgDirectoryError("DingTalk: user/getuserinfo answered without a userid")
    return VendorIdentity("dingtalk", user_id=user_id, union_id=text_or_none(result.get("unionid")))


class WeChatMpLogin:
    """Web authorisation of one WeChat official account (AppID + AppSecret)."""

    def __init__(self, *, app_id: str, app_secret: str, endpoint: str = WECHAT_API, timeout: float = 10.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        if not app_id or not app_secret:
            raise OrgDirectoryError("WeChat official account: the AppID and AppSecret are required")
        self.app_id = app_id
        self._secret = app_secret
        self._http = VendorHttp(WECHAT_RULES, endpoint, timeout=timeout, transport=transport, token_key="-",
                                fetch_token=self._no_token)

    def __repr__(self) -> str:
        return f"WeChatMpLogin(app_id={self.app_id!r}, app_secret=***)"

    @staticmethod
    def _no_token(_http: VendorHttp) -> Any:  # pragma: no cover - web authorisation needs no access token
        raise AssertionError("not used")

    def authorize_url(self, redirect_uri: str, state: str, *, scope: str = "snsapi_base") -> str:
        """Where to send the browser (inside WeChat); it comes back to ``redirect_uri`` with
        ``code`` and ``state`` (check ``state`` against the session: it is the CSRF defence)."""
        return _authorize_url(self.app_id, redirect_uri, state, scope=scope)

    def identity(self, code: str) -> VendorIdentity:
        """Exchange ``code`` (single use, 5 minutes) for the user's openid."""
        data = self._http.raw("GET", "/sns/oauth2/access_token", what="sns/oauth2/access_token",
                              params={"appid": self.app_id, "secret": self._secret, "code": code,
                                      "grant_type": "authorization_code"})
        if errcode_of(data) != 0 or not data.get("openid"):
            raise vendor_error(WECHAT_RULES, "sns/oauth2/access_token", data)
        return VendorIdentity("wechat_mp", open_id=str(data["openid"]), union_id=text_or_none(data.get("unionid")))

    def close(self) -> None:
        self._http.close()
