"""The console (电子合同管理控制台): login, logout and the dashboard."""

from __future__ import annotations

import math
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect

from esign_adapters.bootstrap import Platform
from esign_core.errors import EsignError, PermissionDenied
from esign_core.model.installation import QuotaKind
from esign_core.model.user import AdminAccount
from esign_core.services.commands import LoginAdmin
from esign_http.access import CONSOLE_PATH, LOGIN_ONLY, LOGIN_PATH, account_of, console_gate, current_account, safe_next
from esign_http.context import client_ip, language_of, platform_of
from esign_http.errors import FormInvalid, render_form_error
from esign_http.i18n import _l, translate
from esign_http.login_steps import finish_password_step
from esign_http.ratelimit import LoginThrottle, TooManyAttempts
from esign_http.sessions import log_out
from esign_http.templating import page

AnyRequest = Request[Any, Any, Any]
FormData = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]

QUOTA_LABELS: dict[QuotaKind, str] = {
    QuotaKind.INTERNAL_ENTERPRISES: _l("内部企业数"),
    QuotaKind.INTERNAL_USERS: _l("内部用户数"),
    QuotaKind.EXTERNAL_ENTERPRISES: _l("外部企业数"),
    QuotaKind.EXTERNAL_USERS: _l("外部用户数"),
}
UNLIMITED = _l("不限")
TOO_MANY_ATTEMPTS = _l("登录尝试过于频繁，请 %(minutes)s 分钟后再试。")


def dashboard_view(platform: Platform, account: AdminAccount, lang: str) -> dict[str, Any]:
    """What the dashboard shows, read in one unit of work."""
    with platform.uow() as uow:
        inst = uow.installation.find()
        org = uow.organizations.platform()
    if inst is None:  # cannot happen behind console_gate; keeps the type checker honest
        raise EsignError("the platform is not initialised")
    quotas = []
    for kind, label in QUOTA_LABELS.items():
        limit = inst.licence.quotas.limit(kind)
        quotas.append((translate(label, lang), translate(UNLIMITED, lang) if limit is None else str(limit)))
    return {
        "product_code": inst.product_code,
        "licensee": inst.licence.licensee,
        "licence_expires": inst.licence.expires_at.date().isoformat(),
        "quotas": quotas,
        "platform_name": org.name if org else "",
        "account": account,
    }


def _login_page(request: AnyRequest, *, status_code: int = 200, **context: Any) -> Response[Any]:
    context.setdefault("error", None)
    context.setdefault("username", "")
    context.setdefault("next", safe_next(request.query_params.get("next")))
    return page(request, "console/login.html", status_code=status_code, **context)


class ConsoleController(Controller):
    """``/console``: every page needs an activated platform and, unless public, a login."""

    path = CONSOLE_PATH
    before_request = console_gate
    include_in_schema = False

    @get("/login", opt={"public": True})
    async def login_page(self, request: AnyRequest) -> Response[Any]:
        if await current_account(request) is not None:
            return Redirect(safe_next(request.query_params.get("next")))
        return _login_page(request)

    @post("/login", opt={"public": True}, sync_to_thread=True)
    def login(self, request: AnyRequest, data: FormData) -> Response[Any]:
        """Throttle first, then the domain's check (which locks the account after 5 failures)."""
        platform = platform_of(request)
        throttle: LoginThrottle = request.app.state["login_throttle"]
        username, password = data.get("username", "").strip(), data.get("password", "")
        target, ip = safe_next(data.get("next")), client_ip(request)
        try:
            throttle.check(ip, username)
        except TooManyAttempts as exc:
            message = translate(TOO_MANY_ATTEMPTS, language_of(request), minutes=math.ceil(exc.retry_after / 60))
            return _login_page(request, status_code=429, headers={"retry-after": str(exc.retry_after)},
                               error=message, username=username, next=target)
        try:
            if not username or not password:
                raise FormInvalid("username", _l("请输入账号和密码。"))
            account_id = platform.handle(LoginAdmin(username=username, password=password))
        except PermissionDenied as exc:
            throttle.failed(ip, username)
            return render_form_error(request, "console/login.html", exc, username=username, next=target)
        except EsignError as exc:
            return render_form_error(request, "console/login.html", exc, username=username, next=target)
        throttle.succeeded(username)
        return finish_password_step(request, account_id=account_id, username=username, target=target)

    @post("/logout", opt={"public": True})
    async def logout(self, request: AnyRequest) -> Response[Any]:
        """POST only (and CSRF-checked), so a link on another site cannot log anyone out."""
        log_out(request)
        return Redirect(LOGIN_PATH)

    @get("/", sync_to_thread=True, opt={"permission": LOGIN_ONLY})
    def dashboard(self, request: AnyRequest) -> Response[Any]:
        view = dashboard_view(platform_of(request), account_of(request), language_of(request))
        return page(request, "console/dashboard.html", **view)
