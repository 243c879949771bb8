"""The query methods of every repository, against every backend (part of the repository
contract suite, see test_repository_contract.py)."""

from __future__ import annotations

from typing import Any

from esign_core.model.certificate import CertificateKind
from esign_core.model.contract import ContractStatus
from esign_core.model.org import ContactKind, OrgUnitKind, TenantType
from tests.db import samples
from tests.db.conftest import UowFactory


def _save_all(uow_factory: UowFactory, *pairs: tuple[str, Any]) -> None:
    with uow_factory() as uow:
        for repo, item in pairs:
            getattr(uow, repo).add(item)
        uow.commit()


def _ids(items: Any) -> list[int]:
    return [i.id for i in items]


def test_organization_queries(uow_factory: UowFactory) -> None:
    platform = samples.platform_org()
    child = samples.organization("子公司", parent_id=platform.id)
    dept = samples.organization("财务部", unit_kind=OrgUnitKind.SECTION, parent_id=platform.id)
    gone = samples.organization("已删除", parent_id=platform.id, deleted=True)
    external = samples.organization(
        "子公司", tenant_type=TenantType.COMPANY, unit_kind=OrgUnitKind.COMPANY, parent_id=None
    )
    _save_all(uow_factory, *(("organizations", o) for o in (platform, child, dept, gone, external)))
    with uow_factory() as uow:
        orgs = uow.organizations
        assert orgs.platform().id == platform.id
        assert _ids(orgs.children(platform.id)) == [child.id, dept.id]
        assert orgs.children(child.id) == []
        assert orgs.by_name("子公司").id == child.id
        assert orgs.by_name("子公司", TenantType.COMPANY).id == external.id
        assert orgs.by_name("已删除") is None
        assert orgs.by_name("子公司 ") is None
        assert orgs.count(TenantType.INNER_COMPANY) == 2
        assert orgs.count(TenantType.INNER_COMPANY, unit_kind=OrgUnitKind.CHILD) == 1
        assert orgs.count(TenantType.CORPORATE) == 1
        assert orgs.count(TenantType.PERSONAL) == 0


def test_counts_include_what_this_unit_of_work_added(uow_factory: UowFactory) -> None:
    _save_all(uow_factory, ("users", samples.user("13800000001", None)))
    with uow_factory() as uow:
        uow.users.add(samples.user("13800000002", None))
        uow.users.add(samples.user("13800000003", None, internal=False))
        assert uow.users.count(internal=True) == 2
        assert uow.users.count(internal=False) == 1
        platform = samples.platform_org()
        uow.organizations.add(platform)
        assert uow.organizations.count(TenantType.CORPORATE) == 1
        assert uow.organizations.platform() is platform


def test_counts_do_not_count_a_loaded_aggregate_twice(uow_factory: UowFactory) -> None:
    user = samples.user("13800000001", None)
    _save_all(uow_factory, ("users", user))
    with uow_factory() as uow:
        uow.users.get(user.id)
        assert uow.users.count(internal=True) == 1


def test_member_queries(uow_factory: UowFactory) -> None:
    org, other_org, user = samples.next_id(), samples.next_id(), samples.next_id()
    a, b, c = samples.member(org, user), samples.member(org), samples.member(other_org, user)
    _save_all(uow_factory, ("members", c), ("members", a), ("members", b))
    with uow_factory() as uow:
        assert _ids(uow.members.of_org(org)) == [a.id, b.id]
        assert _ids(uow.members.of_user(user)) == [a.id, c.id]
        assert uow.members.of_org(samples.next_id()) == []


def test_user_by_account_matches_mobile_or_email_exactly(uow_factory: UowFactory) -> None:
    by_phone = samples.user("13812345678", None)
    by_mail = samples.user(None, "Li.Si@Example.COM")
    external = samples.user("13900000000", "x@example.com", internal=False)
    _save_all(uow_factory, ("users", by_phone), ("users", by_mail), ("users", external))
    with uow_factory() as uow:
        assert uow.users.by_account("13812345678").id == by_phone.id
        assert uow.users.by_account("Li.Si@example.com").id == by_mail.id
        assert uow.users.by_account("li.si@example.com") is None
        assert uow.users.by_account("x@example.com").id == external.id
        assert uow.users.by_account("13800000000") is None
        assert uow.users.count(internal=True) == 2
        assert uow.users.count(internal=False) == 1


def test_contact_list_by_kind(uow_factory: UowFactory) -> None:
    ent, person = samples.contact(ContactKind.ENTERPRISE), samples.contact(ContactKind.PERSONAL)
    _save_all(uow_factory, ("contacts", ent), ("contacts", person))
    with uow_factory() as uow:
        assert _ids(uow.contacts.list(ContactKind.ENTERPRISE)) == [ent.id]
        assert _ids(uow.contacts.list(ContactKind.PERSONAL)) == [person.id]


def test_admin_role_and_seal_type_lookups(uow_factory: UowFactory) -> None:
    admins = [samples.admin("root"), samples.admin("ops")]
    roles = [samples.role("超级管理员"), samples.role("审计员")]
    types = [samples.seal_type("公章"), samples.seal_type("财务专用章")]
    _save_all(
        uow_factory,
        *(("admins", a) for a in admins),
        *(("roles", r) for r in roles),
        *(("seal_types", t) for t in types),
    )
    with uow_factory() as uow:
        assert uow.admins.by_username("ops").id == admins[1].id
        assert uow.admins.by_username("nobody") is None
        assert _ids(uow.admins.list()) == _ids(admins)
        assert uow.roles.by_name("审计员").id == roles[1].id
        assert uow.roles.by_name("审计") is None
        assert _ids(uow.roles.list()) == _ids(roles)
        assert uow.seal_types.by_name("公章").id == types[0].id
        assert _ids(uow.seal_types.list()) == _ids(types)


def test_seals_of_owner(uow_factory: UowFactory) -> None:
    owner = samples.next_id()
    mine, theirs, also_mine = samples.seal(owner), samples.seal(), samples.seal(owner)
    _save_all(uow_factory, *(("seals", s) for s in (mine, theirs, also_mine)))
    with uow_factory() as uow:
        assert _ids(uow.seals.of_owner(owner)) == [mine.id, also_mine.id]


def test_certificate_by_serial_and_search(uow_factory: UowFactory) -> None:
    event = samples.certificate("01", kind=CertificateKind.EVENT, subject_name="CN=张三")
    long_term = samples.certificate("02", subject_name="CN=Acme 100%_Ltd")
    ca = samples.certificate("03", kind=CertificateKind.CA, subject_name="CN=esign Root CA")
    _save_all(uow_factory, *(("certificates", c) for c in (event, long_term, ca)))
    with uow_factory() as uow:
        certs = uow.certificates
        assert certs.by_serial("02").id == long_term.id
        assert certs.by_serial("2") is None
        assert _ids(certs.search()) == [event.id, long_term.id, ca.id]
        assert _ids(certs.search(kind=CertificateKind.EVENT)) == [event.id]
        assert _ids(certs.search(subject_name="张")) == [event.id]
        assert _ids(certs.search(subject_name="100%_")) == [long_term.id]
        assert certs.search(subject_name="100%%") == []
        assert certs.search(subject_name="acme") == []  # case-sensitive, as in the fake
        assert _ids(certs.search(kind=CertificateKind.CA, subject_name="Root")) == [ca.id]


def test_documents_of_contract(uow_factory: UowFactory) -> None:
    contract_id = samples.next_id()
    a, b, loose = samples.document(contract_id), samples.document(contract_id), samples.document(None)
    _save_all(uow_factory, *(("documents", d) for d in (b, loose, a)))
    with uow_factory() as uow:
        assert _ids(uow.documents.of_contract(contract_id)) == sorted([a.id, b.id])


def test_contract_by_biz_id_and_with_status(uow_factory: UowFactory) -> None:
    drafts = [samples.contract(f"BIZ-{n}") for n in range(3)]
    signing = samples.contract("BIZ-S", status=ContractStatus.SIGNING)
    no_biz = samples.contract(None)
    _save_all(uow_factory, *(("contracts", c) for c in (*drafts, signing, no_biz)))
    with uow_factory() as uow:
        assert uow.contracts.by_biz_id("BIZ-S").id == signing.id
        assert uow.contracts.by_biz_id("BIZ-X") is None
        assert _ids(uow.contracts.with_status(ContractStatus.DRAFT)) == _ids([*drafts, no_biz])
        assert _ids(uow.contracts.with_status(ContractStatus.DRAFT, limit=2)) == _ids(drafts[:2])
        assert _ids(uow.contracts.with_status(ContractStatus.SIGNING)) == [signing.id]
        assert uow.contracts.with_status(ContractStatus.COMPLETE) == []
        loaded = uow.contracts.with_status(ContractStatus.SIGNING)[0]
        assert samples.state(loaded) == samples.state(signing)


def test_queries_include_aggregates_added_in_the_same_unit_of_work(uow_factory: UowFactory) -> None:
    stored = samples.contract("BIZ-STORED")
    _save_all(uow_factory, ("contracts", stored))
    staged = samples.contract("BIZ-STAGED")
    with uow_factory() as uow:
        uow.contracts.add(staged)
        assert uow.contracts.by_biz_id("BIZ-STAGED") is staged
        assert _ids(uow.contracts.with_status(ContractStatus.DRAFT)) == sorted([stored.id, staged.id])
        role = samples.role("新角色")
        uow.roles.add(role)
        assert uow.roles.by_name("新角色") is role


def test_an_aggregate_held_by_the_unit_is_judged_by_its_changed_state(uow_factory: UowFactory) -> None:
    platform = samples.platform_org()
    child = samples.organization("子公司", parent_id=platform.id)
    outsider = samples.user("13800000009", None, internal=False)
    _save_all(uow_factory, ("organizations", platform), ("organizations", child), ("users", outsider))
    with uow_factory() as uow:
        uow.organizations.get(child.id).delete()
        assert uow.organizations.children(platform.id) == []
        assert uow.organizations.by_name("子公司") is None
        assert uow.organizations.count(TenantType.INNER_COMPANY) == 0
        uow.users.get(outsider.id).become_internal()
        assert uow.users.count(internal=True) == 1
        assert uow.users.count(internal=False) == 0
