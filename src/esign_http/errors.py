"""The one place where errors become HTTP responses.

Raising code never imports Litestar: the domain raises :class:`~esign_core.errors.EsignError`
subclasses and this module maps them, per mount, to

- ``/api/*``: RFC 9457 problem details (``application/problem+json``);
- ``/open/*`` and ``/checkHealth``: the open-API envelope ``{"code": …, "message": …}``;
- everything else (console, setup, portal): an HTML error page.

Form handlers that re-render their form call :func:`describe` and :func:`message_for` so the
wording is the same as on the error page. Responses never carry stack traces; unexpected errors
are logged with the request id, which the response shows so an operator can find the log line.
"""

from __future__ import annotations

import logging
import re
from http import HTTPStatus
from typing import Any

import attrs
from litestar import Request, Response
from litestar.exceptions import HTTPException, PermissionDeniedException, ValidationException

from esign_core import errors as e
from esign_core.errors import EsignError
from esign_http.context import language_of
from esign_http.i18n import DEFAULT_LANGUAGE, _l, translate
from esign_http.security import request_id_of
from esign_http.templating import page

log = logging.getLogger("esign_http")

PROBLEM_BASE = "https://esign.dev/problems/"
OPEN_OK, OPEN_UNKNOWN, OPEN_BAD_PARAMETER = 0, 1000000, 1000001
_OPEN_KEEP_STATUS = frozenset({e.AuthenticationFailed.code})

# Looked up along the exception's MRO, so the most specific class wins.
_STATUS: dict[type[e.EsignError], int] = {
    e.AlreadyInitialized: 409, e.NotInitialized: 409, e.LicenceError: 400, e.QuotaExceeded: 403,
    e.InvalidTransition: 409, e.AlreadyExists: 409, e.DomainError: 400, e.NotFoundError: 404,
    e.AuthenticationFailed: 401, e.AccountLocked: 423,
    e.PermissionDenied: 403, e.ConcurrencyError: 409, e.PortError: 503, e.EsignError: 500,
}
_MESSAGES: dict[type[e.EsignError], str] = {
    e.AlreadyInitialized: _l("系统已激活，不能重复激活。如需重新激活，请使用新的数据库。"),
    e.NotInitialized: _l("系统尚未激活，请先完成激活配置。"),
    e.LicenceError: _l("license 码无效：不是由授权方签发，或内容不完整。请检查是否完整复制。"),
    e.QuotaExceeded: _l("license 授权数量已用完，请联系供应商扩容。"),
    e.InvalidValue: _l("%(label)s填写不正确：%(detail)s"),
    e.DomainError: _l("操作被拒绝：%(detail)s"),
    e.NotFoundError: _l("请求的内容不存在。"),
    e.AuthenticationFailed: _l("账号或密码错误。"),
    e.PermissionDenied: _l("您没有权限执行此操作。"),
    e.ConcurrencyError: _l("数据已被他人修改，请刷新后重试。"),
    e.DatabaseError: _l("数据库不可用：%(detail)s"),
    e.ConfigurationError: _l("配置错误：%(detail)s"),
    e.SmsError: _l("短信发送失败：%(detail)s"),
    e.MailError: _l("邮件发送失败：%(detail)s"),
    e.PortError: _l("外部服务暂不可用，请稍后重试。"),
    e.EsignError: _l("操作失败：%(detail)s"),
}
# Fields whose problem deserves its own sentence rather than "<label> is wrong: <detail>".
_FIELD_MESSAGES: dict[str, str] = {
    "mobile": _l("手机号格式不正确，请输入 11 位中国大陆手机号。"),
    "uscc": _l("统一社会信用代码不正确，请检查后重新输入（可不填）。"),
    "offline_token": _l("关闭 API 接口服务时，必须上传 token 文件。"),
    "licence_image": _l("关闭 API 接口服务时，必须上传营业执照图片 LICENSE.png（PNG 格式）。"),
    "product_code": _l("产品识别码与本系统不一致。"),
}
_PASSWORD_MESSAGES: dict[str, str] = {
    "NORMAL": _l("密码强度不足：至少 8 位，且须同时包含字母和数字。"),
    "STRONG": _l("密码强度不足：至少 10 位，且须同时包含大写字母、小写字母和数字。"),
    "VERY_STRONG": _l("密码强度不足：至少 12 位，且须同时包含大写字母、小写字母、数字和符号。"),
}
# DatabaseError.reason, set by the SQL adapter for failed connections.
_DATABASE_MESSAGES: dict[str, str] = {
    "refused": _l("无法连接到数据库服务器：连接被拒绝。请确认数据库服务已启动，且服务器地址和端口正确。"),
    "unreachable": _l("无法访问数据库服务器，请检查服务器地址、网络和防火墙设置。"),
    "credentials": _l("数据库拒绝登录：用户名或密码错误（或该用户不允许从本机连接）。"),
    "unknown_database": _l("指定的数据库不存在，请先创建该数据库。详细信息：%(detail)s"),
    "driver": _l("缺少数据库驱动：%(detail)s"),
}
FIELD_LABELS: dict[str, str] = {
    "name": _l("名称"), "username": _l("账号"), "admin_username": _l("账号"), "section": _l("设置分组"),
    "platform_name": _l("平台企业名称"), "platform_admin_name": _l("管理员姓名"),
}
_HTTP_MESSAGES: dict[int, str] = {
    400: _l("请求参数不正确。"), 401: _l("请先登录。"), 403: _l("您没有权限访问此页面。"),
    404: _l("页面不存在。"), 405: _l("不支持该请求方法。"), 409: _l("请求与当前状态冲突。"),
    413: _l("上传的内容过大。"), 429: _l("请求过于频繁，请稍后再试。"),
}
# OpenAuthRefused.reason (open-API authentication, ADR 0042): each refusal says which check failed.
OPEN_AUTH_MESSAGES: dict[str, str] = {
    "missing": _l("缺少认证请求头：请携带 x-qys-accesstoken、x-qys-timestamp、x-qys-signature，"
                  "或 x-esign-* 签名头。"),
    "signature": _l("签名校验失败：AppToken 不存在，或签名与 AppSecret 不符（AppSecret 重置后旧密钥立即失效）。"),
    "disabled": _l("该应用已停用，请联系管理员在 集成中心→应用接入 中启用。"),
    "scheme": _l("该应用未开通此签名方式（%(scheme)s），请在 集成中心→应用接入 中设置。"),
    "ip": _l("来源 IP %(ip)s 不允许调用该应用的接口（IP 黑/白名单）。"),
    "timestamp": _l("时间戳无效：须为毫秒时间戳，且与服务器时间相差不超过 5 分钟（服务器时间 %(server_time)s）。"),
    "nonce": _l("x-esign-nonce 无效：须为 16 至 64 位字母、数字、- 或 _。"),
    "replay": _l("重复的请求：该签名或 nonce 已被使用过，请为每个请求重新签名。"),
}
SEAL_NOT_CALLABLE_MESSAGE = _l("该应用无权调用印章“%(seal)s”，请在 集成中心→应用接入→可调用印章 中添加。")
EXTERNAL_IDENTITY_MESSAGE = _l("外部认证未通过：业务系统的认证接口未确认签署方“%(signer)s”的身份，未签署。")
CSRF_MESSAGE = _l("页面已过期或请求来源无效，请刷新页面后重试。")
INTERNAL_MESSAGE = _l("服务器内部错误，请稍后重试。错误编号：%(request_id)s")
_URL_CREDENTIALS = re.compile(r"(\w+://[^:/@\s]*:)[^@\s]*@")
_MISSING_FIELD = re.compile(r"missing required field `([^`]+)`")


def mask_secrets(text: str) -> str:
    """Hide passwords in connection URLs that an adapter may have put into a message."""
    return _URL_CREDENTIALS.sub(r"\1***@", text)


class FormInvalid(e.InvalidValue):
    """A form field failed a check made by the web layer itself; ``message`` is a Chinese
    msgid (marked with ``_l``) shown as it is, translated."""

    code = "form.invalid"


@attrs.frozen
class Problem:
    """An error described once, rendered per mount."""

    status: int
    code: str
    title: str
    detail: str
    message: str  # Chinese msgid; translated by :func:`message_for`
    values: dict[str, Any] = attrs.field(factory=dict)
    fields: dict[str, Any] = attrs.field(factory=dict)
    field: str | None = None
    open_code: int = OPEN_UNKNOWN


def _lookup(table: dict[type[e.EsignError], Any], exc: e.EsignError) -> Any:
    for cls in type(exc).__mro__:
        if cls in table:
            return table[cls]
    raise LookupError(type(exc))  # unreachable: EsignError is in every table


def _title(exc: e.EsignError) -> str:
    doc = (type(exc).__doc__ or exc.code).strip().splitlines()[0]
    return doc.replace("``", "")


def _json_safe(fields: dict[str, Any]) -> dict[str, Any]:
    safe: dict[str, Any] = {}
    for key, value in fields.items():
        if isinstance(value, bool | int | float) or value is None:
            safe[key] = value
        else:
            safe[key] = mask_secrets(str(value))
    return safe


def _describe_esign(exc: e.EsignError) -> Problem:
    detail = mask_secrets(exc.message)
    message: str = _lookup(_MESSAGES, exc)
    values: dict[str, Any] = {"detail": detail}
    field = getattr(exc, "field", None)
    if isinstance(exc, FormInvalid):
        message = exc.message
    elif isinstance(exc, e.LicenceError):
        if "expected" in exc.fields:
            message = _l("该 license 码不是为本系统的产品识别码签发的，请使用本页显示的产品识别码重新申请。")
        elif "expires_at" in exc.fields:
            message = _l("该 license 码已于 %(expires_at)s 过期，请重新申请。")
            values["expires_at"] = str(exc.fields["expires_at"])[:19].replace("T", " ")
    elif isinstance(exc, e.DatabaseError) and exc.fields.get("reason") in _DATABASE_MESSAGES:
        message = _DATABASE_MESSAGES[exc.fields["reason"]]
    elif exc.code == "auth.failed" and exc.fields.get("reason") in OPEN_AUTH_MESSAGES:
        message = OPEN_AUTH_MESSAGES[exc.fields["reason"]]
        values.update(scheme=str(exc.fields.get("scheme", "")), ip=str(exc.fields.get("ip", "")),
                      server_time=str(exc.fields.get("server_time", "")))
    elif exc.code == "open.external_identity_refused":
        message = EXTERNAL_IDENTITY_MESSAGE
        values["signer"] = str(exc.fields.get("signer", ""))
    elif exc.code == "open.seal_not_callable":
        message = SEAL_NOT_CALLABLE_MESSAGE
        values["seal"] = str(exc.fields.get("seal_name") or exc.fields.get("seal_id", ""))
    elif isinstance(exc, e.AccountLocked):
        if "until" in exc.fields:
            message = _l("登录失败次数过多，账号已被锁定至 %(until)s（UTC），请稍后再试。")
            values["until"] = str(exc.fields["until"])[:16].replace("T", " ")
        else:
            message = _l("该账号已被停用，请联系管理员。")
    elif isinstance(exc, e.InvalidValue) and field is not None:
        strength = next((s for s in _PASSWORD_MESSAGES if f"strength {s}:" in exc.message), None)
        if "password" in field and strength:
            message = _PASSWORD_MESSAGES[strength]
        elif field in _FIELD_MESSAGES or field.rsplit("_", 1)[-1] in _FIELD_MESSAGES:
            message = _FIELD_MESSAGES.get(field) or _FIELD_MESSAGES[field.rsplit("_", 1)[-1]]
        values["label"] = FIELD_LABELS.get(field, field)
    api_code = exc.fields.get("api_code")
    if isinstance(api_code, int):
        open_code = api_code
    else:
        open_code = OPEN_BAD_PARAMETER if isinstance(exc, e.DomainError) else OPEN_UNKNOWN
    return Problem(status=_lookup(_STATUS, exc), code=exc.code, title=_title(exc), detail=detail, message=message,
                   values=values, fields=_json_safe(exc.fields), field=field, open_code=open_code)


def _validation_field(item: dict[str, Any]) -> tuple[str, str]:
    """A request-validation error keyed by the field it concerns: a missing field is reported by
    msgspec against the object holding it (``data``, the body), so name the field itself."""
    key, message = str(item.get("key", "")), str(item.get("message", ""))
    missing = _MISSING_FIELD.search(message)
    if missing:
        key = missing.group(1) if key in ("", "data") else f"{key}.{missing.group(1)}"
    return key, message


def describe(exc: BaseException) -> Problem:
    """Describe any exception; unexpected ones become a bare 500 with nothing from the exception."""
    if isinstance(exc, e.EsignError):
        return _describe_esign(exc)
    if isinstance(exc, HTTPException):
        status = exc.status_code
        phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
        if isinstance(exc, PermissionDeniedException) and "CSRF" in str(exc.detail):
            return Problem(status=403, code="csrf", title="CSRF token missing or invalid", detail=str(exc.detail),
                           message=CSRF_MESSAGE)
        fields: dict[str, Any] = {}
        if isinstance(exc, ValidationException) and isinstance(exc.extra, list):
            fields = dict(_validation_field(x) for x in exc.extra if isinstance(x, dict))
        detail = str(exc.detail) if status < 500 else phrase
        message = _HTTP_MESSAGES.get(status, INTERNAL_MESSAGE)
        # A parameter error names what was wrong (the open API prefixes the message with it): the
        # first field of a validation error, else the request body (not JSON, not an object).
        field = None
        if status in (400, 422):
            first = next(iter(fields), "data")
            field = "body" if first in ("", "data") else first
        return Problem(status=status, code=f"http.{status}", title=phrase, detail=detail, message=message,
                       fields=fields, field=field,
                       open_code=OPEN_BAD_PARAMETER if status in (400, 422) else OPEN_UNKNOWN)
    return Problem(status=500, code="internal", title="Internal Server Error",
                   detail="An unexpected error occurred.", message=INTERNAL_MESSAGE)


def message_for(problem: Problem, lang: str, request_id: str = "") -> str:
    """The problem in the reader's language; label values are translated too."""
    values = dict(problem.values, request_id=request_id)
    if "label" in values:
        values["label"] = translate(values["label"], lang)
    return translate(problem.message, lang, **values)


def _mount(path: str) -> str:
    if path.startswith("/api/") or path == "/api":
        return "api"
    if path.startswith("/open/") or path in ("/open", "/checkHealth"):
        return "open"
    return "html"


def problem_response(problem: Problem, request: Request[Any, Any, Any], request_id: str) -> Response[Any]:
    """RFC 9457 problem details for ``/api``."""
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + problem.code, "title": problem.title, "status": problem.status,
        "detail": problem.detail, "code": problem.code, "instance": request.url.path, "request_id": request_id,
    }
    if problem.fields:
        body["fields"] = problem.fields
    return Response(body, status_code=problem.status, media_type="application/problem+json")


def open_response(problem: Problem, request_id: str) -> Response[Any]:
    """The open-API envelope; the message is Chinese like the API it is compatible with."""
    message = message_for(problem, DEFAULT_LANGUAGE, request_id)
    if problem.field:
        message = f"{problem.field}: {message}"
    # The v4 API answers business and parameter errors with HTTP 200 and a non-zero ``code``;
    # its SDKs read the body and some treat any other status as a transport failure. Only
    # unexpected failures (5xx) keep their status. See docs/adr/0006-open-api-errors.md.
    # Authentication failures keep 401 (ADR 0006 addendum): no business answer was reached.
    status = problem.status if problem.status >= 500 or problem.code in _OPEN_KEEP_STATUS else 200
    return Response({"code": problem.open_code, "message": message, "request_id": request_id},
                    status_code=status, media_type="application/json")


def html_response(problem: Problem, request: Request[Any, Any, Any], request_id: str) -> Response[Any]:
    """The console's error page (403, 404, 409, 500 … share one template)."""
    message = message_for(problem, language_of(request), request_id)
    return page(request, "error.html", status_code=problem.status, status=problem.status,
                message=message, request_id=request_id)


def render_form_error(request: Request[Any, Any, Any], template: str, exc: EsignError,
                      **context: Any) -> Response[Any]:
    """Re-render a form with the error's message (and the status it maps to)."""
    problem = describe(exc)
    log.info("request %s %s form refused: %s", request_id_of(request.scope), request.url.path, problem.code)
    return page(request, template, status_code=problem.status, error=message_for(problem, language_of(request)),
                error_field=problem.field, **context)


def handle_exception(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Litestar exception handler for every exception, on every mount."""
    request_id = request_id_of(request.scope)
    problem = describe(exc)
    if problem.status >= 500:
        log.error("request %s %s %s failed [%s]", request_id, request.method, request.url.path, problem.code,
                  exc_info=exc)
    else:
        log.info("request %s %s %s refused: %s %s", request_id, request.method, request.url.path,
                 problem.status, problem.code)
    mount = _mount(request.url.path)
    if mount == "api":
        response = problem_response(problem, request, request_id)
    elif mount == "open":
        response = open_response(problem, request_id)
    else:
        response = html_response(problem, request, request_id)
    if problem.status == 405 and isinstance(exc, HTTPException) and exc.headers:
        response.headers.update(exc.headers)
    return response


EXCEPTION_HANDLERS = {Exception: handle_exception}
