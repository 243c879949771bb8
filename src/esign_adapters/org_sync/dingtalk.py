"""DingTalk (钉钉) as an :class:`~esign_core.ports.org_directory.OrgDirectory`, over the server
API of an internal app (企业内部应用):

- ``GET /gettoken?appkey=&appsecret=`` → ``access_token``, ``expires_in`` (cached, see ADR 0041);
- ``POST /topapi/v2/department/get`` ``{"dept_id": 1}`` → the root department (the corp's name);
- ``POST /topapi/v2/department/listsub`` ``{"dept_id"}`` → one level of sub-departments, walked
  breadth-first from the root (1);
- ``POST /topapi/v2/user/list`` ``{"dept_id", "cursor", "size" <= 100}`` → direct members, paged
  until ``has_more`` is false.

The whole corp is one COMPANY unit (external id: the corp ID); department 1 is that company, so
its direct members have no department. ``mobile`` / ``email`` are absent unless the app holds the
contact-information permission: they are then None, which the sync reports."""

from __future__ import annotations

import time
from collections import deque
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
from esign_core.ports.org_directory import OrgDirectoryError, OrgPerson, OrgUnit, UnitKind
from esign_core.ports.system import SecretBox

ENDPOINT = "https://oapi.dingtalk.com"
ROOT = 1
PAGE_SIZE = 100  # the most user/list answers at once
RULES = VendorRules(
    name="DingTalk",
    # 40014 invalid token, 42001 expired; the newer gateway answers 88 with the sub_code.
    token_errors=frozenset({40014, 42001, 41001}),
    rate_limit_errors=frozenset({90002, 90005, 90006, 90018}),
    hints={
        40089: "the AppKey or AppSecret is wrong",
        40001: "the AppSecret is wrong",
        40091: "the AppKey is wrong",
        40078: "the app does not exist or was deleted",
        60011: "the app may not read the address book: grant 通讯录只读权限 and the departments in its scope",
        60020: "this server's IP address is not in the app's allow list",
        60003: "the department does not exist or is outside the app's scope",
        90018: "rate limit reached: the sync will try again later",
        90002: "rate limit reached: the sync will try again later",
    },
)


class DingTalkOrgDirectory:
    """The address book of one DingTalk organisation, read through an internal app."""

    source: ClassVar[str] = "dingtalk"
    label: ClassVar[str] = "钉钉"
    config_fields: ClassVar[tuple[ConfigField, ...]] = (
        ConfigField("corp_id", "CorpId", required=True, help="钉钉开发者后台 → 基础信息"),
        ConfigField("app_key", "AppKey", required=True),
        ConfigField("app_secret", "AppSecret", required=True, secret=True),
        ConfigField("agent_id", "AgentId", help="推送工作通知时使用"),
        ConfigField("endpoint", "接口地址", default=ENDPOINT),
        ConfigField("timeout", "超时（秒）", default="10"),
    )

    def __init__(self, *, corp_id: str, app_key: str, app_secret: str, agent_id: str = "", endpoint: str = ENDPOINT,
                 timeout: float = 10.0, tokens: TokenCache | None = None,
                 transport: httpx.BaseTransport | None = None, sleep: Callable[[float], None] = time.sleep) -> None:
        if not corp_id or not app_key or not app_secret:
            raise OrgDirectoryError("DingTalk: the CorpId, AppKey and AppSecret are required")
        self.corp_id, self.app_key, self.agent_id = corp_id, app_key, agent_id
        self._secret = app_secret
        self._http = VendorHttp(RULES, endpoint, timeout=timeout, tokens=tokens, transport=transport,
                                token_key=cache_key("dingtalk", endpoint, app_key, secret=app_secret),
                                fetch_token=self._fetch_token, sleep=sleep)
        self._departments: list[str] | None = None

    def __repr__(self) -> str:
        return f"DingTalkOrgDirectory(corp_id={self.corp_id!r}, app_key={self.app_key!r}, app_secret=***)"

    @classmethod
    def from_config(cls, config: Mapping[str, Any], *, secrets: SecretBox | None = None,
                    tokens: TokenCache | None = None) -> DingTalkOrgDirectory:
        check_known(config, cls.config_fields, connector="dingtalk")
        return cls(corp_id=require_setting(config, "corp_id", "dingtalk"),
                   app_key=require_setting(config, "app_key", "dingtalk"),
                   app_secret=reveal(config, "app_secret", secrets=secrets, connector="dingtalk"),
                   agent_id=setting(config, "agent_id"), endpoint=setting(config, "endpoint", ENDPOINT),
                   timeout=seconds(config, "timeout", 10.0, connector="dingtalk"), tokens=tokens)

    def _fetch_token(self, http: VendorHttp) -> IssuedToken:
        data = http.raw("GET", "/gettoken", what="gettoken", params={"appkey": self.app_key,
                                                                      "appsecret": self._secret})
        if errcode_of(data) != 0 or not data.get("access_token"):
            raise vendor_error(RULES, "gettoken (AppKey / AppSecret)", data)
        return issued_token(data)

    # -- OrgDirectory -------------------------------------------------------------------------
    @malformed_as_error("DingTalk")
    def companies(self) -> Iterable[OrgUnit]:
        data = self._http.call("POST", "/topapi/v2/department/get", what="department/get",
                               body={"dept_id": ROOT, "language": "zh_CN"})
        root = data.get("result") or {}
        name = text_or_none(root.get("name")) or self.corp_id
        return [OrgUnit(external_id=self.corp_id, kind=UnitKind.COMPANY, name=name)]

    @malformed_as_error("DingTalk")
    def departments(self, company_ids: Sequence[str]) -> Iterable[OrgUnit]:
        if company_ids and self.corp_id not in company_ids:
            return
        ids: list[str] = []
        queue: deque[int] = deque([ROOT])
        visited = {ROOT}
        while queue:
            parent = queue.popleft()
            data = self._http.call("POST", "/topapi/v2/department/listsub", what="department/listsub",
                                   body={"dept_id": parent, "language": "zh_CN"})
            for item in data.get("result") or ():
                dept_id = int(item["dept_id"])
                if dept_id in visited:  # a cycle or a repeat in the vendor's answer
                    continue
                visited.add(dept_id)
                queue.append(dept_id)
                ids.append(str(dept_id))
                parent_id = item.get("parent_id", parent)
                yield OrgUnit(external_id=str(dept_id), kind=UnitKind.DEPARTMENT,
                              name=str(item.get("name") or dept_id),
                              parent_id=None if int(parent_id) == ROOT else str(parent_id),
                              company_id=self.corp_id, code=text_or_none(item.get("source_identifier")))
        self._departments = ids

    @malformed_as_error("DingTalk")
    def people(self, company_ids: Sequence[str], department_ids: Sequence[str] = ()) -> Iterable[OrgPerson]:
        if company_ids and self.corp_id not in company_ids:
            return
        if department_ids:
            if not all(str(d).isdigit() for d in department_ids):
                raise OrgDirectoryError("DingTalk: department IDs are numbers")
            targets = [int(d) for d in department_ids]
        else:
            if self._departments is None:
                for _ in self.departments(()):
                    pass
            targets = [ROOT, *(int(d) for d in self._departments or ())]
        seen: set[str] = set()
        for dept in targets:
            for item in self._members(dept):
                userid = str(item.get("userid") or "")
                if not userid or userid in seen:
                    continue
                seen.add(userid)
                yield self._person(item)

    def _members(self, dept: int) -> Iterator[dict[str, Any]]:
        cursor: Any = 0
        while True:
            data = self._http.call("POST", "/topapi/v2/user/list", what="user/list",
                                   body={"dept_id": dept, "cursor": cursor, "size": PAGE_SIZE,
                                         "contain_access_limit": False, "language": "zh_CN"})
            result = data.get("result") or {}
            yield from result.get("list") or ()
            if not result.get("has_more"):
                return
            next_cursor = result.get("next_cursor")
            if next_cursor in (None, cursor):
                raise OrgDirectoryError(f"DingTalk: user/list of department {dept} says has_more "
                                        f"without a new cursor")
            cursor = next_cursor

    def _person(self, item: Mapping[str, Any]) -> OrgPerson:
        departments = tuple(str(d) for d in item.get("dept_id_list") or () if int(d) != ROOT)
        return OrgPerson(external_id=str(item["userid"]), name=str(item.get("name") or item["userid"]),
                         company_id=self.corp_id, department_ids=departments,
                         number=text_or_none(item.get("job_number")), mobile=text_or_none(item.get("mobile")),
                         email=text_or_none(item.get("email")) or text_or_none(item.get("org_email")),
                         login=text_or_none(item.get("login_id")))

    def department_count(self) -> int:
        """The number of departments the app can see (the console's 「测试连接」)."""
        return sum(1 for _ in self.departments(()))

    @property
    def api(self) -> VendorHttp:
        """The token-carrying client (the login step uses the same app and token)."""
        return self._http

    def close(self) -> None:
        self._http.close()
