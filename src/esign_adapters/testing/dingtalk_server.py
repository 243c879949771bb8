"""A DingTalk server API stand-in (``oapi.dingtalk.com`` shapes) for the tests: ``/gettoken``,
``/topapi/v2/department/get``, ``/topapi/v2/department/listsub`` (one level),
``/topapi/v2/user/list`` (direct members, ``cursor`` / ``has_more`` / ``next_cursor``, ``size``
at most 100). An expired token is answered ``errcode 88`` with ``sub_code 40014``, an unknown one
``40014``; a wrong AppSecret ``40089``; the rate limit ``90018``. With ``withhold_contacts``
the ``mobile`` and ``email`` fields are left out, as for an app without that permission.

    server = FakeDingTalk(app_key="ding-key", app_secret="s3cret").start()
    ...
    server.stop()
"""

from __future__ import annotations

import secrets
from typing import Any

from esign_adapters.testing.im_server import FakeOrg, Person, VendorServer


class FakeDingTalk(VendorServer):
    vendor = "dingtalk"

    def __init__(self, org: FakeOrg | None = None, *, app_key: str, app_secret: str, expires_in: int = 7200) -> None:
        super().__init__(org, app_id=app_key, app_secret=app_secret, expires_in=expires_in)

    def route(self, method: str, path: str, query: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        request_id = secrets.token_hex(6)
        if path == "/gettoken":
            if query.get("appkey") != self.app_id or query.get("appsecret") != self.app_secret:
                return {"errcode": 40089, "errmsg": "不合法的corpid或corpsecret", "request_id": request_id}
            return {"errcode": 0, "errmsg": "ok", "access_token": self.issue_token(), "expires_in": self.expires_in}
        state = self.token_state(query.get("access_token", ""))
        if state == "expired":
            return {"errcode": 88, "sub_code": "40014", "sub_msg": "不合法的access_token",
                    "errmsg": "ding talk error[subcode=40014,submsg=不合法的access_token]", "request_id": request_id}
        if state == "invalid":
            return {"errcode": 40014, "errmsg": "不合法的access_token", "request_id": request_id}
        self.calls.append(path)
        if self.limited():
            return {"errcode": 90018, "errmsg": "当前企业调用该接口超过限制，请稍后再试", "request_id": request_id}
        if method != "POST":
            return {"errcode": 43002, "errmsg": "需要POST请求", "request_id": request_id}
        if path == "/topapi/v2/department/get":
            dept = self.org.departments.get(int(body["dept_id"]))
            if dept is None:
                return {"errcode": 60003, "errmsg": "部门不存在", "request_id": request_id}
            return {"errcode": 0, "errmsg": "ok", "request_id": request_id,
                    "result": {"dept_id": dept.id, "name": dept.name, "parent_id": dept.parent, "order": dept.order}}
        if path == "/topapi/v2/department/listsub":
            parent = int(body["dept_id"])
            if parent not in self.org.departments:
                return {"errcode": 60003, "errmsg": "部门不存在", "request_id": request_id}
            result = [{"dept_id": d.id, "name": d.name, "parent_id": d.parent, "create_dept_group": False,
                       "auto_add_user": True} for d in self.org.children(parent)]
            return {"errcode": 0, "errmsg": "ok", "request_id": request_id, "result": result}
        if path == "/topapi/v2/user/list":
            size, cursor = int(body["size"]), int(body.get("cursor") or 0)
            if not 0 < size <= 100:
                return {"errcode": 40035, "errmsg": "不合法的参数: size", "request_id": request_id}
            members = self.org.members(int(body["dept_id"]))
            page = members[cursor:cursor + size]
            has_more = cursor + size < len(members)
            result: dict[str, Any] = {"has_more": has_more, "list": [self._user(p) for p in page]}
            if has_more:
                result["next_cursor"] = cursor + size
            return {"errcode": 0, "errmsg": "ok", "request_id": request_id, "result": result}
        if path == "/topapi/v2/user/getuserinfo":
            userid = self.take_login_code(str(body.get("code") or ""))
            if userid is None:
                return {"errcode": 40078, "errmsg": "不存在的临时授权码", "request_id": request_id}
            return {"errcode": 0, "errmsg": "ok", "request_id": request_id,
                    "result": {"userid": userid, "unionid": "union-" + userid, "name": "", "sys": False}}
        return {"errcode": 22, "errmsg": f"Invalid method[{path}]", "request_id": request_id}

    def _user(self, p: Person) -> dict[str, Any]:
        user: dict[str, Any] = {"userid": p.userid, "unionid": "union-" + p.userid, "name": p.name,
                                "dept_id_list": list(p.departments), "job_number": p.job_number or "",
                                "title": "", "active": True, "admin": False, "boss": False, "leader": False,
                                "hide_mobile": False, "exclusive_account": False}
        if not self.withhold_contacts:
            if p.mobile:
                user["mobile"] = p.mobile
            if p.email:
                user["email"] = p.email
        return user
