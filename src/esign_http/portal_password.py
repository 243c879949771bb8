"""The signing password in the portal (manual 三.1.2, "signing password or SMS code"): a signer who
has set one may pass the link's check with it instead of an SMS code; one verified by SMS may set
or replace it for next time. Wrong passwords count against the link's 5 tries, as wrong codes do.
Only offered when the signing settings accept a signing password (DEFAULT)."""

from __future__ import annotations

from typing import Any

from litestar import Response, post
from litestar.response import Redirect

from esign_core.errors import CredentialExpired, DomainError, EsignError, PermissionDenied
from esign_core.ports.verification import CodeRefused
from esign_core.services.signing_password import CheckSigningPassword, SetSigningPassword
from esign_http.account_pages import password_error
from esign_http.context import client_ip, language_of, now_seconds, platform_of
from esign_http.i18n import _l, translate
from esign_http.portal import (
    CODE_ERRORS,
    PASSWORD_SESSION_KEY,
    AnyRequest,
    FormData,
    _codes,
    _gate,
    _link_error,
    _mark_verified,
    _open,
    _sign_page,
    _sign_url,
    _verified,
    _verify_page,
)
from esign_http.portal_links import LinkError, digest
from esign_http.portal_view import password_accepted, password_allowed

WRONG_PASSWORD = _l("签署密码错误，还可尝试 %(tries)s 次。")
NO_PASSWORD = _l("您尚未设置签署密码，请使用短信验证码。")
PASSWORDS_DIFFER = _l("两次输入的签署密码不一致。")
PASSWORD_SET = _l("签署密码已设置，下次签署时可使用签署密码验证。")
PASSWORD_EXPIRED = _l("您的签署密码已超过 %(days)s 天未修改，已过期。请使用短信验证码验证，验证后设置新的签署密码。")


@post("/password/verify", sync_to_thread=True)
def verify_password(request: AnyRequest, data: FormData) -> Response[Any]:
    """Check the signer's signing password; wrong ones count against the link's tries."""
    token, lang = data.get("viewToken", ""), language_of(request)
    try:
        claims, view = _open(request, token)
    except LinkError as exc:
        return _link_error(request, exc.reason)
    platform = platform_of(request)
    codes = _codes(request)
    if codes.locked(digest(token)):
        return _verify_page(request, token, view, status_code=423, error=translate(CODE_ERRORS["locked"], lang))
    if not password_accepted(platform, view):
        return _verify_page(request, token, view, status_code=400, error=translate(NO_PASSWORD, lang))
    try:
        platform.handle(CheckSigningPassword(account=claims.contact, password=data.get("password", "")))
    except PermissionDenied:
        try:
            codes.count_failure(digest(token), link_expires_at=claims.expires_at, now=now_seconds(platform))
        except CodeRefused as refused:
            message = CODE_ERRORS["locked"] if refused.reason == "locked" else WRONG_PASSWORD
            return _verify_page(request, token, view, status_code=423 if refused.reason == "locked" else 400,
                                error=translate(message, lang, tries=refused.tries_left))
    except CredentialExpired as expired:
        return _verify_page(request, token, view, status_code=403,
                            error=translate(PASSWORD_EXPIRED, lang, days=expired.fields.get("days", "")))
    except DomainError:
        return _verify_page(request, token, view, status_code=400, error=translate(NO_PASSWORD, lang))
    _mark_verified(request, token, claims, PASSWORD_SESSION_KEY)
    return Redirect(_sign_url(token))


@post("/password/set", sync_to_thread=True)
def set_password(request: AnyRequest, data: FormData) -> Response[Any]:
    """Set or replace the signing password; only after the SMS check of this link."""
    token, lang = data.get("viewToken", ""), language_of(request)
    gate = _gate(request, token)
    if isinstance(gate, Response):
        return gate
    claims, view = gate
    if not (password_allowed(view) and _verified(request, token, claims)):
        return Redirect(_sign_url(token))
    password = data.get("password", "")
    if password != data.get("password_again", ""):
        return _sign_page(request, token, view, error=translate(PASSWORDS_DIFFER, lang))
    try:
        platform_of(request).handle(SetSigningPassword(account=claims.contact, password=password,
                                                       name=None if view.company else view.signatory.tenant_name,
                                                       ip=client_ip(request)))
    except EsignError as exc:
        return _sign_page(request, token, view, error=password_error(exc, lang))
    return _sign_page(request, token, view, notice=translate(PASSWORD_SET, lang))
