"""服务管理 pages (manual 四.2.1–2.3):

- ``/console/services/logs``: system logs of the console, the signing portal and the open API
  (and the application's warnings), filtered by time, level, area, actor, request id and text,
  paginated (permission ``services.logs.view``);
- ``/console/services/cluster``: the nodes of each service with their health; the downtime notice
  settings (宕机通知设置) and the SSH restart targets (服务器认证配置) (``services.cluster.edit``);
  the restart action (``services.cluster.restart``, audited).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect

from esign_core.errors import EsignError, InvalidValue
from esign_core.model.cluster import SERVICES, NodeHealth
from esign_core.model.permission_tree import allows
from esign_core.model.system_log import AREAS, LEVELS, LogQuery
from esign_core.model.user import Permission
from esign_core.services.cluster import GetClusterSettings, RecordNodeRestart, SaveClusterSettings
from esign_http.access import CONSOLE_PATH, account_of, console_gate, permissions_of
from esign_http.context import client_ip, platform_of
from esign_http.i18n import _l
from esign_http.templating import page

AnyRequest = Request[Any, Any, Any]
FormData = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
LOGS_PATH = f"{CONSOLE_PATH}/services/logs"
CLUSTER_PATH = f"{CONSOLE_PATH}/services/cluster"
PAGE_SIZE = 50
AREA_LABELS = {"console": _l("电子合同管理控制台"), "portal": _l("电子合同签署平台"), "open": _l("电子合同开放平台"),
               "api": _l("REST API"), "app": _l("应用（Web 进程）"), "worker": _l("应用（工作进程）")}
SERVICE_LABELS = {"web": _l("电子签约（控制台/签署平台）"), "open": _l("开放平台"), "worker": _l("后台工作进程")}
HEALTH_LABELS = {NodeHealth.UP: _l("正常"), NodeHealth.LATE: _l("心跳延迟"), NodeHealth.DOWN: _l("宕机"),
                 NodeHealth.STOPPED: _l("已停止")}
SAVED = _l("已保存。")


def _moment(value: str | None, *, end: bool = False) -> datetime | None:
    """``2026-11-30T08:15`` (datetime-local, read as UTC) or a day (``until`` then includes it)."""
    if not value:
        return None
    for fmt in ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"):
        try:
            return datetime.strptime(value, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    try:
        day = datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise InvalidValue("since" if not end else "until", f"not a date or time: {value!r}") from None
    from datetime import timedelta

    return day + timedelta(days=1) if end else day


class SystemLogController(Controller):
    """``/console/services/logs``."""

    path = LOGS_PATH
    before_request = console_gate
    opt = {"permission": Permission.SERVICES_LOGS_VIEW}  # 服务管理: 系统日志
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def logs_page(self, request: AnyRequest) -> Response[Any]:
        q = request.query_params
        filters = {k: (q.get(k) or "").strip() for k in ("since", "until", "level", "area", "actor", "request_id",
                                                          "text")}
        error, status = None, 200
        try:
            page_no = max(1, int(q.get("page") or 1))
        except ValueError:
            page_no = 1
        try:
            query = LogQuery(since=_moment(filters["since"]), until=_moment(filters["until"], end=True),
                             level=filters["level"], area=filters["area"], actor=filters["actor"],
                             request_id=filters["request_id"], text=filters["text"], page=page_no, per_page=PAGE_SIZE)
        except InvalidValue as exc:
            error, status, query = exc.message, 422, LogQuery(per_page=PAGE_SIZE)
        platform = platform_of(request)
        result = platform.system_log.search(query)
        writer = platform.__dict__.get("log_writer")
        base = {k: v for k, v in filters.items() if v}
        return page(request, "console/system_logs.html", status_code=status, result=result, filters=filters,
                    levels=LEVELS, areas=AREAS, area_labels=AREA_LABELS, error=error,
                    stats=writer.stats() if writer is not None else None, base_query=base)


def _nodes(platform: Any) -> Any:
    from esign_adapters.db.cluster_nodes import SqlClusterNodes

    return SqlClusterNodes(platform.engine) if platform.engine is not None else None


class ClusterController(Controller):
    """``/console/services/cluster``."""

    path = CLUSTER_PATH
    before_request = console_gate
    opt = {"permission": Permission.SERVICES_CLUSTER_VIEW}  # 服务管理: 服务监控 / 服务集群
    include_in_schema = False

    def _view(self, request: AnyRequest, **extra: Any) -> dict[str, Any]:
        platform = platform_of(request)
        settings = platform.handle(GetClusterSettings())
        store = _nodes(platform)
        now = platform.clock.now()
        by_service: dict[str, list[Any]] = defaultdict(list)
        targets: dict[str, Any] = {}
        if store is not None:
            for node in store.nodes():
                by_service[node.service].append((node, node.health(now, settings)))
            targets = store.ssh_targets()
        with platform.uow() as uow:
            admins = list(uow.admins.list())
        held = permissions_of(request)
        hosts = sorted({n.host for rows in by_service.values() for n, _h in rows} | set(targets))
        return {"services": [(s, by_service.get(s, [])) for s in SERVICES], "service_labels": SERVICE_LABELS,
                "health_labels": HEALTH_LABELS, "settings": settings, "admins": admins, "targets": targets,
                "hosts": hosts, "now": now, "message": None, "error": None, "restart_output": None,
                "can_edit": allows(held, Permission.SERVICES_CLUSTER_EDIT),
                "can_restart": allows(held, Permission.SERVICES_CLUSTER_RESTART), **extra}

    @get("/", sync_to_thread=True)
    def cluster_page(self, request: AnyRequest) -> Response[Any]:
        return page(request, "console/cluster.html", **self._view(request))

    @post("/notice", sync_to_thread=True, opt={"permission": Permission.SERVICES_CLUSTER_EDIT})
    def save_notice(self, request: AnyRequest, data: FormData) -> Response[Any]:
        admins = data.get("notify_admins") or []
        changes: dict[str, Any] = {"notify_admins": [admins] if isinstance(admins, str) else list(admins),
                                   "notify_emails": str(data.get("notify_emails") or ""),
                                   "notify_recovery": "true" if data.get("notify_recovery") else "false"}
        for key in ("late_after", "down_after", "log_retention_days"):
            if data.get(key):
                changes[key] = str(data.get(key))
        try:
            platform_of(request).handle(SaveClusterSettings(changes=changes, actor=account_of(request).username,
                                                             ip=client_ip(request)))
        except EsignError as exc:
            return page(request, "console/cluster.html", status_code=422, **self._view(request, error=exc.message))
        return page(request, "console/cluster.html", **self._view(request, message=SAVED))

    @post("/ssh", sync_to_thread=True, opt={"permission": Permission.SERVICES_CLUSTER_EDIT})
    def save_ssh(self, request: AnyRequest, data: FormData) -> Response[Any]:
        from esign_adapters.ops.ssh_restart import make_target
        from esign_core.model.audit import Actor, audit_record

        platform = platform_of(request)
        store = _nodes(platform)
        try:
            if store is None:
                raise InvalidValue("host", "the restart over SSH needs the SQL database")
            host = str(data.get("host") or "").strip()
            if data.get("delete"):
                store.delete_ssh_target(host)
                changes = {"ssh_target": [host, None]}
            else:
                try:
                    port = int(str(data.get("ssh_port") or "22"))
                except ValueError:
                    raise InvalidValue("ssh_port", "ssh_port must be a number") from None
                target = make_target(host=host, ssh_host=str(data.get("ssh_host") or host), ssh_port=port,
                                     ssh_user=str(data.get("ssh_user") or ""),
                                     private_key=str(data.get("private_key") or ""),
                                     host_key=str(data.get("host_key") or ""),
                                     restart_command=str(data.get("restart_command") or ""),
                                     secrets=platform.secrets, at=platform.clock.now())
                store.save_ssh_target(target)
                changes = {"ssh_target": [host, f"{target.ssh_user}@{target.ssh_host}:{target.ssh_port} "
                                                f"`{target.restart_command}` (private key ******)"]}
            with platform.uow() as uow:  # audited like every setting (the key never: masked above)
                uow.evidence.append(audit_record("cluster", changes, at=platform.clock.now(),
                                                 actor=Actor(account_of(request).username, client_ip(request))))
                uow.commit()
        except EsignError as exc:
            return page(request, "console/cluster.html", status_code=422, **self._view(request, error=exc.message))
        return page(request, "console/cluster.html", **self._view(request, message=SAVED))

    @post("/restart", sync_to_thread=True, opt={"permission": Permission.SERVICES_CLUSTER_RESTART})
    def restart(self, request: AnyRequest, data: FormData) -> Response[Any]:
        from esign_adapters.ops.ssh_restart import restart

        platform = platform_of(request)
        host = str(data.get("host") or "")
        store = _nodes(platform)
        target = store.ssh_target(host) if store is not None else None
        if target is None:
            return Redirect(CLUSTER_PATH)  # type: ignore[return-value]
        try:
            result = restart(target, secrets=platform.secrets)
            outcome = f"exit {result.exit_status}: {result.output[-200:]}"
            note, error = (_l("重启命令已执行。"), None) if result.ok else (None, outcome)
        except EsignError as exc:
            outcome, note, error = f"failed: {exc.message}", None, exc.message
        platform.handle(RecordNodeRestart(host=host, outcome=outcome, actor=account_of(request).username,
                                          ip=client_ip(request)))
        return page(request, "console/cluster.html", status_code=200 if error is None else 502,
                    **self._view(request, message=note, error=error, restart_output=outcome))


OPS_CONTROLLERS = [SystemLogController, ClusterController]
