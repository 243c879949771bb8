"""集成中心 → 应用接入 (manual 五.1.2), ``/console/integration/apps``: the list of apps (name,
AppToken, AppSecret always hidden), 【添加应用】, and per app: name, enable/disable, 重置
AppSecret, the accepted request signatures (``x-qys-*`` with its legacy switch, ``x-esign-*``
HMAC), 外部个人认证 / 外部法人单位认证 callback addresses, 可调用印章 (all internal seals or a
custom list), the IP 白名单 / 黑名单 and single sign-on (统一登录).

An AppSecret appears in exactly one response: the one answering its creation or its reset. It is
not kept in the session and cannot be shown again."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body

from esign_adapters.bootstrap import Platform
from esign_core.errors import EsignError
from esign_core.model.integration import APP_NAME_MAX, AuthScheme, IntegrationApp, SealScope
from esign_core.model.org import TenantType
from esign_core.model.seal import Seal
from esign_core.model.user import Permission
from esign_core.services.integration import AppCredentials, ChangeApp, CreateApp, ResetAppSecret
from esign_http.access import CONSOLE_PATH, by, console_gate
from esign_http.context import language_of, platform_of
from esign_http.errors import describe, message_for
from esign_http.i18n import _l, translate
from esign_http.templating import page

AnyRequest = Request[Any, Any, Any]
FormData = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
APPS_PATH = f"{CONSOLE_PATH}/integration/apps"
SAVED = _l("已保存。")
CREATED = _l("应用已创建。请立即复制 AppSecret：它只显示这一次，之后将被隐藏。")
RESET = _l("AppSecret 已重置，旧的 AppSecret 已立即失效。请立即复制新的 AppSecret：它只显示这一次。")
SCHEME_LABELS = {AuthScheme.QYS_MD5: _l("x-qys-* MD5 签名（兼容原有 SDK）"),
                 AuthScheme.HMAC_SHA256: _l("x-esign-* HMAC-SHA256 签名（绑定请求方法、路径、参数和内容）")}


def _list(data: dict[str, Any], key: str) -> list[str]:
    value = data.get(key, [])
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _lines(text: str) -> list[str]:
    return [part.strip() for part in text.replace(",", "\n").splitlines() if part.strip()]


def _internal_seals(platform: Platform) -> list[tuple[str, Seal]]:
    with platform.uow() as uow:
        orgs = [*uow.organizations.of_type(TenantType.CORPORATE), *uow.organizations.of_type(TenantType.INNER_COMPANY)]
        return [(org.name, seal) for org in orgs for seal in uow.seals.of_owner(org.id)]


def _apps(platform: Platform) -> list[IntegrationApp]:
    with platform.uow() as uow:
        return list(uow.apps.list())


def _app(platform: Platform, app_id: int) -> IntegrationApp:
    with platform.uow() as uow:
        return uow.apps.get(app_id)


def _error(request: AnyRequest, exc: EsignError) -> tuple[str, int]:
    problem = describe(exc)
    return message_for(problem, language_of(request)), problem.status


def _list_page(request: AnyRequest, *, status_code: int = 200, **context: Any) -> Response[Any]:
    context.setdefault("error", None)
    context.setdefault("message", None)
    context.setdefault("credentials", None)
    context.setdefault("name", "")
    return page(request, "console/apps.html", status_code=status_code, apps=_apps(platform_of(request)),
                name_max=APP_NAME_MAX, **context)


def _detail_page(request: AnyRequest, app: IntegrationApp, *, status_code: int = 200, **context: Any) -> Response[Any]:
    context.setdefault("error", None)
    context.setdefault("message", None)
    context.setdefault("credentials", None)
    return page(request, "console/app_detail.html", status_code=status_code, app=app, schemes=list(AuthScheme),
                scheme_labels=SCHEME_LABELS, seals=_internal_seals(platform_of(request)), name_max=APP_NAME_MAX,
                custom=app.seal_scope is SealScope.CUSTOM, **context)


def _change(data: dict[str, Any], app_id: int) -> ChangeApp:
    known = {s.value: s for s in AuthScheme}
    return ChangeApp(
        app_id=app_id, name=str(data.get("name", "")), enabled=data.get("enabled") == "on",
        schemes=frozenset(known[v] for v in _list(data, "scheme") if v in known),
        legacy_static_signature=data.get("legacy") == "on",
        personal_auth_url=str(data.get("personal_auth_url", "")),
        enterprise_auth_url=str(data.get("enterprise_auth_url", "")),
        seal_scope=SealScope.CUSTOM if data.get("seal_scope") == SealScope.CUSTOM.value else SealScope.ALL_INTERNAL,
        seal_ids=[int(v) for v in _list(data, "seal_id") if v.isdecimal()],
        ip_allow=_lines(str(data.get("ip_allow", ""))), ip_deny=_lines(str(data.get("ip_deny", ""))),
        sso_enabled=data.get("sso_enabled") == "on")


class AppAccessController(Controller):
    path = APPS_PATH
    before_request = console_gate
    opt = {"permission": Permission.INTEGRATION}
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def apps_page(self, request: AnyRequest) -> Response[Any]:
        return _list_page(request)

    @post("/", sync_to_thread=True)
    def create(self, request: AnyRequest, data: FormData) -> Response[Any]:
        """【添加应用】: the one response that shows the new AppSecret."""
        try:
            credentials: AppCredentials = platform_of(request).handle(
                by(request, CreateApp(name=str(data.get("name", "")))))
        except EsignError as exc:
            error, status = _error(request, exc)
            return _list_page(request, status_code=status, error=error, name=str(data.get("name", "")))
        return _list_page(request, credentials=credentials, message=translate(CREATED, language_of(request)))

    @get("/{app_id:int}", sync_to_thread=True)
    def detail(self, request: AnyRequest, app_id: int) -> Response[Any]:
        return _detail_page(request, _app(platform_of(request), app_id))

    @post("/{app_id:int}", sync_to_thread=True)
    def save(self, request: AnyRequest, app_id: int, data: FormData) -> Response[Any]:
        platform = platform_of(request)
        try:
            app = platform.handle(by(request, _change(data, app_id)))
        except EsignError as exc:
            error, status = _error(request, exc)
            return _detail_page(request, _app(platform, app_id), status_code=status, error=error)
        return _detail_page(request, app, message=translate(SAVED, language_of(request)))

    @post("/{app_id:int}/reset-secret", sync_to_thread=True)
    def reset_secret(self, request: AnyRequest, app_id: int) -> Response[Any]:
        platform = platform_of(request)
        credentials = platform.handle(by(request, ResetAppSecret(app_id=app_id)))
        return _detail_page(request, _app(platform, app_id), credentials=credentials,
                            message=translate(RESET, language_of(request)))

    @post("/{app_id:int}/state", sync_to_thread=True)
    def switch(self, request: AnyRequest, app_id: int, data: FormData) -> Response[Any]:
        """【启用】 / 【停用】 from the list."""
        platform = platform_of(request)
        platform.handle(by(request, ChangeApp(app_id=app_id, enabled=data.get("enabled") == "true")))
        return _list_page(request, message=translate(SAVED, language_of(request)))
