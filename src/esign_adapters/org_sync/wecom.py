"""WeCom (企业微信) as an :class:`~esign_core.ports.org_directory.OrgDirectory`, over the server
API of a self-built app or the address-book secret:

- ``GET /cgi-bin/gettoken?corpid=&corpsecret=`` → ``access_token``, ``expires_in`` (cached, ADR 0041);
- ``GET /cgi-bin/department/get?id=1`` → the root department (the corp's name);
- departments: ``GET /cgi-bin/department/list`` (the whole tree in one answer; ``department_api =
  list``) or ``GET /cgi-bin/department/simplelist`` + ``department/get`` per department
  (``simplelist``: what WeCom requires from new IP addresses since 2022-08-15);
- people: ``GET /cgi-bin/user/list?department_id=`` per department (``user_api = list``), or
  ``POST /cgi-bin/user/list_id`` ``{"cursor", "limit"}`` paged by ``next_cursor`` + ``GET
  /cgi-bin/user/get`` per person (``list_id``, the post-2022 way).

The whole corp is one COMPANY unit (external id: the CorpID); department 1 is that company. Since
2022-06-20 self-built apps no longer receive ``mobile`` / ``email``: they are then None. Status 2
(disabled) and 5 (left) are ``disabled``; 4 (not activated yet) is not."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, ClassVar

import httpx

from esign_adapters.org_sync.connector_config import (
    ConfigField,
    check_known,
    reveal,
    seconds,
    setting,
)
from esign_adapters.org_sync.im_http import (
    IssuedToken,
    TokenCache,
    VendorHttp,
    VendorRules,
    cache_key,
    errcode_of,
    issued_token,
    malformed_as_error,
    require_setting,
    text_or_none,
    vendor_error,
)
from esign_core.errors import ConfigurationError
from esign_core.ports.org_directory import OrgDirectoryError, OrgPerson, OrgUnit, UnitKind
from esign_core.ports.system import SecretBox

ENDPOINT = "https://qyapi.weixin.qq.com"
ROOT = 1
LIST_ID_LIMIT = 1000  # user/list_id accepts up to 10,000; 1,000 keeps each answer small
DISABLED_STATUSES = frozenset({2, 5})
RULES = VendorRules(
    name="WeCom",
    token_errors=frozenset({40014, 42001, 41001}),
    rate_limit_errors=frozenset({45009, 45011, 45033, -1}),
    hints={
        40001: "the Secret is wrong",
        40013: "the CorpID is wrong",
        40091: "the Secret is wrong",
        40056: "the AgentId is wrong",
        48009: "the address-book secret may not call this API from this IP address since 2022-08-15: "
               "choose department_api = simplelist and user_api = list_id",
        60011: "the app may not read these departments or people: widen its visible scope (可见范围)",
        60020: "this server's IP address is not in the app's trusted IPs (企业可信IP)",
        60123: "the department does not exist",
        45009: "rate limit reached: the sync will try again later",
        -1: "WeCom is busy: the sync will try again later",
    },
)


class WeComOrgDirectory:
    """The address book of one WeCom corp."""

    source: ClassVar[str] = "wecom"
    label: ClassVar[str] = "企业微信"
    config_fields: ClassVar[tuple[ConfigField, ...]] = (
        ConfigField("corp_id", "CorpID（企业ID）", required=True, help="企业微信管理后台 → 我的企业"),
        ConfigField("app_secret", "Secret", required=True, secret=True, help="自建应用或通讯录同步的 Secret"),
        ConfigField("agent_id", "AgentId", help="推送应用消息时使用"),
        ConfigField("department_api", "部门接口", default="list", help="list 或 simplelist"),
        ConfigField("user_api", "成员接口", default="list", help="list 或 list_id"),
        ConfigField("endpoint", "接口地址", default=ENDPOINT),
        ConfigField("timeout", "超时（秒）", default="10"),
    )

    def __init__(self, *, corp_id: str, app_secret: str, agent_id: str = "", department_api: str = "list",
                 user_api: str = "list", endpoint: str = ENDPOINT, timeout: float = 10.0,
                 tokens: TokenCache | None = None, transport: httpx.BaseTransport | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if not corp_id or not app_secret:
            raise OrgDirectoryError("WeCom: the CorpID and the Secret are required")
        if department_api not in ("list", "simplelist"):
            raise ConfigurationError("wecom: department_api must be list or simplelist", field="department_api")
        if user_api not in ("list", "list_id"):
            raise ConfigurationError("wecom: user_api must be list or list_id", field="user_api")
        self.corp_id, self.agent_id = corp_id, agent_id
        self.department_api, self.user_api = department_api, user_api
        self._secret = app_secret
        self._http = VendorHttp(RULES, endpoint, timeout=timeout, tokens=tokens, transport=transport,
                                token_key=cache_key("wecom", endpoint, corp_id, secret=app_secret),
                                fetch_token=self._fetch_token, sleep=sleep)
        self._departments: list[str] | None = None

    def __repr__(self) -> str:
        return (f"WeComOrgDirectory(corp_id={self.corp_id!r}, secret=***, departments={self.department_api}, "
                f"users={self.user_api})")

    @classmethod
    def from_config(cls, config: Mapping[str, Any], *, secrets: SecretBox | None = None,
                    tokens: TokenCache | None = None) -> WeComOrgDirectory:
        check_known(config, cls.config_fields, connector="wecom")
        return cls(corp_id=require_setting(config, "corp_id", "wecom"),
                   app_secret=reveal(config, "app_secret", secrets=secrets, connector="wecom"),
                   agent_id=setting(config, "agent_id"),
                   department_api=setting(config, "department_api", "list").lower(),
                   user_api=setting(config, "user_api", "list").lower(),
                   endpoint=setting(config, "endpoint", ENDPOINT),
                   timeout=seconds(config, "timeout", 10.0, connector="wecom"), tokens=tokens)

    def _fetch_token(self, http: VendorHttp) -> IssuedToken:
        data = http.raw("GET", "/cgi-bin/gettoken", what="gettoken",
                        params={"corpid": self.corp_id, "corpsecret": self._secret})
        if errcode_of(data) != 0 or not data.get("access_token"):
            raise vendor_error(RULES, "gettoken (CorpID / Secret)", data)
        return issued_token(data)

    # -- OrgDirectory -------------------------------------------------------------------------
    @malformed_as_error("WeCom")
    def companies(self) -> Iterable[OrgUnit]:
        root = self._department(ROOT)
        name = text_or_none(root.get("name")) or self.corp_id
        return [OrgUnit(external_id=self.corp_id, kind=UnitKind.COMPANY, name=name)]

    def _department(self, dept_id: int) -> dict[str, Any]:
        data = self._http.call("GET", "/cgi-bin/department/get", what="department/get", params={"id": dept_id})
        return dict(data.get("department") or {})

    @malformed_as_error("WeCom")
    def departments(self, company_ids: Sequence[str]) -> Iterable[OrgUnit]:
        if company_ids and self.corp_id not in company_ids:
            return
        ids: list[str] = []
        if self.department_api == "list":
            data = self._http.call("GET", "/cgi-bin/department/list", what="department/list")
            items: Iterable[Mapping[str, Any]] = data.get("department") or ()
        else:
            data = self._http.call("GET", "/cgi-bin/department/simplelist", what="department/simplelist")
            items = self._details(data.get("department_id") or ())
        for item in items:
            dept_id = int(item["id"])
            if dept_id == ROOT:
                continue
            ids.append(str(dept_id))
            parent = int(item.get("parentid") or ROOT)
            yield OrgUnit(external_id=str(dept_id), kind=UnitKind.DEPARTMENT, name=str(item.get("name") or dept_id),
                          parent_id=None if parent == ROOT else str(parent), company_id=self.corp_id,
                          order=float(item.get("order") or 0))
        self._departments = ids

    def _details(self, simple: Iterable[Mapping[str, Any]]) -> Iterator[Mapping[str, Any]]:
        for entry in simple:
            if int(entry["id"]) == ROOT:
                continue
            detail = self._department(int(entry["id"]))
            yield {**entry, **detail}

    @malformed_as_error("WeCom")
    def people(self, company_ids: Sequence[str], department_ids: Sequence[str] = ()) -> Iterable[OrgPerson]:
        if company_ids and self.corp_id not in company_ids:
            return
        if not all(str(d).isdigit() for d in department_ids):
            raise OrgDirectoryError("WeCom: department IDs are numbers")
        wanted = {int(d) for d in department_ids}
        if self.user_api == "list_id":
            yield from self._people_by_id(wanted)
            return
        if wanted:
            targets = sorted(wanted)
        else:
            if self._departments is None:
                for _ in self.departments(()):
                    pass
            targets = [ROOT, *(int(d) for d in self._departments or ())]
        seen: set[str] = set()
        for dept in targets:
            data = self._http.call("GET", "/cgi-bin/user/list", what="user/list",
                                   params={"department_id": dept, "fetch_child": 0})
            for item in data.get("userlist") or ():
                userid = str(item.get("userid") or "")
                if userid and userid not in seen:
                    seen.add(userid)
                    yield self._person(item)

    def _people_by_id(self, wanted: set[int]) -> Iterator[OrgPerson]:
        # list_id answers (userid, department) pairs: a person's pairs may span pages, so every
        # pair (ids only) is read first, then each person once with user/get.
        membership: dict[str, list[int]] = {}
        cursor = ""
        while True:
            body: dict[str, Any] = {"limit": LIST_ID_LIMIT}
            if cursor:
                body["cursor"] = cursor
            data = self._http.call("POST", "/cgi-bin/user/list_id", what="user/list_id", body=body)
            for pair in data.get("dept_user") or ():
                userid = str(pair.get("userid") or pair.get("open_userid") or "")
                if userid:
                    membership.setdefault(userid, []).append(int(pair.get("department") or ROOT))
            next_cursor = str(data.get("next_cursor") or "")
            if not next_cursor:
                break
            if next_cursor == cursor:
                raise OrgDirectoryError("WeCom: user/list_id repeated its cursor")
            cursor = next_cursor
        for userid, departments in membership.items():
            if wanted and not wanted.intersection(departments):
                continue
            detail = self._http.call("GET", "/cgi-bin/user/get", what="user/get", params={"userid": userid})
            yield self._person({"department": departments, **detail, "userid": userid})

    def _person(self, item: Mapping[str, Any]) -> OrgPerson:
        departments = tuple(dict.fromkeys(str(d) for d in item.get("department") or () if int(d) != ROOT))
        try:
            status = int(item.get("status") or 1)
        except (TypeError, ValueError):
            status = 1
        return OrgPerson(external_id=str(item["userid"]), name=str(item.get("name") or item["userid"]),
                         company_id=self.corp_id, department_ids=departments, mobile=text_or_none(item.get("mobile")),
                         email=text_or_none(item.get("email")) or text_or_none(item.get("biz_mail")),
                         login=None, disabled=status in DISABLED_STATUSES)

    def department_count(self) -> int:
        """The number of departments the app can see (the console's 「测试连接」)."""
        return sum(1 for _ in self.departments(()))

    @property
    def api(self) -> VendorHttp:
        """The token-carrying client (the login step uses the same app and token)."""
        return self._http

    def close(self) -> None:
        self._http.close()
