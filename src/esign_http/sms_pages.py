"""The console's SMS pages (消息管理 → 短信管理, manual 三.6.1): ``/console/messages/sms`` (短信设置:
the channel in use, the platform channel's events, the own channel's provider and per-event
templates, 「短信测试」, 「完成并切换」 / 「保存，暂不切换」), ``/records`` (短信记录, searchable by
mobile) and ``/statistics`` (短信统计 with a per-month line chart drawn as SVG)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body

from esign_adapters import messaging_admin as admin
from esign_adapters.sms.registry import SECRET_SUFFIX
from esign_core.errors import EsignError
from esign_core.model.messaging import MESSAGE_EVENTS, SmsTemplate
from esign_core.model.user import Permission
from esign_core.services import messaging as use_cases
from esign_http.access import CONSOLE_PATH, account_of, by, console_gate
from esign_http.context import client_ip, language_of, platform_of
from esign_http.errors import describe, message_for
from esign_http.i18n import _l, translate
from esign_http.svg_chart import line_chart
from esign_http.templating import page

AnyRequest = Request[Any, Any, Any]
FormData = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
PATH = f"{CONSOLE_PATH}/messages/sms"
FIELD_PREFIX = "cfg_"
PAGE_SIZE = 20

SAVED = _l("已保存。")
SWITCHED = _l("已保存并切换到自主短信通道。")
SENT = _l("测试短信已发送（消息 ID：%(id)s）。")
CHANNEL_LABELS = {"PLATFORM": _l("平台短信通道"), "OWN": _l("自主短信通道")}
STATUS_LABELS = {"SENT": _l("发送成功"), "FAILED": _l("发送失败"), "SKIPPED": _l("事件已停用，未发送")}
CHART_TITLE = _l("各月份短信发送条数")


def _error(request: AnyRequest, exc: EsignError) -> tuple[str, int]:
    problem = describe(exc)
    return message_for(problem, language_of(request)), problem.status


def _provider_form(provider: str, settings: Any) -> dict[str, Any]:
    try:
        fields, label = admin.provider_form(provider)
        load_error = None
    except EsignError as exc:
        fields, label, load_error = (), provider, exc.message
    saved = settings.config if settings.provider == provider else {}
    rows = [{"field": f, "name": FIELD_PREFIX + f.name,
             "value": "" if f.secret else str(saved.get(f.name, f.default)),
             "has_saved_secret": f.secret and bool(saved.get(f.name + SECRET_SUFFIX))} for f in fields]
    return {"provider": provider, "label": label, "fields": rows, "load_error": load_error}


def _view(request: AnyRequest, provider: str | None = None, **extra: Any) -> dict[str, Any]:
    platform = platform_of(request)
    settings, templates = admin.current(platform)
    providers = admin.providers()
    chosen = provider if provider in providers else (settings.provider or providers[0])
    events = [{"event": ev, "platform_enabled": templates.platform_enabled(ev.code),
               "own": templates.own_template(ev.code)} for ev in MESSAGE_EVENTS]
    return {"settings": settings, "events": events, "providers": providers, "form": _provider_form(chosen, settings),
            "masked": admin.masked_config(settings), "channel_labels": CHANNEL_LABELS, "message": None,
            "error": None, "result_event": None, **extra}


def _render(request: AnyRequest, *, status_code: int = 200, **extra: Any) -> Response[Any]:
    return page(request, "console/sms.html", status_code=status_code, **_view(request, **extra))


def _submitted(data: dict[str, str]) -> dict[str, str]:
    return {k[len(FIELD_PREFIX):]: v for k, v in data.items() if k.startswith(FIELD_PREFIX)}


class SmsSettingsController(Controller):
    """``/console/messages/sms`` (the SETTINGS permission is required, as for every setting)."""

    path = PATH
    before_request = console_gate
    opt = {"permission": Permission.MESSAGES}
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def sms_page(self, request: AnyRequest) -> Response[Any]:
        return _render(request, provider=request.query_params.get("provider"))

    def _do(self, request: AnyRequest, action: Any, done: str, **extra: Any) -> Response[Any]:
        try:
            action()
        except EsignError as exc:
            message, status = _error(request, exc)
            return _render(request, status_code=status, error=message, **extra)
        return _render(request, message=translate(done, language_of(request)), **extra)

    @post("/channel", sync_to_thread=True)
    def use_channel(self, request: AnyRequest, data: FormData) -> Response[Any]:
        platform = platform_of(request)
        command = use_cases.UseSmsChannel(data.get("channel", ""))
        return self._do(request, lambda: platform.handle(by(request, command)), SAVED)

    @post("/events", sync_to_thread=True)
    def switch_event(self, request: AnyRequest, data: FormData) -> Response[Any]:
        """启用 / 停用 an event on the platform or own channel."""
        platform = platform_of(request)
        command = use_cases.SetSmsEventEnabled(data.get("channel", "PLATFORM"), data.get("event", ""),
                                               data.get("enabled") == "true")
        return self._do(request, lambda: platform.handle(by(request, command)), SAVED)

    @post("/own", sync_to_thread=True)
    def save_own(self, request: AnyRequest, data: FormData) -> Response[Any]:
        """「完成并切换」 (action=switch) or 「保存，暂不切换」 (action=save)."""
        platform, provider = platform_of(request), data.get("provider", "")
        switch = data.get("action") == "switch"
        actor = (account_of(request).username, client_ip(request))
        return self._do(request, lambda: admin.save_sms_channel(platform, provider, _submitted(data), switch=switch,
                                                                actor=actor),
                        SWITCHED if switch else SAVED, provider=provider)

    @post("/templates", sync_to_thread=True)
    def save_template(self, request: AnyRequest, data: FormData) -> Response[Any]:
        platform = platform_of(request)
        command = use_cases.SaveSmsTemplate(data.get("event", ""), data.get("content", ""),
                                            data.get("provider_template_id", ""), data.get("enabled") == "on")
        return self._do(request, lambda: platform.handle(by(request, command)), SAVED, result_event=data.get("event"))

    @post("/test", sync_to_thread=True)
    def test_send(self, request: AnyRequest, data: FormData) -> Response[Any]:
        """「短信测试」 with the template as typed (saved or not); htmx gets the result fragment."""
        platform, lang = platform_of(request), language_of(request)
        event, channel = data.get("event", ""), data.get("channel", "OWN")
        try:
            template = None
            if channel == "OWN" and "content" in data:
                template = SmsTemplate(event, data.get("content", ""), data.get("provider_template_id", ""), False)
            message_id = admin.test_sms(platform, mobile=data.get("mobile", ""), event=event, channel=channel,
                                        template=template)
            result, ok, status = translate(SENT, lang, id=message_id), True, 200
        except EsignError as exc:
            (result, status), ok = _error(request, exc), False
        if request.headers.get("hx-request"):
            return page(request, "console/_sms_result.html", status_code=200, result=result, ok=ok)
        return _render(request, status_code=status, message=result if ok else None, error=None if ok else result,
                       result_event=event)

    @get("/records", sync_to_thread=True)
    def records(self, request: AnyRequest) -> Response[Any]:
        """短信记录: newest first, filtered by any part of the mobile number."""
        mobile = request.query_params.get("mobile", "")[:20]
        try:
            number = max(1, int(request.query_params.get("page", "1")))
        except ValueError:
            number = 1
        found, total = platform_of(request).sms_records.search(mobile=mobile, limit=PAGE_SIZE,
                                                               offset=(number - 1) * PAGE_SIZE)
        pages = max(1, -(-total // PAGE_SIZE))
        return page(request, "console/sms_records.html", records=found, total=total, mobile=mobile, page=number,
                    pages=pages, channel_labels=CHANNEL_LABELS, status_labels=STATUS_LABELS)

    @get("/statistics", sync_to_thread=True)
    def statistics(self, request: AnyRequest) -> Response[Any]:
        """短信统计: totals per channel and the last 12 months as a line chart."""
        platform = platform_of(request)
        stats = platform.sms_records.statistics(months=12, until=platform.clock.now())
        chart = line_chart(stats.by_month, title=translate(CHART_TITLE, language_of(request)), element_id="sms-chart")
        return page(request, "console/sms_statistics.html", stats=stats, chart=chart, channel_labels=CHANNEL_LABELS)
