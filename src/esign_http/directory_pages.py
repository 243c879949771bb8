"""用户管理 (manual 二): ``/console/users/orgs`` (internal tree and external legal entities: add,
edit, certify, freeze, delete), ``/console/users/certification`` (status and callback URLs),
``/console/users/people`` (filters, detail), ``/console/users/contacts``. Every form posts and
redirects back (POST/redirect/GET); refused forms re-render with the message."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect

from esign_core.errors import EsignError, InvalidValue
from esign_core.model.callback_settings import CallbackSettings
from esign_core.model.certification import CertificationStatus
from esign_core.model.import_rows import ImportKind
from esign_core.model.org import ContactKind, TenantType
from esign_core.model.user import Permission
from esign_core.model.user_query import UserQuery
from esign_core.services.commands import AddExternalEnterprise, AddInternalEnterprise, Command
from esign_core.services.directory import AddContact, AddPersonalUser, DeleteContact, FreezeUser
from esign_core.services.org_admin import (
    ApplyCertification,
    ConfigureCallbacks,
    DecideCertification,
    DeleteOrganization,
    EditOrganization,
    FreezeOrganization,
    MoveOrganization,
    UpdateUserCertification,
)
from esign_http.access import CONSOLE_PATH, console_gate
from esign_http.context import platform_of
from esign_http.errors import render_form_error
from esign_http.member_pages import edit_contact_command
from esign_http.templating import page

AnyRequest = Request[Any, Any, Any]
FormData = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
BASE = f"{CONSOLE_PATH}/users"


def _int(data: dict[str, str], field: str) -> int:
    try:
        return int(data.get(field, ""))
    except ValueError:
        raise InvalidValue(field, f"{field} must be a number") from None


def _orgs_view(request: AnyRequest) -> dict[str, Any]:
    with platform_of(request).uow() as uow:
        orgs = uow.organizations
        internal = [*orgs.of_type(TenantType.CORPORATE), *orgs.of_type(TenantType.INNER_COMPANY)]
        external = list(uow.organizations.of_type(TenantType.COMPANY))
    by_parent: dict[int | None, list[Any]] = {}
    for org in internal:
        by_parent.setdefault(org.parent_id, []).append(org)
    tree: list[tuple[int, Any]] = []

    def walk(parent: int | None, depth: int) -> None:
        for org in by_parent.get(parent, []):
            tree.append((depth, org))
            walk(org.id, depth + 1)

    walk(None, 0)
    return {"tree": tree, "external": external, "kinds": ImportKind}


def _org_command(action: str, data: dict[str, str]) -> Command:
    if action == "add-internal":
        return AddInternalEnterprise(name=data.get("name", ""), parent_id=_int(data, "parent_id"),
                                     admin_name=data.get("admin_name", ""), admin_mobile=data.get("admin_mobile", ""),
                                     department=data.get("department") == "on", uscc=data.get("uscc") or None)
    if action == "add-external":
        return AddExternalEnterprise(name=data.get("name", ""), admin_name=data.get("admin_name", ""),
                                     admin_mobile=data.get("admin_mobile", ""), uscc=data.get("uscc") or None)
    org_id = _int(data, "org_id")
    commands: dict[str, Command] = {
        "edit": EditOrganization(org_id=org_id, name=data.get("name", "")),
        "move": MoveOrganization(org_id=org_id, parent_id=_int(data, "parent_id") if action == "move" else 0),
        "freeze": FreezeOrganization(org_id=org_id, frozen=True),
        "unfreeze": FreezeOrganization(org_id=org_id, frozen=False),
        "delete": DeleteOrganization(org_id=org_id, force=data.get("force") == "on",
                                     confirm_name=data.get("confirm_name") or None),
        "certify": ApplyCertification(org_id=org_id, uscc=data.get("uscc", ""),
                                      legal_person=data.get("legal_person", "")),
        "pass": DecideCertification(org_id=org_id, passed=True),
        "reject": DecideCertification(org_id=org_id, passed=False, reason=data.get("reason") or None),
    }
    if action not in commands:
        raise InvalidValue("action", f"unknown action {action!r}")
    return commands[action]


def _date(value: str | None, field: str) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    except ValueError:
        raise InvalidValue(field, f"{field} must be a date (YYYY-MM-DD)") from None


class DirectoryController(Controller):
    path = BASE
    before_request = console_gate
    opt = {"permission": Permission.USERS}  # 用户管理
    include_in_schema = False

    @get("/", sync_to_thread=False)
    def index(self) -> Response[Any]:
        return Redirect(f"{BASE}/orgs")

    @get("/orgs", sync_to_thread=True)
    def orgs(self, request: AnyRequest) -> Response[Any]:
        return page(request, "console/directory_orgs.html", **_orgs_view(request))

    @post("/orgs/{action:str}", sync_to_thread=True)
    def org_action(self, request: AnyRequest, action: str, data: FormData) -> Response[Any]:
        try:
            platform_of(request).handle(_org_command(action, data))
        except EsignError as exc:
            return render_form_error(request, "console/directory_orgs.html", exc, **{**_orgs_view(request)})
        return Redirect(data.get("back") if data.get("back") == f"{BASE}/certification" else f"{BASE}/orgs")

    @get("/certification", sync_to_thread=True)
    def certification(self, request: AnyRequest) -> Response[Any]:
        return page(request, "console/directory_certification.html", **self._cert_view(request))

    def _cert_view(self, request: AnyRequest) -> dict[str, Any]:
        with platform_of(request).uow() as uow:
            orgs = [o for t in TenantType for o in uow.organizations.of_type(t) if o.is_legal_entity]
            callbacks = uow.settings.get(CallbackSettings)
        return {"orgs": orgs, "callbacks": callbacks, "saved": False}

    @post("/callbacks", sync_to_thread=True)
    def callbacks(self, request: AnyRequest, data: FormData) -> Response[Any]:
        try:
            platform_of(request).handle(ConfigureCallbacks(
                enterprise_success_url=data.get("enterprise_success_url", ""),
                enterprise_failure_url=data.get("enterprise_failure_url", ""),
                personal_success_url=data.get("personal_success_url", ""),
                personal_failure_url=data.get("personal_failure_url", ""),
                allow_list=tuple(data.get("allow_list", "").split())))
        except EsignError as exc:
            view = self._cert_view(request)
            submitted = {**view["callbacks"].to_dict(), **data}
            return render_form_error(request, "console/directory_certification.html", exc, **view,
                                     submitted=submitted)
        back = data.get("back") if data.get("back") == f"{BASE}/people" else f"{BASE}/certification"
        return Redirect(back + "?saved=1")

    @get("/people", sync_to_thread=True)
    def people(self, request: AnyRequest) -> Response[Any]:
        q = request.query_params
        status = q.get("status") or None
        try:
            query = UserQuery(name=q.get("name") or None, account=q.get("account") or None,
                              status=CertificationStatus(status) if status else None,
                              created_from=_date(q.get("created_from"), "created_from"),
                              created_to=_date(q.get("created_to"), "created_to"), limit=200)
        except (EsignError, ValueError) as exc:
            error = exc if isinstance(exc, EsignError) else InvalidValue("status", "unknown status")
            return render_form_error(request, "console/directory_people.html", error, users=[], filters=dict(q),
                                     statuses=CertificationStatus, callbacks=None)
        with platform_of(request).uow() as uow:
            users = uow.users.search(query)
            callbacks = uow.settings.get(CallbackSettings)
        return page(request, "console/directory_people.html", users=users, filters=dict(q),
                    statuses=CertificationStatus, callbacks=callbacks)

    @get("/people/{user_id:int}", sync_to_thread=True)
    def person(self, request: AnyRequest, user_id: int) -> Response[Any]:
        with platform_of(request).uow() as uow:
            user = uow.users.get(user_id)
            memberships = [(m, uow.organizations.find(m.org_id)) for m in uow.members.of_user(user_id)]
        return page(request, "console/directory_person.html", user=user, memberships=memberships,
                    statuses=CertificationStatus)

    @post("/people/{action:str}", sync_to_thread=True)
    def people_action(self, request: AnyRequest, action: str, data: FormData) -> Response[Any]:
        platform = platform_of(request)
        try:
            if action == "add":
                user_id = platform.handle(AddPersonalUser(name=data.get("name", ""), mobile=data.get("mobile") or None,
                                                          email=data.get("email") or None))
            else:
                user_id = _int(data, "user_id")
                if action in ("freeze", "unfreeze"):
                    platform.handle(FreezeUser(user_id=user_id, frozen=action == "freeze"))
                elif action == "certification":
                    platform.handle(UpdateUserCertification(user_id=user_id,
                                                            status=CertificationStatus(data.get("status", "")),
                                                            reason=data.get("reason") or None))
                else:
                    raise InvalidValue("action", f"unknown action {action!r}")
        except (EsignError, ValueError) as exc:
            error = exc if isinstance(exc, EsignError) else InvalidValue("status", "unknown status")
            return render_form_error(request, "console/directory_people.html", error, users=[], filters={},
                                     statuses=CertificationStatus, callbacks=None)
        return Redirect(f"{BASE}/people/{user_id}")

    @get("/contacts", sync_to_thread=True)
    def contacts(self, request: AnyRequest) -> Response[Any]:
        return page(request, "console/directory_contacts.html", **self._contacts_view(request))

    def _contacts_view(self, request: AnyRequest) -> dict[str, Any]:
        kind = ContactKind.ENTERPRISE if request.query_params.get("kind") == "enterprise" else ContactKind.PERSONAL
        with platform_of(request).uow() as uow:
            contacts = uow.contacts.list(kind)
        return {"kind": kind, "contacts": contacts, "kinds": ImportKind}

    @post("/contacts/{action:str}", sync_to_thread=True)
    def contact_action(self, request: AnyRequest, action: str, data: FormData) -> Response[Any]:
        kind = ContactKind.ENTERPRISE if data.get("kind") == "enterprise" else ContactKind.PERSONAL
        try:
            if action == "add":
                platform_of(request).handle(AddContact(kind=kind, name=data.get("name", ""),
                                                       mobile=data.get("mobile") or None,
                                                       email=data.get("email") or None, number=data.get("number"),
                                                       enterprise_name=data.get("enterprise_name") or None))
            elif action == "edit":
                platform_of(request).handle(edit_contact_command(platform_of(request), _int(data, "contact_id"), data))
            elif action == "delete":
                platform_of(request).handle(DeleteContact(contact_id=_int(data, "contact_id")))
            else:
                raise InvalidValue("action", f"unknown action {action!r}")
        except EsignError as exc:
            return render_form_error(request, "console/directory_contacts.html", exc, **self._contacts_view(request))
        return Redirect(f"{BASE}/contacts?kind={kind.value.lower()}")
