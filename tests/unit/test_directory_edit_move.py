"""Editing members (and their account) and moving org units within an enterprise, on the fakes."""

from __future__ import annotations

import pytest

from esign_core.errors import AlreadyExists, DomainError, InvalidTransition, InvalidValue
from esign_core.services.commands import AddExternalEnterprise, AddInternalEnterprise
from esign_core.services.directory import AddMember, AddPersonalUser, EditMember
from esign_core.services.org_admin import MoveOrganization
from esign_core.services.setup import InitResult
from esign_core.testing import InMemoryUnitOfWork
from esign_core.testing.fakes import TestPlatform

from .conftest import InitCommandFactory


@pytest.fixture
def init(platform: TestPlatform, init_command: InitCommandFactory) -> InitResult:
    return platform.bus.handle(init_command())


def unit(platform: TestPlatform, name: str, parent: int, mobile: str, *, department: bool = True) -> int:
    return platform.bus.handle(AddInternalEnterprise(name=name, parent_id=parent, admin_name="管理员",
                                                     admin_mobile=mobile, department=department))


def test_edit_member_changes_name_number_and_account(platform: TestPlatform, init: InitResult) -> None:
    mid = platform.bus.handle(AddMember(org_id=init.platform_org_id, name="员工", mobile="13600000001"))
    platform.bus.handle(AddPersonalUser(name="别人", mobile="13600000002", email="other@example.com"))
    platform.bus.handle(EditMember(member_id=mid, name="新名字", number="E01", mobile="13600000003",
                                   email="me@example.com"))
    with InMemoryUnitOfWork(platform.uow.db) as uow:
        member = uow.members.get(mid)
        user = uow.users.get(member.user_id)
        assert (member.name, member.number) == ("新名字", "E01")
        assert (str(user.mobile), str(user.email)) == ("13600000003", "me@example.com")
    with pytest.raises(InvalidValue):
        platform.bus.handle(EditMember(member_id=mid, name="新名字", mobile="12345"))
    with pytest.raises(InvalidValue):
        platform.bus.handle(EditMember(member_id=mid, name="新名字", email="not-an-email"))
    with pytest.raises(AlreadyExists):
        platform.bus.handle(EditMember(member_id=mid, name="新名字", mobile="13600000002"))
    with pytest.raises(AlreadyExists):
        platform.bus.handle(EditMember(member_id=mid, name="新名字", email="other@example.com"))
    with pytest.raises(DomainError):
        platform.bus.handle(EditMember(member_id=mid, name="新名字", mobile="", email=""))
    platform.bus.handle(EditMember(member_id=mid, name="只改名"))  # None: the account is unchanged
    with InMemoryUnitOfWork(platform.uow.db) as uow:
        member = uow.members.get(mid)
        assert member.name == "只改名" and str(uow.users.get(member.user_id).mobile) == "13600000003"


def test_move_a_unit_within_its_enterprise(platform: TestPlatform, init: InitResult) -> None:
    root = init.platform_org_id
    sales, north = unit(platform, "销售部", root, "13900000001"), unit(platform, "技术部", root, "13900000002")
    team = unit(platform, "北区组", sales, "13900000003")
    platform.bus.handle(MoveOrganization(org_id=team, parent_id=north))
    with InMemoryUnitOfWork(platform.uow.db) as uow:
        assert uow.organizations.get(team).parent_id == north
        assert [o.id for o in uow.organizations.children(north)] == [team]
    platform.bus.handle(MoveOrganization(org_id=team, parent_id=root))
    with InMemoryUnitOfWork(platform.uow.db) as uow:
        assert uow.organizations.get(team).parent_id == root


def test_move_refuses_cycles_other_enterprises_and_top_level(platform: TestPlatform, init: InitResult) -> None:
    root = init.platform_org_id
    sales = unit(platform, "销售部", root, "13900000001")
    team = unit(platform, "北区组", sales, "13900000002")
    child = unit(platform, "子公司", root, "13900000003", department=False)
    child_dept = unit(platform, "子公司财务部", child, "13900000004")
    external = platform.bus.handle(AddExternalEnterprise(name="外部公司", admin_name="甲", admin_mobile="13900000005"))
    with pytest.raises(InvalidTransition):
        platform.bus.handle(MoveOrganization(org_id=sales, parent_id=team))  # under its own descendant
    with pytest.raises(InvalidTransition):
        platform.bus.handle(MoveOrganization(org_id=sales, parent_id=sales))
    with pytest.raises(DomainError):
        platform.bus.handle(MoveOrganization(org_id=team, parent_id=child_dept))  # into another enterprise
    with pytest.raises(DomainError):
        platform.bus.handle(MoveOrganization(org_id=child_dept, parent_id=sales))  # out of its enterprise
    with pytest.raises(DomainError):
        platform.bus.handle(MoveOrganization(org_id=root, parent_id=sales))  # top level
    with pytest.raises(DomainError):
        platform.bus.handle(MoveOrganization(org_id=external, parent_id=root))
    with pytest.raises(DomainError):
        platform.bus.handle(MoveOrganization(org_id=team, parent_id=external))
    with InMemoryUnitOfWork(platform.uow.db) as uow:
        assert uow.organizations.get(team).parent_id == sales
        assert uow.organizations.get(sales).parent_id == root
