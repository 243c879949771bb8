"""A stand-in for the WeChat official-account web-authorisation API (``api.weixin.qq.com``):
``/sns/oauth2/access_token?appid=&secret=&code=&grant_type=authorization_code``. Codes are
issued by the test (:meth:`issue_login_code`), used once; a wrong AppSecret is ``40125``, an
unknown or used code ``40029`` / ``40163``."""

from __future__ import annotations

import secrets
from typing import Any

from esign_adapters.testing.im_server import FakeOrg, VendorServer


class FakeWeChatMp(VendorServer):
    vendor = "wechat_mp"

    def __init__(self, *, app_id: str, app_secret: str, unionid: bool = False) -> None:
        super().__init__(FakeOrg("公众号", {}, []), app_id=app_id, app_secret=app_secret)
        self.unionid = unionid
        self.used_codes: set[str] = set()

    def route(self, method: str, path: str, query: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        if path != "/sns/oauth2/access_token":
            return {"errcode": 48001, "errmsg": "api unauthorized"}
        if query.get("appid") != self.app_id:
            return {"errcode": 40013, "errmsg": "invalid appid"}
        if query.get("secret") != self.app_secret:
            return {"errcode": 40125, "errmsg": "invalid appsecret"}
        if query.get("grant_type") != "authorization_code":
            return {"errcode": 40002, "errmsg": "invalid grant_type"}
        code = query.get("code", "")
        if code in self.used_codes:
            return {"errcode": 40163, "errmsg": "code been used"}
        openid = self.take_login_code(code)
        if openid is None:
            return {"errcode": 40029, "errmsg": "invalid code"}
        self.used_codes.add(code)
        answer = {"access_token": secrets.token_hex(16), "expires_in": 7200, "refresh_token": secrets.token_hex(16),
                  "openid": openid, "scope": "snsapi_base", "is_snapshotuser": 0}
        if self.unionid:
            answer["unionid"] = "union-" + openid
        return answer
