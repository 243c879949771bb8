"""The console's mail service page (系统参数设置 → 邮件服务配置, manual 一.2.2 3 and 三.6.2),
``/console/settings/mail``: sender address, SMTP server, port, TLS mode, user and password
(sealed; never sent back to the browser), 「发送测试邮件」, and the mail templates per event; and
``/console/messages/notices`` (站内信管理 / 推送管理, 三.6.3–6.4): the nine physical-seal events,
each enabled or disabled for in-site messages and for push."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body

from esign_adapters import messaging_admin as admin
from esign_core.errors import EsignError
from esign_core.model.messaging import MESSAGE_EVENTS, SEAL_EVENTS, NoticeSettings
from esign_core.model.user import Permission
from esign_core.services import messaging as use_cases
from esign_http.access import CONSOLE_PATH, by, console_gate
from esign_http.context import language_of, platform_of
from esign_http.errors import describe, message_for
from esign_http.i18n import _l, translate
from esign_http.templating import page

AnyRequest = Request[Any, Any, Any]
FormData = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
MAIL_PATH = f"{CONSOLE_PATH}/settings/mail"
NOTICES_PATH = f"{CONSOLE_PATH}/messages/notices"
SAVED = _l("已保存。")
TEST_SENT = _l("测试邮件已发送至 %(to)s。")
TLS_LABELS = {"NONE": _l("不加密"), "STARTTLS": _l("STARTTLS"), "SSL": _l("SSL/TLS（隐式加密）")}
FIELDS = ("sender", "smtp_host", "smtp_port", "tls", "username", "timeout", "ca_file")


def _outcome(request: AnyRequest, action: Any, done: str, **values: Any) -> tuple[str | None, str | None, int]:
    try:
        action()
    except EsignError as exc:
        problem = describe(exc)
        return None, message_for(problem, language_of(request)), problem.status
    return translate(done, language_of(request), **values), None, 200


def _mail_view(request: AnyRequest, submitted: dict[str, str] | None = None, **extra: Any) -> dict[str, Any]:
    settings, templates = admin.mail_settings(platform_of(request))
    values = {name: str(getattr(settings, name)) for name in FIELDS}
    if submitted:
        values.update({k: v for k, v in submitted.items() if k in FIELDS})
    rows = [{"event": ev, "template": templates.template(ev.code)} for ev in MESSAGE_EVENTS]
    return {"values": values, "has_password": bool(settings.password_secret_ref), "configured": settings.configured,
            "tls_labels": TLS_LABELS, "templates": rows, "message": None, "error": None, "test_to": "",
            "open_event": None, **extra}


class MailSettingsController(Controller):
    path = MAIL_PATH
    before_request = console_gate
    opt = {"permission": Permission.SETTINGS_SYSTEM_VIEW}
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def mail_page(self, request: AnyRequest) -> Response[Any]:
        return page(request, "console/mail.html", **_mail_view(request))

    @post("/", sync_to_thread=True, opt={"permission": Permission.SETTINGS_SYSTEM_EDIT})
    def save(self, request: AnyRequest, data: FormData) -> Response[Any]:
        platform = platform_of(request)
        message, error, status = _outcome(request, lambda: platform.handle(by(request, admin.mail_command(data))),
                                          SAVED)
        view = _mail_view(request, data if error else None, message=message, error=error)
        return page(request, "console/mail.html", status_code=status, **view)

    @post("/test", sync_to_thread=True, opt={"permission": Permission.SETTINGS_SYSTEM_EDIT})
    def test_mail(self, request: AnyRequest, data: FormData) -> Response[Any]:
        """「发送测试邮件」 with the settings as typed (a blank password means the saved one)."""
        platform, to = platform_of(request), data.get("test_to", "").strip()
        message, error, status = _outcome(request, lambda: admin.send_test_mail(platform, to, submitted=data),
                                          TEST_SENT, to=to)
        if request.headers.get("hx-request"):
            return page(request, "console/_sms_result.html", result=message or error, ok=error is None)
        view = _mail_view(request, data, message=message, error=error, test_to=to)
        return page(request, "console/mail.html", status_code=status, **view)

    @post("/templates", sync_to_thread=True, opt={"permission": Permission.SETTINGS_SYSTEM_EDIT})
    def save_template(self, request: AnyRequest, data: FormData) -> Response[Any]:
        platform = platform_of(request)
        command = use_cases.SaveMailTemplate(data.get("event", ""), data.get("subject", ""), data.get("body", ""),
                                             data.get("enabled") == "on")
        message, error, status = _outcome(request, lambda: platform.handle(by(request, command)), SAVED)
        view = _mail_view(request, message=message, error=error, open_event=data.get("event"))
        return page(request, "console/mail.html", status_code=status, **view)


def _notices_view(request: AnyRequest, **extra: Any) -> dict[str, Any]:
    with platform_of(request).uow() as uow:
        settings = uow.settings.get(NoticeSettings)
    rows = [{"event": ev, "inbox": settings.enabled("inbox", ev.code), "push": settings.enabled("push", ev.code)}
            for ev in SEAL_EVENTS]
    return {"rows": rows, "message": None, "error": None, **extra}


class NoticeSettingsController(Controller):
    path = NOTICES_PATH
    before_request = console_gate
    opt = {"permission": Permission.MESSAGES}
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def notices_page(self, request: AnyRequest) -> Response[Any]:
        return page(request, "console/notices.html", **_notices_view(request))

    @post("/", sync_to_thread=True)
    def switch(self, request: AnyRequest, data: FormData) -> Response[Any]:
        """【启用】 / 【停用】 one event for in-site messages (kind=inbox) or push (kind=push)."""
        platform = platform_of(request)
        command = use_cases.SetNoticeEnabled(data.get("kind", ""), data.get("event", ""),
                                             data.get("enabled") == "true")
        message, error, status = _outcome(request, lambda: platform.handle(by(request, command)), SAVED)
        return page(request, "console/notices.html", status_code=status,
                    **_notices_view(request, message=message, error=error))
