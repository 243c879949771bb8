"""A WeCom server API stand-in (``qyapi.weixin.qq.com`` shapes) for the tests:
``/cgi-bin/gettoken``, ``department/list`` (whole tree or a subtree), ``department/simplelist``,
``department/get``, ``user/list`` (direct members with ``fetch_child=0``), ``user/list_id``
(``cursor`` / ``limit`` / ``next_cursor``, one row per person and department) and ``user/get``.
An expired token is answered ``errcode 42001``, an unknown one ``40014``; a wrong Secret
``40001``, a wrong CorpID ``40013``; the rate limit ``45009``. With ``withhold_contacts`` the
``mobile`` / ``email`` fields are left out, as WeCom does for self-built apps since 2022-06-20.

    server = FakeWeCom(corp_id="ww123", corp_secret="s3cret").start()
"""

from __future__ import annotations

import secrets
from typing import Any

from esign_adapters.testing.im_server import Dept, FakeOrg, Person, VendorServer


class FakeWeCom(VendorServer):
    vendor = "wecom"

    def __init__(self, org: FakeOrg | None = None, *, corp_id: str, corp_secret: str, expires_in: int = 7200) -> None:
        super().__init__(org, app_id=corp_id, app_secret=corp_secret, expires_in=expires_in)
        self._cursors: dict[str, int] = {}

    def route(self, method: str, path: str, query: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        if path == "/cgi-bin/gettoken":
            if query.get("corpid") != self.app_id:
                return {"errcode": 40013, "errmsg": "invalid corpid"}
            if query.get("corpsecret") != self.app_secret:
                return {"errcode": 40001, "errmsg": "invalid credential, hint: [1700000000_1]"}
            return {"errcode": 0, "errmsg": "ok", "access_token": self.issue_token(), "expires_in": self.expires_in}
        state = self.token_state(query.get("access_token", ""))
        if state == "expired":
            return {"errcode": 42001, "errmsg": "access_token expired, hint: [1700000000_2]"}
        if state == "invalid":
            return {"errcode": 40014, "errmsg": "invalid access_token, hint: [1700000000_3]"}
        self.calls.append(path)
        if self.limited():
            return {"errcode": 45009, "errmsg": "api freq out of limit"}
        ok: dict[str, Any] = {"errcode": 0, "errmsg": "ok"}
        if path == "/cgi-bin/department/list":
            top = int(query.get("id") or 1)
            return {**ok, "department": [self._dept(d) for d in self._subtree(top)]}
        if path == "/cgi-bin/department/simplelist":
            top = int(query.get("id") or 1)
            return {**ok, "department_id": [{"id": d.id, "parentid": d.parent, "order": d.order}
                                            for d in self._subtree(top)]}
        if path == "/cgi-bin/department/get":
            dept = self.org.departments.get(int(query["id"]))
            if dept is None:
                return {"errcode": 60123, "errmsg": "invalid party id"}
            return {**ok, "department": self._dept(dept)}
        if path == "/cgi-bin/user/list":
            dept_id = int(query["department_id"])
            if dept_id not in self.org.departments:
                return {"errcode": 60123, "errmsg": "invalid party id"}
            return {**ok, "userlist": [self._user(p) for p in self.org.members(dept_id)]}
        if path == "/cgi-bin/user/list_id" and method == "POST":
            limit = int(body.get("limit") or 1000)
            if not 0 < limit <= 10000:
                return {"errcode": 40058, "errmsg": "invalid limit"}
            cursor = str(body.get("cursor") or "")
            if cursor and cursor not in self._cursors:
                return {"errcode": 40035, "errmsg": "invalid cursor"}
            start = self._cursors.get(cursor, 0)
            pairs = [(p.userid, d) for p in self.org.people for d in p.departments]
            page = pairs[start:start + limit]
            answer = {**ok, "dept_user": [{"userid": u, "department": d} for u, d in page]}
            if start + limit < len(pairs):
                token = secrets.token_urlsafe(12)
                self._cursors[token] = start + limit
                answer["next_cursor"] = token
            return answer
        if path == "/cgi-bin/user/get":
            person = self.org.person(query.get("userid", ""))
            if person is None:
                return {"errcode": 60111, "errmsg": "userid not found"}
            return {**ok, **self._user(person)}
        if path == "/cgi-bin/auth/getuserinfo":
            userid = self.take_login_code(query.get("code", ""))
            if userid is None:
                return {"errcode": 40029, "errmsg": "invalid code"}
            if self.org.person(userid) is None:
                return {**ok, "openid": userid, "external_userid": ""}
            return {**ok, "userid": userid, "user_ticket": secrets.token_hex(8), "expires_in": 1800}
        return {"errcode": 48001, "errmsg": "api forbidden"}

    def _subtree(self, top: int) -> list[Dept]:
        out, queue = [], [top]
        while queue:
            current = queue.pop(0)
            dept = self.org.departments.get(current)
            if dept is not None:
                out.append(dept)
                queue.extend(d.id for d in self.org.children(current))
        return out

    @staticmethod
    def _dept(d: Dept) -> dict[str, Any]:
        return {"id": d.id, "name": d.name, "name_en": "", "department_leader": [], "parentid": d.parent,
                "order": d.order}

    def _user(self, p: Person) -> dict[str, Any]:
        user: dict[str, Any] = {"userid": p.userid, "name": p.name, "department": list(p.departments),
                                "order": [0] * len(p.departments), "position": "", "status": p.status,
                                "is_leader_in_dept": [0] * len(p.departments), "main_department": p.departments[0],
                                "open_userid": "wo-" + p.userid}
        if not self.withhold_contacts:
            user["mobile"] = p.mobile or ""
            user["email"] = p.email or ""
        return user
