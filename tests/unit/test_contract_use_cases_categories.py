"""Business categories through the bus: creation, the default category, callback addresses,
default seals, and how a contract finds its category."""

from __future__ import annotations

import pytest

from esign_core.errors import AlreadyExists, DomainError, InvalidTransition, InvalidValue, NotFoundError
from esign_core.model.category import BusinessCategory, CategoryState, CategoryType
from esign_core.services.categories import ChangeCategory, CreateCategory
from esign_core.testing.fakes import TestPlatform
from tests.unit.conftest import InitCommandFactory
from tests.unit.contract_world import World, make_world


@pytest.fixture
def world(platform: TestPlatform, init_command: InitCommandFactory) -> World:
    return make_world(platform, init_command)


def _category(world: World, category_id: int) -> BusinessCategory:
    with world.uow() as uow:
        return uow.categories.get(category_id)


def test_the_first_category_of_an_enterprise_becomes_its_default(world: World) -> None:
    url = "https://erp.example.com/esign/callback"
    first = world.handle(CreateCategory(name="采购类", callback_url=url))
    second = world.handle(CreateCategory(name="人事类", type=CategoryType.PHYSICAL))
    one, two = _category(world, first), _category(world, second)
    assert (one.primary, two.primary) == (True, False)
    assert (one.tenant_id, one.callback_url, one.state.api_code) == (world.org_id, url, 0)
    with world.uow() as uow:
        assert [c.id for c in uow.categories.list(world.org_id)] == [first, second]
        assert uow.categories.by_name(world.org_id, "人事类").id == second  # type: ignore[union-attr]


def test_a_category_name_is_unique_within_its_enterprise(world: World) -> None:
    world.handle(CreateCategory(name="采购类"))
    with pytest.raises(AlreadyExists):
        world.handle(CreateCategory(name=" 采购类 "))


@pytest.mark.parametrize("url", ["ftp://example.com/x", "javascript:alert(1)", "not a url", "http://"])
def test_the_callback_address_must_be_http_or_https(world: World, url: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        world.handle(CreateCategory(name="采购类", callback_url=url))
    assert caught.value.field == "callbackUrl"


def test_making_another_category_the_default_unmarks_the_previous_one(world: World) -> None:
    first = world.handle(CreateCategory(name="采购类"))
    second = world.handle(CreateCategory(name="人事类"))
    world.handle(ChangeCategory(category_id=second, primary=True))
    assert (_category(world, first).primary, _category(world, second).primary) == (False, True)
    with world.uow() as uow:
        assert uow.categories.primary(world.org_id).id == second  # type: ignore[union-attr]


def test_the_default_category_cannot_be_disabled_or_deleted(world: World) -> None:
    first = world.handle(CreateCategory(name="采购类"))
    for state in (CategoryState.DISABLED, CategoryState.DELETED):
        with pytest.raises(InvalidTransition):
            world.handle(ChangeCategory(category_id=first, state=state))
    with pytest.raises(DomainError):
        world.handle(ChangeCategory(category_id=first, primary=False))


def test_a_category_is_renamed_given_a_new_address_and_deleted(world: World) -> None:
    world.handle(CreateCategory(name="采购类"))
    other = world.handle(CreateCategory(name="人事类", callback_url="http://oa.local/cb"))
    world.handle(ChangeCategory(category_id=other, name="行政类", callback_url=""))
    changed = _category(world, other)
    assert (changed.name, changed.callback_url) == ("行政类", None)
    world.handle(ChangeCategory(category_id=other, state=CategoryState.DELETED))
    with world.uow() as uow:
        assert uow.categories.by_name(world.org_id, "行政类") is None
    with pytest.raises(NotFoundError):
        world.handle(ChangeCategory(category_id=other, name="再改"))
    world.handle(CreateCategory(name="行政类"))  # the name is free again


def test_the_default_seal_must_be_a_company_seal_of_the_enterprise(world: World) -> None:
    foreign = world.add_seal(owner_id=world.platform.ids.next_id())
    with pytest.raises(NotFoundError):
        world.handle(CreateCategory(name="采购类", seal_id=foreign))
    created = world.handle(CreateCategory(name="采购类", seal_id=world.seal_id))
    assert _category(world, created).seal_id == world.seal_id


# -- how a contract finds its category ------------------------------------------------------------
def test_a_contract_gets_the_default_category_when_it_names_none(world: World) -> None:
    default = world.handle(CreateCategory(name="采购类"))
    named = world.handle(CreateCategory(name="人事类"))
    assert world.contract(world.create()).category_id == default
    assert world.contract(world.create(category_name="人事类")).category_id == named
    assert world.contract(world.create(category_id=named)).category_id == named


def test_a_contract_without_any_category_has_none(world: World) -> None:
    assert world.contract(world.create()).category_id is None


def test_an_unknown_or_disabled_category_is_refused(world: World) -> None:
    world.handle(CreateCategory(name="采购类"))
    disabled = world.handle(CreateCategory(name="人事类"))
    world.handle(ChangeCategory(category_id=disabled, state=CategoryState.DISABLED))
    with pytest.raises(NotFoundError):
        world.create(category_name="不存在")
    with pytest.raises(NotFoundError):
        world.create(category_id=123)
    with pytest.raises(InvalidTransition):
        world.create(category_id=disabled)


def test_signing_uses_the_default_seal_of_the_contract_category(world: World) -> None:
    category_seal = world.add_seal(name="采购专用章")
    world.handle(CreateCategory(name="采购类", seal_id=category_seal))
    contract_id = world.create()
    world.sign_company(contract_id)
    signed = next(r for r in world.evidence(contract_id) if r.action == "contract.signed")
    assert signed.details["seal_id"] == str(category_seal)
    with world.uow() as uow:
        assert (uow.seals.get(category_seal).use_count, uow.seals.get(world.seal_id).use_count) == (1, 0)
