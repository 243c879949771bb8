"""The signing portal (签署平台, ``/portal``): a signer opens a sign link, proves who they are as
the signing settings ask (SMS code, or nothing), reads the pages (rendered as images, with the
screenshot watermark), confirms, signs (a drawn or generated signature; a company seal the viewer
is authorized to use) or rejects with a reason, then downloads when the settings allow.

Every page takes the link's ``viewToken`` (see :mod:`esign_http.portal_links`); forms carry it in
a hidden field and the CSRF token. Whether this browser passed the SMS check is kept in its
session, per link."""

from __future__ import annotations

import base64
import binascii
import logging
from typing import Annotated, Any
from urllib.parse import quote

from litestar import Request, Response, Router, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect

from esign_adapters.bootstrap import Platform
from esign_core.errors import EsignError, NotFoundError, PermissionDenied
from esign_core.model.policy import SignerVerification
from esign_core.model.signing_rules import SignerCheck
from esign_core.ports.verification import CodeRefused, VerificationCodes
from esign_core.services.contract_ending import RejectContract
from esign_core.services.contract_signing import SignAsCompany, SignAsLegalPerson
from esign_core.services.personal_signing import SignAsPerson
from esign_http.access import require_initialized
from esign_http.context import client_ip, language_of, now_seconds, platform_of
from esign_http.errors import describe, message_for
from esign_http.i18n import _l, translate
from esign_http.portal_inbox import inbox_page, mark_read, unread_count
from esign_http.portal_links import LinkClaims, LinkError, digest
from esign_http.portal_preview import page_count, page_png
from esign_http.portal_view import PortalView, load_view, password_accepted, password_allowed, portal_links
from esign_http.templating import page

AnyRequest = Request[Any, Any, Any]
FormData = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
log = logging.getLogger("esign_http")
SESSION_KEY = "portal_verified"
PASSWORD_SESSION_KEY = "portal_verified_password"
MAX_SIGNATURE_BYTES = 2 * 1024 * 1024

LINK_ERRORS = {"expired": _l("签署链接已过期，请联系发起方重新获取。"),
               "invalid": _l("签署链接无效或已被篡改。")}
CODE_ERRORS = {"too_soon": _l("验证码发送过于频繁，请 %(seconds)s 秒后再试。"),
               "locked": _l("验证码错误次数过多，此签署链接已被锁定。请联系发起方重新获取链接。"),
               "no_code": _l("请先获取验证码，或验证码已过期。"),
               "wrong": _l("验证码错误，还可尝试 %(tries)s 次。")}
CODE_SENT = _l("验证码已发送至 %(account)s，5 分钟内有效。")
NEED_SIGNATURE = _l("请先在签名板上手写签名。")
NEED_REASON = _l("请填写退回原因。")
NEED_CONFIRMATION = _l("请勾选“我已仔细阅读文件，并同意签署”。")
BAD_SIGNATURE = _l("手写签名无法识别，请重新签名。")
NEED_SEAL = _l("请选择要使用的印章。")


def _codes(request: AnyRequest) -> VerificationCodes:
    return platform_of(request).verification_codes  # type: ignore[no-any-return]


def _link_error(request: AnyRequest, reason: str) -> Response[Any]:
    return page(request, "portal/link_error.html", status_code=410 if reason == "expired" else 403,
                message=translate(LINK_ERRORS[reason], language_of(request)))


def _claims(request: AnyRequest, token: str | None) -> LinkClaims:
    return portal_links(platform_of(request)).verify(token)


def _needs_sms(view: PortalView) -> bool:
    return view.signing.signer_verification is not SignerVerification.NONE


def _verified(request: AnyRequest, token: str, claims: LinkClaims, key: str = SESSION_KEY) -> bool:
    """Whether this browser passed the link's check: by SMS code (``SESSION_KEY``) or, with
    ``PASSWORD_SESSION_KEY``, by signing password."""
    session = request.session if isinstance(request.scope.get("session"), dict) else {}
    until = (session.get(key) or {}).get(digest(token))
    return isinstance(until, (int, float)) and until > now_seconds(platform_of(request)) and until <= claims.expires_at


def _mark_verified(request: AnyRequest, token: str, claims: LinkClaims, key: str = SESSION_KEY) -> None:
    now = now_seconds(platform_of(request))
    verified = {k: v for k, v in (request.session.get(key) or {}).items() if v > now}
    verified[digest(token)] = claims.expires_at
    request.set_session({**request.session, key: verified})


def _check_passed(request: AnyRequest, token: str, claims: LinkClaims) -> SignerCheck:
    if _verified(request, token, claims):
        return SignerCheck.SMS_CODE
    if _verified(request, token, claims, PASSWORD_SESSION_KEY):
        return SignerCheck.SIGNING_PASSWORD
    return SignerCheck.NONE


def _sign_url(token: str, path: str = "/portal/sign") -> str:
    return f"{path}?viewToken={quote(token, safe='.')}"


def _open(request: AnyRequest, token: str | None) -> tuple[LinkClaims, PortalView]:
    """Verify the token and load what it reaches; raises LinkError, EsignError."""
    claims = _claims(request, token)
    return claims, load_view(platform_of(request), claims)


def _render(request: AnyRequest, template: str, token: str, view: PortalView, *, status_code: int = 200,
            **context: Any) -> Response[Any]:
    context.setdefault("error", None)
    context.setdefault("notice", None)
    context.setdefault("inbox_unread", unread_count(platform_of(request), view))
    return page(request, template, status_code=status_code, view_token=token, **view.context(), **context)


def _pages(platform: Platform, view: PortalView) -> list[tuple[Any, list[int]]]:
    out = []
    for doc in view.documents:
        count = doc.pages or page_count(platform.blob_store.read(doc.current))
        out.append((doc, list(range(1, count + 1))))
    return out


def _sign_page(request: AnyRequest, token: str, view: PortalView, **context: Any) -> Response[Any]:
    if not view.my_turn:
        return Redirect(_sign_url(token, "/portal/done"))
    may_set = password_allowed(view) and _verified(request, token, view.claims)
    return _render(request, "portal/sign.html", token, view, pages=_pages(platform_of(request), view),
                   may_set_password=may_set, **context)


def _verify_page(request: AnyRequest, token: str, view: PortalView, **context: Any) -> Response[Any]:
    return _render(request, "portal/verify.html", token, view, locked=_codes(request).locked(digest(token)),
                   password_ok=password_accepted(platform_of(request), view), **context)


@get("/sign", sync_to_thread=True)
def sign_page(request: AnyRequest) -> Response[Any]:
    """The link's landing page: the SMS step when needed, then the document and the sign form."""
    token = request.query_params.get("viewToken", "")
    try:
        claims, view = _open(request, token)
    except LinkError as exc:
        return _link_error(request, exc.reason)
    if not view.my_turn:
        return Redirect(_sign_url(token, "/portal/done"))
    if _needs_sms(view) and _check_passed(request, token, claims) is SignerCheck.NONE:
        return _verify_page(request, token, view)
    return _sign_page(request, token, view)


@post("/sms/send", sync_to_thread=True)
def send_code(request: AnyRequest, data: FormData) -> Response[Any]:
    """Send a 6-digit code to the link's contact (1 per minute per link)."""
    token, lang = data.get("viewToken", ""), language_of(request)
    try:
        claims, view = _open(request, token)
    except LinkError as exc:
        return _link_error(request, exc.reason)
    platform = platform_of(request)
    try:
        code = _codes(request).issue(digest(token), link_expires_at=claims.expires_at, now=now_seconds(platform))
    except CodeRefused as exc:
        return _verify_page(request, token, view, status_code=429,
                            error=translate(CODE_ERRORS[exc.reason], lang, seconds=exc.retry_after))
    platform.sms.send(mobile=claims.contact, template="portal-verification", params={"code": code},
                      idempotency_key=f"{digest(token)}-{int(now_seconds(platform))}")
    return _verify_page(request, token, view, notice=translate(CODE_SENT, lang, account=view.account))


@post("/sms/verify", sync_to_thread=True)
def verify_code(request: AnyRequest, data: FormData) -> Response[Any]:
    """Check the code; 5 wrong codes lock the link."""
    token, lang = data.get("viewToken", ""), language_of(request)
    try:
        claims, view = _open(request, token)
    except LinkError as exc:
        return _link_error(request, exc.reason)
    try:
        _codes(request).check(digest(token), data.get("code", ""), now=now_seconds(platform_of(request)))
    except CodeRefused as exc:
        status = 423 if exc.reason == "locked" else 400
        return _verify_page(request, token, view, status_code=status,
                            error=translate(CODE_ERRORS[exc.reason], lang, tries=exc.tries_left))
    _mark_verified(request, token, claims)
    return Redirect(_sign_url(token))


def _gate(request: AnyRequest, token: str) -> tuple[LinkClaims, PortalView] | Response[Any]:
    """The claims and view when the link is valid and this browser passed the check it needs."""
    try:
        claims, view = _open(request, token)
    except LinkError as exc:
        return _link_error(request, exc.reason)
    if _needs_sms(view) and _check_passed(request, token, claims) is SignerCheck.NONE:
        return Redirect(_sign_url(token))
    return claims, view


@get("/page/{document_id:int}/{name:str}", sync_to_thread=True)
def page_image(request: AnyRequest, document_id: int, name: str) -> Response[Any]:
    """One page as PNG (``/portal/page/<document id>/<n>.png``), watermarked when the display
    settings ask for the screenshot watermark."""
    gate = _gate(request, request.query_params.get("viewToken", ""))
    if isinstance(gate, Response):
        return gate
    _, view = gate
    number = name.removesuffix(".png")
    if not number.isdecimal():
        raise NotFoundError("no such page", field="page")
    pdf = platform_of(request).blob_store.read(view.document(document_id).current)
    mark = view.account if view.display.screenshot_watermark else None
    return Response(page_png(pdf, int(number), watermark=mark), media_type="image/png")


def _signature_png(value: str) -> bytes:
    prefix = "data:image/png;base64,"
    if not value.startswith(prefix) or len(value) > MAX_SIGNATURE_BYTES * 4 // 3 + len(prefix):
        raise ValueError("not a PNG data URL")
    try:
        return base64.b64decode(value[len(prefix):], validate=True)
    except binascii.Error as exc:
        raise ValueError("bad base64") from exc


def _sign_command(request: AnyRequest, view: PortalView, data: dict[str, str], check: SignerCheck) -> Any:
    common: dict[str, Any] = dict(contract_id=view.contract.id, signer_check=check,
                                  read_confirmed=data.get("confirm") == "on", ip=client_ip(request),
                                  actor=f"{view.signatory.tenant_name}/{view.account}")
    if view.lp_turn:
        chosen = data.get("seal_id", "")
        return SignAsLegalPerson(tenant_name=view.signatory.tenant_name, by_member_id=view.member_id or 0,
                                 seal_id=int(chosen) if chosen.isdecimal() else None, **common)
    if view.company:
        return SignAsCompany(tenant_name=view.signatory.tenant_name, by_member_id=view.member_id or 0,
                             seal_id=int(data["seal_id"]), use_default_seal=False, **common)
    image = _signature_png(data["signature_data"]) if data.get("signature_mode") == "drawn" else None
    return SignAsPerson(name=view.signatory.tenant_name, contact=view.claims.contact, signature_png=image,
                        id_number=data.get("id_number", "").strip() or None, **common)


@post("/sign", sync_to_thread=True)
def sign(request: AnyRequest, data: FormData) -> Response[Any]:
    """签署: the signature through the same use cases as the open API, verified by SMS (or by
    nothing when the settings allow)."""
    token, lang = data.get("viewToken", ""), language_of(request)
    gate = _gate(request, token)
    if isinstance(gate, Response):
        return gate
    claims, view = gate
    if not view.my_turn:
        return Redirect(_sign_url(token, "/portal/done"))
    problem = None
    if view.signing.require_read_confirmation and data.get("confirm") != "on":
        problem = NEED_CONFIRMATION
    elif view.company and not view.lp_turn and not data.get("seal_id", "").isdecimal():
        problem = NEED_SEAL
    elif not view.company and data.get("signature_mode") == "drawn" and not data.get("signature_data"):
        problem = NEED_SIGNATURE
    if problem:
        return _refuse(request, token, view, problem)
    check = _check_passed(request, token, claims)
    try:
        command = _sign_command(request, view, data, check)
        platform_of(request).handle(command)
    except ValueError:
        return _refuse(request, token, view, BAD_SIGNATURE)
    except EsignError as exc:
        problem_ = describe(exc)
        log.info("portal: signing refused: %s", problem_.code)
        return _sign_page(request, token, view, error=message_for(problem_, lang))
    return Redirect(_sign_url(token, "/portal/done"))


def _refuse(request: AnyRequest, token: str, view: PortalView, message: str) -> Response[Any]:
    response = _sign_page(request, token, view, error=translate(message, language_of(request)))
    response.status_code = 400
    return response


@post("/reject", sync_to_thread=True)
def reject(request: AnyRequest, data: FormData) -> Response[Any]:
    """退回: refuse to sign, with a reason."""
    token, lang = data.get("viewToken", ""), language_of(request)
    gate = _gate(request, token)
    if isinstance(gate, Response):
        return gate
    _, view = gate
    if not view.my_turn:
        return Redirect(_sign_url(token, "/portal/done"))
    reason = data.get("reason", "").strip()
    if not reason:
        return _refuse(request, token, view, NEED_REASON)
    try:
        platform_of(request).handle(RejectContract(contract_id=view.contract.id, signatory_id=view.signatory.id,
                                                   reason=reason[:200], ip=client_ip(request),
                                                   actor=f"{view.signatory.tenant_name}/{view.account}"))
    except EsignError as exc:
        return _sign_page(request, token, view, error=message_for(describe(exc), lang))
    return Redirect(_sign_url(token, "/portal/done"))


@get("/done", sync_to_thread=True)
def done(request: AnyRequest) -> Response[Any]:
    """Where the signer lands after signing or rejecting (and when the link is no longer theirs
    to act on): the status, the downloads when allowed, the caller's callbackPage."""
    token = request.query_params.get("viewToken", "")
    gate = _gate(request, token)
    if isinstance(gate, Response):
        return gate
    claims, view = gate
    return _render(request, "portal/done.html", token, view, callback=claims.callback_page)


@get("/download/{document_id:int}", sync_to_thread=True)
def download(request: AnyRequest, document_id: int) -> Response[Any]:
    """The document's current PDF, when the signing settings allow downloading it now."""
    gate = _gate(request, request.query_params.get("viewToken", ""))
    if isinstance(gate, Response):
        return gate
    _, view = gate
    if not view.downloadable:
        raise PermissionDenied("the signing settings do not allow downloading this contract yet")
    doc = view.document(document_id)
    pdf = platform_of(request).blob_store.read(doc.current)
    how = "inline" if request.query_params.get("print") else "attachment"  # inline: the browser prints it
    return Response(pdf, media_type="application/pdf",
                    headers={"content-disposition": f"{how}; filename={doc.id}.pdf"})


@get("/", sync_to_thread=True, name="portal")
def portal_home(request: AnyRequest) -> Response[Any]:
    """The portal without a link: how to get one."""
    return page(request, "portal/index.html")


from esign_http.portal_password import set_password, verify_password  # noqa: E402 - uses the helpers above
from esign_http.portal_sso import sso  # noqa: E402 - uses the helpers above

portal_router = Router(path="/portal", route_handlers=[portal_home, sign_page, send_code, verify_code, page_image,
                                                       sign, reject, done, download, inbox_page, mark_read,
                                                       verify_password, set_password, sso],
                       before_request=require_initialized, include_in_schema=False)
