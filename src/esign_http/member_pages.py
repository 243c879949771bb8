"""成员管理 of one org unit (``/console/users/orgs/{id}/members``: add, edit, depart under the
departed-employee policy) and 绑定动态令牌 of a personal user (``/console/users/people/{id}/totp``)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect

from esign_adapters.otp import bind_totp_token
from esign_core.errors import EsignError, InvalidValue
from esign_core.model.user import Permission
from esign_core.services.directory import AddMember, DepartMember, EditContact, EditMember
from esign_http.access import CONSOLE_PATH, console_gate
from esign_http.context import platform_of
from esign_http.errors import render_form_error
from esign_http.templating import page

AnyRequest = Request[Any, Any, Any]
FormData = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
BASE = f"{CONSOLE_PATH}/users"


def _member_id(data: dict[str, str]) -> int:
    try:
        return int(data.get("member_id", ""))
    except ValueError:
        raise InvalidValue("member_id", "member_id must be a number") from None


def edit_contact_command(platform: Any, contact_id: int, data: dict[str, str]) -> EditContact:
    """The console's 编辑联系人 form: the list shows mobiles masked, so a blank mobile keeps the
    stored one; the other fields are taken as posted."""
    with platform.uow() as uow:
        current = uow.contacts.get(contact_id)
    mobile = data.get("mobile", "").strip() or (str(current.mobile) if current.mobile else None)
    return EditContact(contact_id=contact_id, name=data.get("name", ""), mobile=mobile,
                       email=data.get("email") or None, number=data.get("number") or None,
                       enterprise_name=data.get("enterprise_name") or None)


class MemberController(Controller):
    path = BASE
    before_request = console_gate
    opt = {"permission": Permission.USERS}  # 用户管理
    include_in_schema = False

    def _members_view(self, request: AnyRequest, org_id: int) -> dict[str, Any]:
        with platform_of(request).uow() as uow:
            org = uow.organizations.get(org_id)
            members = [(m, uow.users.find(m.user_id)) for m in uow.members.of_org(org_id)]
        return {"org": org, "members": members}

    @get("/orgs/{org_id:int}/members", sync_to_thread=True)
    def members(self, request: AnyRequest, org_id: int) -> Response[Any]:
        return page(request, "console/directory_members.html", **self._members_view(request, org_id))

    @post("/orgs/{org_id:int}/members/{action:str}", sync_to_thread=True)
    def member_action(self, request: AnyRequest, org_id: int, action: str, data: FormData) -> Response[Any]:
        platform = platform_of(request)
        try:
            if action == "add":
                platform.handle(AddMember(org_id=org_id, name=data.get("name", ""), mobile=data.get("mobile") or None,
                                          email=data.get("email") or None, number=data.get("number") or None))
            elif action == "edit":  # blank mobile / e-mail: unchanged (the list shows them masked)
                platform.handle(EditMember(member_id=_member_id(data), name=data.get("name", ""),
                                           number=data.get("number") or None, mobile=data.get("mobile") or None,
                                           email=data.get("email") or None))
            elif action == "depart":
                platform.handle(DepartMember(member_id=_member_id(data)))
            else:
                raise InvalidValue("action", f"unknown action {action!r}")
        except EsignError as exc:
            return render_form_error(request, "console/directory_members.html", exc,
                                     **self._members_view(request, org_id))
        return Redirect(f"{BASE}/orgs/{org_id}/members")

    @get("/people/{user_id:int}/totp", sync_to_thread=True)
    def totp_page(self, request: AnyRequest, user_id: int) -> Response[Any]:
        """A new secret to enter into the authenticator; nothing is stored until a code confirms it."""
        issued = bind_totp_token(platform_of(request), user_id, secret=None, code=None)
        lines = dict(line.split(": ", 1) for line in issued.splitlines())
        return page(request, "console/directory_totp.html", user_id=user_id, secret=lines["secret"],
                    uri=lines["uri"], headers={"cache-control": "no-store"})

    @post("/people/{user_id:int}/totp", sync_to_thread=True)
    def totp_bind(self, request: AnyRequest, user_id: int, data: FormData) -> Response[Any]:
        secret = data.get("secret", "")
        try:
            bind_totp_token(platform_of(request), user_id, secret=secret, code=data.get("code", "").strip())
        except EsignError as exc:
            import pyotp

            uri = pyotp.TOTP(secret).provisioning_uri(name=str(user_id), issuer_name="esign") if secret else ""
            return render_form_error(request, "console/directory_totp.html", exc, user_id=user_id, secret=secret,
                                     uri=uri)
        return Redirect(f"{BASE}/people/{user_id}")
