"""The console's connector pages (集成中心 → 连接器, manual 五.1.1): ``/console/integration/connectors``
lists every business system of the manual with what it offers and how much of it is implemented;
``/console/integration/connectors/{code}`` is the settings form of DingTalk and WeCom (CorpId,
AppKey, AppSecret sealed and never sent back, AgentId), with 「测试连接」 counting the
departments the app can see."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body

from esign_adapters import connectors_admin as admin
from esign_core.errors import EsignError, OaError
from esign_core.model.connectors import CONNECTORS_BY_CODE, Capability, ConnectorStatus
from esign_core.model.user import Permission
from esign_http.access import CONSOLE_PATH, account_of, console_gate
from esign_http.context import client_ip, language_of, platform_of
from esign_http.errors import describe, message_for
from esign_http.i18n import _l, translate
from esign_http.templating import page

AnyRequest = Request[Any, Any, Any]
FormData = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
PATH = f"{CONSOLE_PATH}/integration/connectors"
FIELD_PREFIX = "cfg_"

SAVED = _l("已保存。")
CONNECTED = _l("连接成功：%(company)s，可见部门 %(count)s 个。")
CONNECTION_FAILED = _l("连接失败：%(detail)s")
CONTACTS_WITHHELD = _l("读取的前 %(sampled)s 名成员中，%(mobile)s 名没有手机号、%(email)s 名没有邮箱：应用可能缺少读取成员手机号/邮箱的权限，同步时这些字段将为空。")  # noqa: E501
STATUS_LABELS = {ConnectorStatus.IMPLEMENTED: _l("已实现"), ConnectorStatus.PARTIAL: _l("部分实现"),
                 ConnectorStatus.NOT_AVAILABLE: _l("暂不支持")}
CAPABILITY_LABELS = {Capability.ORG_SYNC: _l("组织成员同步"), Capability.SSO: _l("单点登录"),
                     Capability.NOTIFICATIONS: _l("签署消息推送"), Capability.CONTRACT_CREATION: _l("创建合同"),
                     Capability.EVENTS: _l("事件订阅")}


def _error_text(request: AnyRequest, exc: EsignError) -> tuple[str, int]:
    if isinstance(exc, OaError):  # the vendor's refusal, said precisely (no secret is in it)
        return translate(CONNECTION_FAILED, language_of(request), detail=exc.message), 502
    problem = describe(exc)
    return message_for(problem, language_of(request)), problem.status


def _configurable(code: str) -> None:
    found = CONNECTORS_BY_CODE.get(code)
    if found is None or not found.configurable:
        raise NotFoundException()


def _form(request: AnyRequest, code: str, submitted: dict[str, str] | None) -> dict[str, Any]:
    settings = admin.current(platform_of(request))
    saved = settings.config(code)
    try:
        fields, load_error = admin.form_fields(code), None
    except EsignError as exc:
        fields, load_error = (), exc.message
    rows = []
    for f in fields:
        value = "" if f.secret else str((submitted or {}).get(f.name, saved.get(f.name, f.default)))
        rows.append({"field": f, "name": FIELD_PREFIX + f.name, "value": value,
                     "has_saved_secret": f.secret and admin.has_saved_secret(settings, code, f.name)})
    return {"fields": rows, "load_error": load_error, "configured": settings.configured(code)}


def _detail(request: AnyRequest, code: str, *, status_code: int = 200, submitted: dict[str, str] | None = None,
            **extra: Any) -> Response[Any]:
    connector = next(c for c in admin.catalogue() if c.code == code)
    view = {"connector": connector, "form": _form(request, code, submitted), "status_labels": STATUS_LABELS,
            "capability_labels": CAPABILITY_LABELS, "message": None, "error": None, **extra}
    return page(request, "console/connector.html", status_code=status_code, **view)


def _submitted(data: dict[str, str]) -> dict[str, str]:
    return {k[len(FIELD_PREFIX):]: v for k, v in data.items() if k.startswith(FIELD_PREFIX)}


class ConnectorController(Controller):
    """``/console/integration/connectors`` (the 集成中心 permission)."""

    path = PATH
    before_request = console_gate
    opt = {"permission": Permission.INTEGRATION}
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def connectors_page(self, request: AnyRequest) -> Response[Any]:
        settings = admin.current(platform_of(request))
        return page(request, "console/connectors.html", connectors=admin.catalogue(), settings=settings,
                    status_labels=STATUS_LABELS, capability_labels=CAPABILITY_LABELS)

    @get("/{code:str}", sync_to_thread=True)
    def connector_page(self, request: AnyRequest, code: str) -> Response[Any]:
        _configurable(code)
        return _detail(request, code)

    @post("/{code:str}", sync_to_thread=True)
    def save(self, request: AnyRequest, code: str, data: FormData) -> Response[Any]:
        """Save the settings (checked by the adapter, secrets sealed; a blank secret is kept)."""
        _configurable(code)
        platform, submitted = platform_of(request), _submitted(data)
        try:
            admin.save(platform, code, submitted, actor=(account_of(request).username, client_ip(request)))
        except EsignError as exc:
            error, status = _error_text(request, exc)
            return _detail(request, code, status_code=status, submitted=submitted, error=error)
        return _detail(request, code, message=translate(SAVED, language_of(request)))

    @post("/{code:str}/test", sync_to_thread=True)
    def test_connection(self, request: AnyRequest, code: str, data: FormData) -> Response[Any]:
        """「测试连接」 with the settings as typed (unsaved; a blank secret means the saved one)."""
        _configurable(code)
        platform, submitted, lang = platform_of(request), _submitted(data), language_of(request)
        try:
            check = admin.check_connection(platform, code, submitted)
            result, ok, status = translate(CONNECTED, lang, company=check.company, count=check.departments), True, 200
            if check.contacts_withheld:
                result += " " + translate(CONTACTS_WITHHELD, lang, sampled=check.sampled, mobile=check.without_mobile,
                                          email=check.without_email)
        except EsignError as exc:
            (result, status), ok = _error_text(request, exc), False
        if request.headers.get("hx-request"):
            return page(request, "console/_sms_result.html", result=result, ok=ok)
        return _detail(request, code, status_code=status, submitted=submitted, message=result if ok else None,
                       error=None if ok else result)
