"""权限管理 (manual 一.5): roles with their permission tree, admin accounts with their roles,
and the audit trail (操作日志) filtered by time, actor and section."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect

from esign_core.errors import EsignError
from esign_core.model.audit import AuditQuery
from esign_core.model.permission_tree import PERMISSION_TREE, allows
from esign_core.model.user import Permission
from esign_core.services.admins import ChangeAdminAccount, ChangeRole, CreateAdminAccount, CreateRole
from esign_http.access import CONSOLE_PATH, account_of, console_gate, keep_own_session, permissions_of
from esign_http.account_pages import password_error
from esign_http.context import client_ip, language_of, platform_of
from esign_http.i18n import _l
from esign_http.templating import page

AnyRequest = Request[Any, Any, Any]
FormData = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
SECTION_LABELS = {"system": _l("系统参数设置"), "conversion": _l("文档转换服务"), "storage": _l("文件存储方式"),
                  "display": _l("系统显示设置"), "brand_images": _l("logo与背景图片"), "password": _l("密码安全设置"),
                  "login": _l("其他设置"), "signing": _l("文件签署设置"), "evidence": _l("存证方式"),
                  "physical_seal": _l("物理用印设置"), "app": _l("APP设置"), "print": _l("打印设置"),
                  "roles": _l("角色管理"), "accounts": _l("账号管理"), "cluster": _l("服务监控")}


def _list(data: dict[str, Any], key: str) -> list[str]:
    value = data.get(key, [])
    return value if isinstance(value, list) else [value]


def _permissions(data: dict[str, Any]) -> frozenset[Permission]:
    known = {p.value: p for p in Permission}
    return frozenset(known[v] for v in _list(data, "permission") if v in known)


def _who(request: AnyRequest) -> dict[str, Any]:
    return {"actor": account_of(request).username, "ip": client_ip(request)}


class AdminPagesController(Controller):
    path = f"{CONSOLE_PATH}/admins"
    before_request = console_gate
    include_in_schema = False

    def _roles_page(self, request: AnyRequest, *, status_code: int = 200, error: str | None = None,
                    edit: Any = None) -> Response[Any]:
        with platform_of(request).uow() as uow:
            roles = list(uow.roles.list())
        return page(request, "console/roles.html", status_code=status_code, roles=roles, tree=PERMISSION_TREE,
                    can_edit=allows(permissions_of(request), Permission.ADMINS_ROLES_EDIT), error=error, edit=edit)

    @get("/roles", sync_to_thread=True, opt={"permission": Permission.ADMINS_ROLES_VIEW})
    def roles(self, request: AnyRequest) -> Response[Any]:
        edit_id = request.query_params.get("edit")
        edit = None
        if edit_id and edit_id.isdecimal():
            with platform_of(request).uow() as uow:
                edit = uow.roles.find(int(edit_id))
        return self._roles_page(request, edit=edit)

    @post("/roles", sync_to_thread=True, opt={"permission": Permission.ADMINS_ROLES_EDIT})
    def save_role(self, request: AnyRequest, data: FormData) -> Response[Any]:
        role_id = str(data.get("role_id", ""))
        try:
            if role_id.isdecimal():
                platform_of(request).handle(ChangeRole(int(role_id), str(data.get("name", "")),
                                                       str(data.get("description", "")), _permissions(data),
                                                       **_who(request)))
            else:
                platform_of(request).handle(CreateRole(str(data.get("name", "")), str(data.get("description", "")),
                                                       _permissions(data), **_who(request)))
        except EsignError as exc:
            return self._roles_page(request, status_code=422, error=password_error(exc, language_of(request)))
        return Redirect(f"{CONSOLE_PATH}/admins/roles", status_code=303)

    def _accounts_page(self, request: AnyRequest, *, status_code: int = 200, error: str | None = None,
                       edit: Any = None) -> Response[Any]:
        with platform_of(request).uow() as uow:
            accounts, roles = list(uow.admins.list()), list(uow.roles.list())
        return page(request, "console/accounts.html", status_code=status_code, accounts=accounts, roles=roles,
                    role_names={r.id: r.name for r in roles}, edit=edit, error=error,
                    can_edit=allows(permissions_of(request), Permission.ADMINS_ACCOUNTS_EDIT))

    @get("/accounts", sync_to_thread=True, opt={"permission": Permission.ADMINS_ACCOUNTS_VIEW})
    def accounts(self, request: AnyRequest) -> Response[Any]:
        edit_id = request.query_params.get("edit")
        edit = None
        if edit_id and edit_id.isdecimal():
            with platform_of(request).uow() as uow:
                edit = uow.admins.find(int(edit_id))
        return self._accounts_page(request, edit=edit)

    @post("/accounts", sync_to_thread=True, opt={"permission": Permission.ADMINS_ACCOUNTS_EDIT})
    def save_account(self, request: AnyRequest, data: FormData) -> Response[Any]:
        role_ids = frozenset(int(v) for v in _list(data, "role_id") if str(v).isdecimal())
        account_id = str(data.get("account_id", ""))
        try:
            if account_id.isdecimal():
                platform_of(request).handle(ChangeAdminAccount(
                    int(account_id), str(data.get("display_name", "")), str(data.get("mobile", "")), role_ids,
                    disabled=data.get("disabled") == "on", new_password=str(data.get("password", "")),
                    **_who(request)))
            else:
                platform_of(request).handle(CreateAdminAccount(
                    str(data.get("username", "")), str(data.get("password", "")), str(data.get("display_name", "")),
                    str(data.get("mobile", "")), role_ids, **_who(request)))
        except EsignError as exc:
            return self._accounts_page(request, status_code=422, error=password_error(exc, language_of(request)))
        if account_id.isdecimal() and int(account_id) == account_of(request).id:
            keep_own_session(request)  # its own change ends its other sessions, not this one
        return Redirect(f"{CONSOLE_PATH}/admins/accounts", status_code=303)


def _day(value: str | None, *, end: bool = False) -> datetime | None:
    if not value:
        return None
    try:
        day = datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        return None
    return day + timedelta(days=1) if end else day


class AuditController(Controller):
    path = f"{CONSOLE_PATH}/audit"
    before_request = console_gate
    include_in_schema = False

    @get("/", sync_to_thread=True, opt={"permission": Permission.AUDIT_VIEW})
    def audit(self, request: AnyRequest) -> Response[Any]:
        q = request.query_params
        query = AuditQuery(since=_day(q.get("since")), until=_day(q.get("until"), end=True),
                           actor=(q.get("actor") or "").strip(), section=(q.get("section") or "").strip())
        entries = platform_of(request).search_audit(query)
        return page(request, "console/audit.html", entries=entries, sections=SECTION_LABELS,
                    filters={"since": q.get("since") or "", "until": q.get("until") or "", "actor": query.actor,
                             "section": query.section})
