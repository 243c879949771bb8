"""集成中心 → 组织成员同步 (manual 二.1.1 ③): ``/console/integration/org-sync``. Configure the
e-cology connection (webservice address, targetNamespace; secret fields of other connectors are
sealed and never sent back), choose the OA companies and departments, 「手动同步」 (runs in the
background; the report shows RUNNING until it ends), the sync reports with their row errors and
the completed mark (✓) of every company."""

from __future__ import annotations

import logging
import threading
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect

from esign_adapters.org_sync.registry import SECRET_SUFFIX, available_sources, directory_class
from esign_core.errors import EsignError, NotFoundError
from esign_core.model.org import OrgUnitKind, TenantType
from esign_core.model.org_sync import SyncScope, SyncStatus
from esign_core.model.user import Permission
from esign_core.ports.org_directory import OrgDirectoryError
from esign_http.access import CONSOLE_PATH, account_of, console_gate
from esign_http.context import client_ip, language_of, platform_of
from esign_http.errors import describe, message_for
from esign_http.i18n import _l, translate
from esign_http.templating import page

log = logging.getLogger(__name__)
AnyRequest = Request[Any, Any, Any]
FormData = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
PATH = f"{CONSOLE_PATH}/integration/org-sync"
FIELD_PREFIX = "cfg_"

SAVED = _l("已保存。")
STARTED = _l("同步已开始，完成后在同步报告中查看结果。")
STATUS_LABELS = {"RUNNING": _l("同步中"), "SUCCEEDED": _l("同步成功"), "SUCCEEDED_WITH_ERRORS": _l("部分失败"),
                 "INTERRUPTED": _l("已中断（下次同步时继续）")}
COUNT_LABELS = {"orgs_created": _l("新增企业"), "orgs_updated": _l("更新企业"), "orgs_disabled": _l("停用企业"),
                "departments_created": _l("新增部门"), "departments_updated": _l("更新部门"),
                "departments_disabled": _l("停用部门"), "members_created": _l("新增成员"),
                "members_updated": _l("更新成员"), "members_disabled": _l("停用成员"), "users_created": _l("新增用户"),
                "unchanged": _l("无变化")}
_RUNS: dict[int, threading.Thread] = {}


def _source_name(request: AnyRequest) -> str:
    name = request.query_params.get("source") or "ecology"
    return name if name in available_sources() else "ecology"


def _directory_tree(platform: Any, source: Any) -> tuple[list[Any], dict[str, list[Any]], str | None]:
    """The OA's companies and their departments, read live (an error message instead when the OA
    cannot be read)."""
    if source is None:
        return [], {}, None
    try:
        directory = platform.org_directory(source)
        try:
            companies = list(directory.companies())
            departments: dict[str, list[Any]] = {}
            for d in directory.departments([c.external_id for c in companies]):
                departments.setdefault(d.company_id or "", []).append(d)
        finally:
            directory.close()
    except OrgDirectoryError as exc:
        return [], {}, str(exc)
    except EsignError as exc:
        return [], {}, exc.message
    return companies, departments, None


def _view(request: AnyRequest, **extra: Any) -> dict[str, Any]:
    platform = platform_of(request)
    name = _source_name(request)
    with platform.org_sync_store() as store:
        sources = {s.source: s for s in store.sources()}
        reports = store.reports(limit=20)
    source = sources.get(name)
    try:
        cls = directory_class(name)
        fields, label, load_error = tuple(getattr(cls, "config_fields", ())), getattr(cls, "label", name), None
    except EsignError as exc:
        fields, label, load_error = (), name, exc.message
    saved = platform.org_sync_config(name, source.config if source else None)  # DingTalk/WeCom: 连接器's
    rows = [{"field": f, "name": FIELD_PREFIX + f.name, "value": "" if f.secret else str(saved.get(f.name, f.default)),
             "has_saved_secret": f.secret and bool(saved.get(f.name + SECRET_SUFFIX))} for f in fields]
    companies, departments, tree_error = ([], {}, None)
    if request.query_params.get("browse") or extra.pop("browse", False):
        companies, departments, tree_error = _directory_tree(platform, source)
    member_source = next((s.source for s in sources.values() if s.member_sync), None)
    enterprises: list[Any] = []
    if companies:
        with platform.uow() as uow:
            top = uow.organizations.platform()
            enterprises = ([top] if top else []) + [o for o in uow.organizations.of_type(TenantType.INNER_COMPANY)
                                                    if o.unit_kind is not OrgUnitKind.SECTION and not o.deleted]
    return {"name": name, "label": label, "sources": available_sources(), "source": source, "fields": rows,
            "connector_code": platform.org_sync_connector(name),
            "load_error": load_error, "companies": companies, "departments": departments, "tree_error": tree_error,
            "member_source": member_source, "enterprises": enterprises, "reports": reports,
            "status_labels": STATUS_LABELS, "count_labels": COUNT_LABELS, "message": None, "error": None, **extra}


def _render(request: AnyRequest, *, status_code: int = 200, **extra: Any) -> Response[Any]:
    return page(request, "console/org_sync.html", status_code=status_code, **_view(request, **extra))


def _error(request: AnyRequest, exc: EsignError) -> tuple[str, int]:
    problem = describe(exc)
    return message_for(problem, language_of(request)), problem.status


def _values(data: dict[str, Any], key: str) -> list[str]:
    value = data.get(key)
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _background_sync(platform: Any, source: str) -> None:
    try:
        platform.sync_directory(source, trigger="manual")
    except Exception:  # the report says what happened; a refused start (already running) is logged
        log.exception("directory sync of %s could not run", source)


class OrgSyncController(Controller):
    """Needs the INTEGRATION permission (集成中心)."""

    path = PATH
    before_request = console_gate
    opt = {"permission": Permission.INTEGRATION}
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def org_sync_page(self, request: AnyRequest) -> Response[Any]:
        return _render(request)

    @get("/reports/{report_id:int}", sync_to_thread=True)
    def report_page(self, request: AnyRequest, report_id: int) -> Response[Any]:
        with platform_of(request).org_sync_store() as store:
            report = store.report(report_id)
        if report is None:
            raise NotFoundError(f"no sync report {report_id}")
        return page(request, "console/org_sync_report.html", report=report, status_labels=STATUS_LABELS,
                    count_labels=COUNT_LABELS)

    @post("/connection", sync_to_thread=True)
    def save_connection(self, request: AnyRequest, data: FormData) -> Response[Any]:
        """第二步: the webservice address and targetNamespace (or another connector's settings)."""
        platform, name = platform_of(request), _source_name(request)
        config = {k[len(FIELD_PREFIX):]: str(v).strip() for k, v in data.items() if k.startswith(FIELD_PREFIX)}
        try:
            platform.configure_org_sync(name, config, member_sync=data.get("member_sync", "on") == "on",
                                        actor=(account_of(request).username, client_ip(request)))
        except EsignError as exc:
            message, status = _error(request, exc)
            return _render(request, status_code=status, error=message)
        return _render(request, message=translate(SAVED, language_of(request)), browse=True)

    @post("/scopes", sync_to_thread=True)
    def save_scopes(self, request: AnyRequest, data: FormData) -> Response[Any]:
        """第三步: the companies ticked, each with the departments ticked (none ticked: all)."""
        platform, name = platform_of(request), _source_name(request)
        companies = _values(data, "company")
        depts = [v.split(":", 1) for v in _values(data, "department") if ":" in v]
        try:
            scopes = tuple(SyncScope(company_id=c, department_ids=tuple(d for cid, d in depts if cid == c),
                                     target_org_id=int(data[f"target_{c}"]) if str(data.get(f"target_{c}") or "")
                                     .isdecimal() else None) for c in companies)
            with platform.org_sync_store() as store:
                current = store.source(name)
            platform.configure_org_sync(name, None, member_sync=current.member_sync if current else True,
                                        scopes=scopes)
        except EsignError as exc:
            message, status = _error(request, exc)
            return _render(request, status_code=status, error=message, browse=True)
        return _render(request, message=translate(SAVED, language_of(request)), browse=True)

    @post("/run", sync_to_thread=True)
    def sync_now(self, request: AnyRequest) -> Response[Any]:
        """「手动同步」: starts the sync in the background and comes back to the reports."""
        platform, name = platform_of(request), _source_name(request)
        with platform.org_sync_store() as store:
            last = next(iter(store.reports(name, limit=1)), None)
        if last is None or last.status is not SyncStatus.RUNNING:
            thread = threading.Thread(target=_background_sync, args=(platform, name), name=f"org-sync-{name}",
                                      daemon=True)
            thread.start()
            _RUNS[id(platform)] = thread
        return Redirect(f"{PATH}/?source={name}&started=1", status_code=303)
