"""The console login after the password (manual 三.1.6, 三.1.7): the second factor and the
forced password change.

- A bound dynamic token (TOTP) is always asked for; otherwise, with 多因子登录认证 on, a
  6-digit SMS code is sent through the platform's SmsChannel to the account's mobile.
  Until the second factor passes, the session holds only ``mfa_pending`` (no login).
- When the login password expired (rotation policy) or an administrator reset it, the session
  is logged in with ``must_change_password``: console_gate sends every page to
  ``/console/account/password`` until it is changed.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect

from esign_core.errors import ConcurrencyError, EsignError, PermissionDenied
from esign_core.ports.verification import CodeRefused, VerificationCodes
from esign_core.services.admins import totp_secret
from esign_core.services.auth import LoginStatus, login_status
from esign_core.services.console_factors import AcceptTotpStep
from esign_http.access import CONSOLE_PATH, LOGIN_PATH, MUST_CHANGE_PASSWORD, safe_next
from esign_http.context import language_of, now_seconds, platform_of
from esign_http.errors import render_form_error
from esign_http.i18n import _l, translate
from esign_http.sessions import log_in
from esign_http.templating import page

AnyRequest = Request[Any, Any, Any]
FormData = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
MFA_PATH = f"{CONSOLE_PATH}/login/verify"
PENDING = "mfa_pending"
PENDING_TTL = 300
MAX_TOTP_TRIES = 5
CODE_WRONG = _l("验证码错误，还可尝试 %(tries)s 次。")
CODE_LOCKED = _l("验证码错误次数过多，请重新登录。")
CODE_TOO_SOON = _l("验证码已发送，请 %(seconds)s 秒后再试。")
CODE_MISSING = _l("验证码已过期，请重新获取。")
TOTP_WRONG = _l("动态令牌验证码错误。")
CODE_SENT = _l("验证码已发送至 %(mobile)s。")


def _codes(request: AnyRequest) -> VerificationCodes:
    """The platform's code store (in the database, so every server process sees the same codes);
    console logins use keys ``console:<account id>``, apart from the portal's links."""
    return platform_of(request).verification_codes  # type: ignore[no-any-return]


def _complete(request: AnyRequest, account_id: int, username: str, target: str, status: LoginStatus) -> Response[Any]:
    log_in(request, account_id=account_id, username=username, now=now_seconds(platform_of(request)),
           generation=status.generation)
    if status.password_expired:
        request.session[MUST_CHANGE_PASSWORD] = True
        return Redirect(f"{CONSOLE_PATH}/account/password")
    return Redirect(target)


def _send_sms(request: AnyRequest, account_id: int, mobile: str) -> None:
    platform = platform_of(request)
    now = now_seconds(platform)
    code = _codes(request).issue(f"console:{account_id}", link_expires_at=now + PENDING_TTL, now=now)
    platform.sms.send(mobile=mobile, template="console-login", params={"code": code},
                      idempotency_key=f"console-login:{account_id}:{int(now)}")


def finish_password_step(request: AnyRequest, *, account_id: int, username: str, target: str) -> Response[Any]:
    """After a right password: log in, or ask for the second factor first."""
    platform = platform_of(request)
    try:
        status = login_status(account_id, uow=platform.uow(), clock=platform.clock)
    except EsignError as exc:
        return render_form_error(request, "console/login.html", exc, username=username, next=target)
    if status.second_factor is None:
        return _complete(request, account_id, username, target, status)
    request.set_session({PENDING: {"account_id": str(account_id), "username": username, "target": target,
                                   "factor": status.second_factor, "at": now_seconds(platform)}})
    if status.second_factor == "sms" and status.mobile:
        try:
            _send_sms(request, account_id, status.mobile)
        except CodeRefused:
            pass  # a code sent within the last minute is still valid
    return Redirect(MFA_PATH)


def _pending(request: AnyRequest) -> dict[str, Any] | None:
    pending = request.session.get(PENDING) if "session" in request.scope else None
    if not isinstance(pending, dict):
        return None
    if now_seconds(platform_of(request)) - float(pending.get("at", 0)) > PENDING_TTL:
        request.clear_session()
        return None
    return pending


def _verify_page(request: AnyRequest, pending: dict[str, Any], *, error: str | None = None,
                 info: str | None = None, status_code: int = 200) -> Response[Any]:
    return page(request, "console/login_verify.html", status_code=status_code, factor=pending["factor"],
                error=error, info=info, username=pending["username"])


class LoginStepsController(Controller):
    """``/console/login/verify``: the second factor of a console login."""

    path = MFA_PATH
    include_in_schema = False

    @get("/", sync_to_thread=True, opt={"public": True})
    def verify_page(self, request: AnyRequest) -> Response[Any]:
        pending = _pending(request)
        if pending is None:
            return Redirect(LOGIN_PATH)
        return _verify_page(request, pending)

    @post("/resend", sync_to_thread=True, opt={"public": True})
    def resend(self, request: AnyRequest) -> Response[Any]:
        pending = _pending(request)
        if pending is None or pending["factor"] != "sms":
            return Redirect(LOGIN_PATH)
        lang = language_of(request)
        platform = platform_of(request)
        status = login_status(int(pending["account_id"]), uow=platform.uow(), clock=platform.clock)
        try:
            _send_sms(request, int(pending["account_id"]), status.mobile or "")
        except CodeRefused as exc:
            return _verify_page(request, pending, error=translate(CODE_TOO_SOON, lang, seconds=exc.retry_after),
                                status_code=429)
        from esign_core.values import mask_phone

        return _verify_page(request, pending, info=translate(CODE_SENT, lang, mobile=mask_phone(status.mobile or "")))

    @post("/", sync_to_thread=True, opt={"public": True})
    def verify(self, request: AnyRequest, data: FormData) -> Response[Any]:
        pending = _pending(request)
        if pending is None:
            return Redirect(LOGIN_PATH)
        platform, lang = platform_of(request), language_of(request)
        account_id, code = int(pending["account_id"]), data.get("code", "").strip()
        if pending["factor"] == "totp":
            from esign_adapters.console import totp

            secret = totp_secret(account_id, uow=platform.uow(), secrets=platform.secrets)
            step = totp.verify(secret, code, at=now_seconds(platform)) if secret else None
            if step is not None:
                try:  # the same code cannot log in twice, on any worker (kept in the database)
                    platform.handle(AcceptTotpStep(account_id=account_id, step=step))
                except (PermissionDenied, ConcurrencyError):
                    step = None
            if step is None:
                pending["tries"] = int(pending.get("tries", 0)) + 1
                if pending["tries"] >= MAX_TOTP_TRIES:
                    request.clear_session()
                    return page(request, "console/login.html", status_code=401, error=translate(CODE_LOCKED, lang),
                                username=pending["username"], next=safe_next(pending.get("target")))
                request.session[PENDING] = pending
                return _verify_page(request, pending, error=translate(TOTP_WRONG, lang), status_code=401)
        else:
            try:
                _codes(request).check(f"console:{account_id}", code, now=now_seconds(platform))
            except CodeRefused as exc:
                if exc.reason == "locked":
                    request.clear_session()
                    return page(request, "console/login.html", status_code=401, error=translate(CODE_LOCKED, lang),
                                username=pending["username"], next=safe_next(pending.get("target")))
                message = (translate(CODE_WRONG, lang, tries=exc.tries_left) if exc.reason == "wrong"
                           else translate(CODE_MISSING, lang))
                return _verify_page(request, pending, error=message, status_code=401)
        status = login_status(account_id, uow=platform.uow(), clock=platform.clock)
        return _complete(request, account_id, pending["username"], safe_next(pending.get("target")), status)
