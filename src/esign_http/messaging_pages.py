"""Console pages of the background work, guarded like the settings pages (login + the SETTINGS
permission):

- ``/console/messaging/outbox``: outgoing messages (SMS, e-mail, webhooks, MQ, push) filtered by
  status and kind, each with its attempts and last error (phone numbers masked), and 重发 for a
  dead-lettered one;
- ``/console/tasks``: scheduled tasks (定时任务管理, manual 四.2.4): enable/disable, change the
  schedule, 立即执行 (queued for a worker) and the run history. Tasks are installed plugins:
  there is no upload, and no uploaded code is ever executed.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect

from esign_core.errors import EsignError, InvalidValue
from esign_core.model.outbox import MessageKind, MessageStatus, OutboxQuery
from esign_core.model.user import Permission
from esign_core.services.outbox import ListOutboxMessages, ResendOutboxMessage, mask_text
from esign_http.access import CONSOLE_PATH, console_gate
from esign_http.context import platform_of
from esign_http.i18n import _l
from esign_http.templating import page

AnyRequest = Request[Any, Any, Any]
FormData = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
OUTBOX_PATH = f"{CONSOLE_PATH}/messaging/outbox"
TASKS_PATH = f"{CONSOLE_PATH}/tasks"
PAGE_SIZE = 50
STATUS_LABELS = {"pending": _l("待发送"), "delivering": _l("发送中"), "delivered": _l("已送达"), "dead": _l("发送失败")}
RUN_LABELS = {"queued": _l("排队中"), "running": _l("运行中"), "succeeded": _l("成功"), "failed": _l("失败")}
RESENT = _l("已重新排队发送。")
SAVED = _l("已保存。")
QUEUED = _l("已提交，工作进程将立即执行。")


def _enum(cls: Any, raw: str | None) -> Any:
    try:
        return cls(raw) if raw else None
    except ValueError:
        raise InvalidValue("filter", f"unknown value {raw!r}") from None


class OutboxController(Controller):
    """``/console/messaging/outbox``."""

    path = OUTBOX_PATH
    before_request = console_gate
    opt = {"permission": Permission.MESSAGES}  # 消息管理
    include_in_schema = False

    def _view(self, request: AnyRequest, **extra: Any) -> dict[str, Any]:
        q = request.query_params
        try:
            offset = max(0, int(q.get("offset") or 0))
        except ValueError:
            offset = 0
        query = OutboxQuery(status=_enum(MessageStatus, q.get("status")), kind=_enum(MessageKind, q.get("kind")),
                            key=q.get("key") or None, limit=PAGE_SIZE, offset=offset)
        result = platform_of(request).handle(ListOutboxMessages(query=query))
        return {"messages": result.messages, "counts": result.counts, "query": query, "mask": mask_text,
                "statuses": list(MessageStatus), "kinds": list(MessageKind), "status_labels": STATUS_LABELS,
                "page_size": PAGE_SIZE, "message": None, **extra}

    @get("/", sync_to_thread=True)
    def outbox_page(self, request: AnyRequest) -> Response[Any]:
        return page(request, "console/outbox.html", **self._view(request))

    @post("/{message_id:int}/resend", sync_to_thread=True)
    def resend(self, request: AnyRequest, message_id: int) -> Response[Any]:
        try:
            platform_of(request).handle(ResendOutboxMessage(message_id=message_id))
            note, status = RESENT, 200
        except EsignError as exc:
            note, status = exc.message, 409
        return page(request, "console/outbox.html", status_code=status, **self._view(request, message=note))


def _scheduler(request: AnyRequest) -> Any:
    from esign_adapters.scheduling.scheduler import Scheduler

    return Scheduler.for_platform(platform_of(request))


class TasksController(Controller):
    """``/console/tasks``."""

    path = TASKS_PATH
    before_request = console_gate
    opt = {"permission": Permission.SERVICES}  # 服务管理: 计划任务
    include_in_schema = False

    def _view(self, request: AnyRequest, **extra: Any) -> dict[str, Any]:
        scheduler = _scheduler(request)
        selected = request.query_params.get("task") or extra.pop("selected", None)
        return {"tasks": scheduler.views(), "history": scheduler.history(selected, limit=50), "selected": selected,
                "run_labels": RUN_LABELS, "message": None, **extra}

    @get("/", sync_to_thread=True)
    def tasks_page(self, request: AnyRequest) -> Response[Any]:
        return page(request, "console/tasks.html", **self._view(request))

    @post("/{name:str}/{action:str}", sync_to_thread=True)
    def change(self, request: AnyRequest, name: str, action: str, data: FormData) -> Response[Any]:
        scheduler, note, status = _scheduler(request), SAVED, 200
        try:
            if action == "enable":
                scheduler.enable(name, True)
            elif action == "disable":
                scheduler.enable(name, False)
            elif action == "schedule":
                scheduler.reschedule(name, data.get("schedule", ""))
            elif action == "run":
                scheduler.queue_run(name)
                note = QUEUED
            else:
                return Redirect(TASKS_PATH)  # type: ignore[return-value]
        except EsignError as exc:
            note, status = exc.message, 422
        return page(request, "console/tasks.html", status_code=status, **self._view(request, message=note,
                                                                                    selected=name))


MESSAGING_CONTROLLERS = [OutboxController, TasksController]
