"""Moving org units and editing members (with their account) through the use cases on every
backend (memory, SQLite, PostgreSQL, MariaDB); the bulk sink's writes (COPY on PostgreSQL) roll
back whole when the database refuses a row."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine

from esign_adapters.db.directory_sink import SqlDirectorySink
from esign_adapters.db.uow import SqlUnitOfWork
from esign_core.errors import AlreadyExists, DomainError, EsignError, InvalidTransition
from esign_core.model.org import OrgUnitKind, TenantType
from esign_core.services.directory import EditMember, edit_member
from esign_core.services.org_admin import MoveOrganization, move_organization
from tests.db import samples
from tests.db.conftest import UowFactory


def _unit(name: str, parent_id: int, kind: OrgUnitKind = OrgUnitKind.SECTION):  # type: ignore[no-untyped-def]
    return samples.organization(name, parent_id=parent_id, unit_kind=kind, uscc=None, frozen=False)


def test_move_within_an_enterprise_and_refusals(uow_factory: UowFactory) -> None:
    root = samples.platform_org()
    sales, tech = _unit("销售部", root.id), _unit("技术部", root.id)
    team = _unit("北区组", sales.id)
    child = _unit("子公司", root.id, OrgUnitKind.CHILD)
    child_dept = _unit("子公司财务部", child.id)
    outside = samples.organization("外部", tenant_type=TenantType.COMPANY, unit_kind=OrgUnitKind.COMPANY,
                                   parent_id=None)
    with uow_factory() as uow:
        for org in (root, sales, tech, team, child, child_dept, outside):
            uow.organizations.add(org)
        uow.commit()
    move_organization(MoveOrganization(org_id=team.id, parent_id=tech.id), uow=uow_factory())
    refusals = [((sales.id, sales.id), InvalidTransition), ((team.id, child_dept.id), DomainError),
                ((root.id, tech.id), DomainError), ((outside.id, root.id), DomainError),
                ((team.id, outside.id), DomainError)]
    for (org_id, parent_id), error in refusals:
        with pytest.raises(error):
            move_organization(MoveOrganization(org_id=org_id, parent_id=parent_id), uow=uow_factory())
    with pytest.raises(InvalidTransition):  # tech is now team's parent: under its own descendant
        move_organization(MoveOrganization(org_id=tech.id, parent_id=team.id), uow=uow_factory())
    with uow_factory() as uow:
        assert uow.organizations.get(team.id).parent_id == tech.id
        assert [o.id for o in uow.organizations.children(tech.id)] == [team.id]
        assert uow.organizations.children(sales.id) == []
        assert uow.organizations.get(tech.id).parent_id == root.id


def test_edit_member_changes_the_account_and_refuses_a_taken_one(uow_factory: UowFactory) -> None:
    mine, other = samples.user("13800000001", None), samples.user("13900000002", "other@example.com")
    member = samples.member(user_id=mine.id)
    with uow_factory() as uow:
        uow.users.add(mine)
        uow.users.add(other)
        uow.members.add(member)
        uow.commit()
    edit_member(EditMember(member_id=member.id, name="新名字", number="E1", email="me@example.com"),
                uow=uow_factory())
    with pytest.raises(AlreadyExists):
        edit_member(EditMember(member_id=member.id, name="新名字", mobile="13900000002"), uow=uow_factory())
    with uow_factory() as uow:
        assert (uow.members.get(member.id).name, uow.members.get(member.id).number) == ("新名字", "E1")
        user = uow.users.get(mine.id)
        assert (str(user.mobile), str(user.email)) == ("13800000001", "me@example.com")


def test_bulk_sink_writes_roll_back_whole_when_the_database_refuses_a_row(sql_engine: Engine) -> None:
    first, clash = samples.user("13700000001", None), samples.user("13700000001", None)
    with SqlDirectorySink(sql_engine) as sink:
        sink.add([first, samples.user("13700000002", None)])
        with pytest.raises(EsignError):
            sink.add([clash])  # unique mobile: refused by the database, not by validation
    with SqlUnitOfWork(sql_engine) as uow:
        assert uow.users.count(internal=True) == 0
    with SqlDirectorySink(sql_engine) as sink:  # the pooled connection is usable again
        sink.add([samples.user("13700000003", None)])
        sink.commit()
    with SqlUnitOfWork(sql_engine) as uow:
        assert uow.users.count(internal=True) == 1
