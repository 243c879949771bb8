"""用户管理 in the console, second pass: editing a member (and the person's account) on the
members page of a unit, editing enterprise and personal contacts, moving an org unit within its
enterprise (cycles, other enterprises and top-level enterprises refused), English strings."""

from __future__ import annotations

import pytest
from http_flows import activate, csrf_of, login

from esign_core.model.org import ContactKind
from esign_core.services.commands import AddInternalEnterprise
from esign_core.services.directory import AddContact, AddMember, AddPersonalUser


@pytest.fixture
def logged_in(client, platform, licence_for):  # type: ignore[no-untyped-def]
    activate(client, platform, licence_for(platform.product_code))
    assert login(client).status_code == 302
    return client


def _root(platform) -> int:  # type: ignore[no-untyped-def]
    with platform.uow() as uow:
        return uow.organizations.platform().id


def test_members_page_edits_a_member_and_refuses_bad_or_taken_accounts(logged_in, platform):  # type: ignore[no-untyped-def]
    org_id = _root(platform)
    member_id = platform.handle(AddMember(org_id=org_id, name="周八", mobile="13600000008"))
    platform.handle(AddPersonalUser(name="别人", mobile="13600000009", email="other@example.com"))
    url = f"/console/users/orgs/{org_id}/members"
    page = logged_in.get(url)
    assert f'id="edit-member-{member_id}"' in page.text

    def edit(**data: str):  # type: ignore[no-untyped-def]
        return logged_in.post(f"{url}/edit", data={"_csrf_token": csrf_of(logged_in.get(url).text),
                                                   "member_id": str(member_id), "name": "周八八", **data},
                              follow_redirects=False)

    assert edit(number="E88", email="zhou@example.com").status_code in (302, 303)
    with platform.uow() as uow:
        member = uow.members.get(member_id)
        user = uow.users.get(member.user_id)
        assert (member.name, member.number) == ("周八八", "E88")
        assert (str(user.mobile), str(user.email)) == ("13600000008", "zhou@example.com")  # blank mobile: kept
    bad = edit(mobile="12345")
    assert bad.status_code == 400 and 'id="form-error"' in bad.text
    taken = edit(email="other@example.com")
    assert taken.status_code == 409 and 'id="form-error"' in taken.text
    with platform.uow() as uow:
        assert str(uow.users.get(uow.members.get(member_id).user_id).email) == "zhou@example.com"


@pytest.mark.parametrize("kind", [ContactKind.ENTERPRISE, ContactKind.PERSONAL])
def test_contacts_page_edits_a_contact_and_refuses_duplicates(logged_in, platform, kind):  # type: ignore[no-untyped-def]
    enterprise = {"enterprise_name": "客户公司"} if kind is ContactKind.ENTERPRISE else {}
    cid = platform.handle(AddContact(kind=kind, name="孙八", mobile="13500000001", **enterprise))
    platform.handle(AddContact(kind=kind, name="李四", mobile="13500000002", **enterprise))
    param = kind.value.lower()
    page = logged_in.get("/console/users/contacts", params={"kind": param})
    assert f'id="edit-contact-{cid}"' in page.text

    def edit(**data: str):  # type: ignore[no-untyped-def]
        token = csrf_of(logged_in.get("/console/users/contacts", params={"kind": param}).text)
        return logged_in.post("/console/users/contacts/edit", data={
            "_csrf_token": token, "kind": param, "contact_id": str(cid), "name": "孙八八", **enterprise, **data},
            follow_redirects=False)

    assert edit(email="sun@example.com", number="C9").status_code in (302, 303)
    with platform.uow() as uow:
        c = uow.contacts.get(cid)
        assert (c.name, str(c.mobile), str(c.email), c.number) == ("孙八八", "13500000001", "sun@example.com", "C9")
    assert edit(email="bad@").status_code == 400
    duplicate = edit(mobile="13500000002")
    assert duplicate.status_code == 409 and 'id="form-error"' in duplicate.text
    with platform.uow() as uow:
        assert str(uow.contacts.get(cid).mobile) == "13500000001"


def test_orgs_page_moves_a_unit_within_its_enterprise_only(logged_in, platform):  # type: ignore[no-untyped-def]
    root = _root(platform)

    def unit(name: str, parent: int, mobile: str, department: bool = True) -> int:
        return platform.handle(AddInternalEnterprise(name=name, parent_id=parent, admin_name="管理员",
                                                     admin_mobile=mobile, department=department))

    sales, tech = unit("销售部", root, "13900000001"), unit("技术部", root, "13900000002")
    team = unit("北区组", sales, "13900000003")
    child = unit("子公司", root, "13900000004", department=False)
    page = logged_in.get("/console/users/orgs")
    assert 'id="move-org"' in page.text

    def move(org_id: int, parent_id: int):  # type: ignore[no-untyped-def]
        return logged_in.post("/console/users/orgs/move", data={
            "_csrf_token": csrf_of(logged_in.get("/console/users/orgs").text), "org_id": str(org_id),
            "parent_id": str(parent_id)}, follow_redirects=False)

    assert move(team, tech).status_code in (302, 303)
    with platform.uow() as uow:
        assert uow.organizations.get(team).parent_id == tech
    for org_id, parent_id in ((tech, team), (team, child), (root, tech)):  # cycle, other enterprise, top level
        refused = move(org_id, parent_id)
        assert refused.status_code in (400, 409) and 'id="form-error"' in refused.text, refused.text
    with platform.uow() as uow:
        assert uow.organizations.get(team).parent_id == tech and uow.organizations.get(tech).parent_id == root
    logged_in.cookies.set("esign_lang", "en")
    assert "Move an org unit" in logged_in.get("/console/users/orgs").text
