"""``/console/account``: the logged-in admin's own account — change the login password (also
the forced change of an expired or reset password) and bind or unbind a dynamic token (TOTP,
manual 二.2.2 2)). Any logged-in account may open these pages."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect

from esign_core.errors import EsignError
from esign_core.model.policy import PasswordPolicy
from esign_core.services.admins import BindTotp, ChangeOwnPassword, UnbindTotp
from esign_core.services.settings import get_settings
from esign_http.access import (
    CONSOLE_PATH,
    LOGIN_ONLY,
    MUST_CHANGE_PASSWORD,
    account_of,
    console_gate,
    keep_own_session,
)
from esign_http.context import client_ip, language_of, now_seconds, platform_of
from esign_http.errors import FormInvalid, describe, message_for
from esign_http.i18n import _l, translate
from esign_http.settings_fields import STRENGTH_HELP
from esign_http.templating import page

AnyRequest = Request[Any, Any, Any]
FormData = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
PATH = f"{CONSOLE_PATH}/account"
TOTP_PENDING = "totp_pending_secret"
PASSWORD_MISMATCH = _l("两次输入的新密码不一致。")
COMMON_PASSWORD = _l("该密码属于最常见（已泄露）的密码，请换一个。")
SAME_PASSWORD = _l("新密码不能与当前密码相同。")
WRONG_CURRENT = _l("当前密码错误。")
TOTP_WRONG = _l("动态令牌验证码错误，请重试。")


def password_error(exc: EsignError, lang: str) -> str:
    """A refused password in the reader's language: the strength's precise rule, or why not."""
    rule = exc.fields.get("rule")
    if rule in STRENGTH_HELP:
        return translate(_l("密码强度不足。"), lang) + translate(STRENGTH_HELP[rule], lang)
    if rule == "COMMON":
        return translate(COMMON_PASSWORD, lang)
    if rule == "SAME":
        return translate(SAME_PASSWORD, lang)
    if exc.code == "auth.failed":
        return translate(WRONG_CURRENT, lang)
    return message_for(describe(exc), lang)


def _account_view(request: AnyRequest, **extra: Any) -> dict[str, Any]:
    account = account_of(request)
    return {"account": account, "bound": account.mfa_secret_ref is not None, "error": None, "info": None,
            "qr": None, "secret": None, **extra}


class AccountController(Controller):
    path = PATH
    before_request = console_gate
    include_in_schema = False

    @get("/", sync_to_thread=True, opt={"permission": LOGIN_ONLY})
    def account_page(self, request: AnyRequest) -> Response[Any]:
        return page(request, "console/account.html", **_account_view(request))

    @get("/password", sync_to_thread=True, opt={"permission": LOGIN_ONLY, "password_change": True})
    def password_page(self, request: AnyRequest) -> Response[Any]:
        policy = get_settings(PasswordPolicy.SECTION, uow=platform_of(request).uow())
        return page(request, "console/change_password.html", error=None, forced=bool(
            request.session.get(MUST_CHANGE_PASSWORD)), rule=STRENGTH_HELP[policy.strength.value])  # type: ignore[attr-defined]

    @post("/password", sync_to_thread=True, opt={"permission": LOGIN_ONLY, "password_change": True})
    def change_password(self, request: AnyRequest, data: FormData) -> Response[Any]:
        platform, lang = platform_of(request), language_of(request)
        policy = get_settings(PasswordPolicy.SECTION, uow=platform.uow())
        forced = bool(request.session.get(MUST_CHANGE_PASSWORD))
        try:
            if data.get("new_password", "") != data.get("new_password_confirm", ""):
                raise FormInvalid("new_password_confirm", PASSWORD_MISMATCH)
            account = account_of(request)
            platform.handle(ChangeOwnPassword(account_id=account.id, current_password=data.get("current_password", ""),
                                              new_password=data.get("new_password", ""), actor=account.username,
                                              ip=client_ip(request)))
        except EsignError as exc:
            message = translate(PASSWORD_MISMATCH, lang) if isinstance(exc, FormInvalid) else password_error(exc, lang)
            return page(request, "console/change_password.html", status_code=422, error=message, forced=forced,
                        rule=STRENGTH_HELP[policy.strength.value])  # type: ignore[attr-defined]
        request.session.pop(MUST_CHANGE_PASSWORD, None)
        keep_own_session(request)
        return Redirect(f"{PATH}?changed=1", status_code=303)

    @get("/totp", sync_to_thread=True, opt={"permission": LOGIN_ONLY})
    def totp_page(self, request: AnyRequest) -> Response[Any]:
        """A new secret (kept in the session until confirmed) and its QR code."""
        from esign_adapters.console import totp

        secret = totp.new_secret()
        request.session[TOTP_PENDING] = secret
        account = account_of(request)
        uri = totp.provisioning_uri(secret, account.username)
        return page(request, "console/account.html", **_account_view(request, qr=totp.qr_data_uri(uri), secret=secret))

    @post("/totp", sync_to_thread=True, opt={"permission": LOGIN_ONLY})
    def bind_totp(self, request: AnyRequest, data: FormData) -> Response[Any]:
        from esign_adapters.console import totp

        platform, lang = platform_of(request), language_of(request)
        secret = request.session.get(TOTP_PENDING)
        account = account_of(request)
        # Re-authentication before changing a login factor: the current password is asked again.
        wrong_password = not platform.hasher.verify(account.password_hash, data.get("password", ""))
        step = totp.verify(secret, data.get("code", ""), at=now_seconds(platform)) if secret else None
        if wrong_password or step is None:
            qr = totp.qr_data_uri(totp.provisioning_uri(secret, account.username)) if secret else None
            return page(request, "console/account.html", status_code=422, **_account_view(
                request, qr=qr, secret=secret, error=translate(WRONG_CURRENT if wrong_password else TOTP_WRONG, lang)))
        platform.handle(BindTotp(account_id=account.id, secret=secret, step=step, actor=account.username,
                                 ip=client_ip(request)))
        keep_own_session(request)
        request.session.pop(TOTP_PENDING, None)
        return Redirect(f"{PATH}?bound=1", status_code=303)

    @post("/totp/unbind", sync_to_thread=True, opt={"permission": LOGIN_ONLY})
    def unbind_totp(self, request: AnyRequest, data: FormData) -> Response[Any]:
        account, platform = account_of(request), platform_of(request)
        if not platform.hasher.verify(account.password_hash, data.get("password", "")):
            return page(request, "console/account.html", status_code=422, **_account_view(
                request, error=translate(WRONG_CURRENT, language_of(request))))
        platform_of(request).handle(UnbindTotp(account_id=account.id, actor=account.username, ip=client_ip(request)))
        keep_own_session(request)
        return Redirect(PATH, status_code=303)
