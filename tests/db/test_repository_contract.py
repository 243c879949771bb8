"""The repository and unit-of-work contract, run against every backend: the in-memory fake,
SQLite, PostgreSQL and MariaDB. The query methods are in test_repository_queries.py."""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any

import attrs
import pytest

from esign_core.errors import AlreadyExists, ConcurrencyError, NotFoundError
from esign_core.model.contract import ContractSent, ContractStatus, SignatoryStatus
from esign_core.model.org import OrganizationCreated, OrganizationFrozen
from esign_core.model.policy import DisplaySettings, LoginSettings, PrintMode, PrintSettings, SigningSettings
from esign_core.model.seal import SealStatus, SealType
from tests.db import samples
from tests.db.conftest import UowFactory

REPOSITORIES = [name for name, _ in samples.everything()]


def _save(uow_factory: UowFactory, repo: str, item: Any) -> None:
    with uow_factory() as uow:
        getattr(uow, repo).add(item)
        uow.commit()


def _load(uow_factory: UowFactory, repo: str, id: int) -> Any:
    with uow_factory() as uow:
        return getattr(uow, repo).find() if repo == "installation" else getattr(uow, repo).get(id)


# -- round trips ----------------------------------------------------------------------------------
@pytest.mark.parametrize("repo", REPOSITORIES)
def test_every_field_survives_a_round_trip(uow_factory: UowFactory, repo: str) -> None:
    item = dict(samples.everything())[repo]
    expected = samples.state(item)
    _save(uow_factory, repo, item)
    loaded = _load(uow_factory, repo, item.id)
    assert loaded is not item
    assert type(loaded) is type(item)
    assert samples.state(loaded) == expected
    assert loaded.version == 1


@pytest.mark.parametrize("repo", REPOSITORIES)
def test_datetimes_come_back_aware_with_microseconds(uow_factory: UowFactory, repo: str, backend: str) -> None:
    item = dict(samples.everything())[repo]
    before = samples.datetimes(item)
    _save(uow_factory, repo, item)
    after = samples.datetimes(_load(uow_factory, repo, item.id))
    assert after == before  # the same instants, microseconds included
    assert [d.microsecond for d in after] == [d.microsecond for d in before]
    assert all(d.utcoffset() is not None for d in after)
    if backend != "memory":  # the fake keeps the offset it was given; databases answer in UTC
        assert all(d.tzinfo is UTC for d in after)


@pytest.mark.usefixtures("only_sql")
def test_a_beijing_time_comes_back_as_the_same_instant_in_utc(uow_factory: UowFactory) -> None:
    org = samples.organization(created_at=samples.T_BEIJING)
    _save(uow_factory, "organizations", org)
    loaded = _load(uow_factory, "organizations", org.id)
    assert loaded.created_at == samples.T_BEIJING
    assert loaded.created_at.tzinfo is UTC
    assert (loaded.created_at.hour, loaded.created_at.microsecond) == (5, 654321)


def test_changes_to_a_contract_and_its_children_are_saved(uow_factory: UowFactory) -> None:
    contract = samples.draft_contract(biz_id="BIZ-SEND")
    _save(uow_factory, "contracts", contract)
    with uow_factory() as uow:
        loaded = uow.contracts.get(contract.id)
        loaded.send(at=samples.T0, expire_at=samples.T0 + timedelta(days=7))
        action = loaded.signatories[0].actions[0]
        loaded.sign(action_id=action.id, by=42, at=samples.T0 + timedelta(hours=1))
        expected = samples.state(loaded)
        uow.commit()
    again = _load(uow_factory, "contracts", contract.id)
    assert samples.state(again) == expected
    assert again.status is ContractStatus.COMPLETE
    assert again.signatories[0].status is SignatoryStatus.COMPLETE
    assert again.version == 2


def test_every_commit_bumps_the_version_of_what_was_saved(uow_factory: UowFactory) -> None:
    item = samples.role()
    _save(uow_factory, "roles", item)
    assert item.version == 1
    for expected in (2, 3):
        with uow_factory() as uow:
            loaded = uow.roles.get(item.id)
            loaded.description = f"v{expected}"
            uow.commit()
        assert loaded.version == expected
    assert _load(uow_factory, "roles", item.id).version == 3


# -- get / find / identity ------------------------------------------------------------------------
@pytest.mark.parametrize("repo", [r for r in REPOSITORIES if r != "installation"])
def test_get_of_an_unknown_id_raises_not_found(uow_factory: UowFactory, repo: str) -> None:
    with uow_factory() as uow, pytest.raises(NotFoundError):
        getattr(uow, repo).get(123456789)


@pytest.mark.parametrize("repo", [r for r in REPOSITORIES if r != "installation"])
def test_find_of_an_unknown_id_returns_none(uow_factory: UowFactory, repo: str) -> None:
    with uow_factory() as uow:
        assert getattr(uow, repo).find(123456789) is None


def test_installation_is_none_before_initialisation(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        assert uow.installation.find() is None


def test_loading_the_same_id_twice_returns_the_same_object(uow_factory: UowFactory) -> None:
    contract = samples.contract()
    _save(uow_factory, "contracts", contract)
    with uow_factory() as uow:
        first = uow.contracts.get(contract.id)
        assert uow.contracts.find(contract.id) is first
        assert uow.contracts.by_biz_id("BIZ-0001") is first
        assert uow.contracts.with_status(ContractStatus.DRAFT)[0] is first


def test_an_added_aggregate_is_found_in_its_unit_of_work_but_nowhere_else_until_commit(uow_factory: UowFactory) -> None:
    role = samples.role()
    with uow_factory() as uow:
        uow.roles.add(role)
        assert uow.roles.get(role.id) is role
        with uow_factory() as other:
            assert other.roles.find(role.id) is None
        uow.commit()
    with uow_factory() as other:
        assert other.roles.find(role.id) is not None


# -- uniqueness -------------------------------------------------------------------------------------
def test_adding_an_existing_id_raises_already_exists(uow_factory: UowFactory) -> None:
    role = samples.role()
    _save(uow_factory, "roles", role)
    with uow_factory() as uow, pytest.raises(AlreadyExists):
        uow.roles.add(attrs.evolve(samples.role("另一个角色"), id=role.id))
        uow.commit()


def test_adding_the_same_id_twice_in_one_unit_raises_already_exists(uow_factory: UowFactory) -> None:
    role = samples.role()
    with uow_factory() as uow:
        uow.roles.add(role)
        with pytest.raises(AlreadyExists):
            uow.roles.add(role)


UNIQUE_KEYS = [
    ("admins", lambda: samples.admin("alice"), "username"),
    ("roles", lambda: samples.role("审计员"), "name"),
    ("seal_types", lambda: samples.seal_type("公章"), "name"),
    ("users", lambda: samples.user("13800000001", None), "mobile"),
    ("users", lambda: samples.user(None, "same@example.com"), "email"),
    ("contracts", lambda: samples.contract("BIZ-DUP"), "biz_id"),
    ("certificates", lambda: samples.certificate("00ff"), "serial"),
]


@pytest.mark.usefixtures("only_sql")
@pytest.mark.parametrize(("repo", "make", "field"), UNIQUE_KEYS, ids=[f"{r}.{f}" for r, _, f in UNIQUE_KEYS])
def test_a_duplicate_unique_key_raises_already_exists_naming_the_field(
    uow_factory: UowFactory, repo: str, make: Any, field: str
) -> None:
    _save(uow_factory, repo, make())
    with uow_factory() as uow, pytest.raises(AlreadyExists) as caught:
        getattr(uow, repo).add(make())
        uow.commit()
    assert caught.value.fields["field"] == field
    assert "13800000001" not in str(caught.value)


@pytest.mark.usefixtures("only_sql")
def test_renaming_onto_an_existing_unique_key_raises_already_exists(uow_factory: UowFactory) -> None:
    first, second = samples.seal_type("公章"), samples.seal_type("财务专用章")
    _save(uow_factory, "seal_types", first)
    _save(uow_factory, "seal_types", second)
    with uow_factory() as uow, pytest.raises(AlreadyExists) as caught:
        uow.seal_types.get(second.id).rename("公章")
        uow.commit()
    assert caught.value.fields == {"table": "seal_types", "field": "name"}


@pytest.mark.usefixtures("only_sql")
def test_unique_keys_are_case_sensitive(uow_factory: UowFactory) -> None:
    _save(uow_factory, "admins", samples.admin("Alice"))
    _save(uow_factory, "admins", samples.admin("alice"))
    with uow_factory() as uow:
        assert uow.admins.by_username("ALICE") is None
        assert [a.username for a in uow.admins.list()] == ["Alice", "alice"]


def test_a_failed_commit_writes_nothing_of_its_unit(uow_factory: UowFactory) -> None:
    existing = samples.role()
    _save(uow_factory, "roles", existing)
    fresh = samples.seal_type("新章")
    with uow_factory() as uow, pytest.raises(AlreadyExists):
        uow.seal_types.add(fresh)
        uow.roles.add(attrs.evolve(samples.role("别名"), id=existing.id))
        uow.commit()
    with uow_factory() as uow:
        assert uow.seal_types.find(fresh.id) is None
        assert uow.roles.get(existing.id).name == existing.name


# -- optimistic locking -----------------------------------------------------------------------------
def test_second_commit_of_stale_aggregate_raises_concurrency_error(uow_factory: UowFactory) -> None:
    role = samples.role()
    _save(uow_factory, "roles", role)
    bystander = samples.seal_type("旁观者")
    first, second = uow_factory(), uow_factory()
    with first, second:
        mine = first.roles.get(role.id)
        theirs = second.roles.get(role.id)
        mine.description = "first"
        theirs.description = "second"
        second.seal_types.add(bystander)
        first.commit()
        with pytest.raises(ConcurrencyError):
            second.commit()
    with uow_factory() as uow:
        assert uow.roles.get(role.id).description == "first"
        assert uow.roles.get(role.id).version == 2
        assert uow.seal_types.find(bystander.id) is None


def test_a_stale_contract_leaves_the_stored_children_untouched(uow_factory: UowFactory) -> None:
    contract = samples.draft_contract()
    _save(uow_factory, "contracts", contract)
    first, second = uow_factory(), uow_factory()
    with first, second:
        winner = first.contracts.get(contract.id)
        loser = second.contracts.get(contract.id)
        winner.send(at=samples.T0, expire_at=samples.T0 + timedelta(days=1))
        loser.send(at=samples.T0 + timedelta(hours=5), expire_at=samples.T0 + timedelta(days=2))
        expected = samples.state(winner)
        first.commit()
        with pytest.raises(ConcurrencyError):
            second.commit()
    assert samples.state(_load(uow_factory, "contracts", contract.id)) == expected


def test_an_aggregate_only_read_is_neither_written_nor_checked(uow_factory: UowFactory) -> None:
    """Two commands that only read the same aggregate (an enterprise, a seal) do not conflict."""
    role = samples.role()
    _save(uow_factory, "roles", role)
    reader, writer = uow_factory(), uow_factory()
    with reader, writer:
        assert reader.roles.get(role.id).version == 1
        writer.roles.get(role.id).description = "changed"
        writer.commit()
        added = samples.seal_type("只读取")
        reader.seal_types.add(added)
        reader.commit()
    with uow_factory() as uow:
        assert uow.roles.get(role.id).description == "changed"
        assert uow.roles.get(role.id).version == 2
        assert uow.seal_types.find(added.id) is not None


def test_a_locked_aggregate_that_changed_since_it_was_read_is_refused(uow_factory: UowFactory) -> None:
    """A decision taken on an aggregate (a quota read against the installation) must not rest on
    a stale copy: lock() refuses one that changed since it was loaded."""
    role = samples.role()
    _save(uow_factory, "roles", role)
    reader, writer = uow_factory(), uow_factory()
    with reader, writer:
        stale = reader.roles.get(role.id)
        writer.roles.get(role.id).description = "changed"
        writer.commit()
        with pytest.raises(ConcurrencyError):
            reader.lock(stale)
    with uow_factory() as uow:
        current = uow.roles.get(role.id)
        uow.lock(current)
        uow.commit()
    assert current.version == 2  # locking does not write


def test_a_second_lock_waits_for_the_first_unit_of_work(uow_factory: UowFactory, only_sql: None) -> None:
    import threading

    role = samples.role()
    _save(uow_factory, "roles", role)
    order: list[str] = []
    first = uow_factory()
    with first:
        first.lock(first.roles.get(role.id))

        def second() -> None:
            with uow_factory() as uow:
                uow.lock(uow.roles.get(role.id))
                order.append("second locked")
                uow.commit()

        thread = threading.Thread(target=second)
        thread.start()
        thread.join(timeout=1.0)
        order.append("first commits")
        first.commit()
    thread.join(timeout=30)
    assert order == ["first commits", "second locked"]


def test_concurrent_uses_of_one_seal_all_count(uow_factory: UowFactory) -> None:
    """Seal.use_count is added to atomically: concurrent signings with one seal do not conflict,
    and a rename that raced with them keeps their uses."""
    seal = attrs.evolve(samples.seal(), status=SealStatus.NORMAL)
    seal.authorize(7)
    _save(uow_factory, "seals", seal)
    first, second, renamer = uow_factory(), uow_factory(), uow_factory()
    with first, second, renamer:
        renamed = renamer.seals.get(seal.id)
        first.seals.get(seal.id).use(by_member_id=7, contract_id=None)
        second.seals.get(seal.id).use(by_member_id=7, contract_id=None)
        first.commit()
        second.commit()
        renamed.name = "新合同章"
        renamed.use(by_member_id=7, contract_id=None)
        renamer.commit()
    with uow_factory() as uow:
        stored = uow.seals.get(seal.id)
        assert (stored.use_count, stored.name) == (seal.use_count + 3, "新合同章")
        assert stored.version == 2  # only the rename was version-checked


# -- rollback and reuse ------------------------------------------------------------------------------
def test_leaving_the_block_without_commit_writes_nothing(uow_factory: UowFactory) -> None:
    role = samples.role()
    _save(uow_factory, "roles", role)
    added = samples.seal_type("未提交")
    with uow_factory() as uow:
        uow.roles.get(role.id).description = "uncommitted"
        uow.seal_types.add(added)
    with uow_factory() as uow:
        assert uow.roles.get(role.id).description == role.description
        assert uow.seal_types.find(added.id) is None


def test_an_exception_in_the_block_rolls_everything_back(uow_factory: UowFactory) -> None:
    added = samples.contract("BIZ-ROLLBACK")
    with pytest.raises(RuntimeError), uow_factory() as uow:
        uow.contracts.add(added)
        raise RuntimeError("boom")
    with uow_factory() as uow:
        assert uow.contracts.find(added.id) is None


def test_rollback_discards_what_was_staged(uow_factory: UowFactory) -> None:
    added = samples.role()
    with uow_factory() as uow:
        uow.roles.add(added)
        uow.rollback()
        uow.commit()
    with uow_factory() as uow:
        assert uow.roles.find(added.id) is None


def test_the_same_unit_of_work_can_be_entered_again_after_commit(uow_factory: UowFactory) -> None:
    uow = uow_factory()
    seal_type = samples.seal_type()
    with uow:
        uow.seal_types.add(seal_type)
        uow.commit()
    with uow:
        uow.seal_types.get(seal_type.id).enable()
        uow.commit()
    with uow:
        loaded = uow.seal_types.get(seal_type.id)
    assert (loaded.enabled, loaded.version) == (True, 2)


def test_work_after_a_commit_in_the_same_block_is_committed_separately(uow_factory: UowFactory) -> None:
    one, two = samples.seal_type("一"), samples.seal_type("二")
    with uow_factory() as uow:
        uow.seal_types.add(one)
        uow.commit()
        uow.seal_types.add(two)
    with uow_factory() as uow:
        assert [t.id for t in uow.seal_types.list()] == [one.id]


# -- settings ----------------------------------------------------------------------------------------
def test_settings_never_saved_are_the_defaults(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        assert uow.settings.get(SigningSettings) == SigningSettings()


def test_settings_put_are_read_back_in_the_same_unit_and_after_commit(uow_factory: UowFactory) -> None:
    changed = DisplaySettings().evolve(platform_name="测试平台", screenshot_watermark=False)
    with uow_factory() as uow:
        uow.settings.put(changed)
        uow.settings.put(PrintSettings(mode=PrintMode.REMOTE))
        assert uow.settings.get(DisplaySettings) == changed
        uow.commit()
    with uow_factory() as uow:
        assert uow.settings.get(DisplaySettings) == changed
        assert uow.settings.get(PrintSettings).mode is PrintMode.REMOTE
        assert uow.settings.get(LoginSettings) == LoginSettings()
    with uow_factory() as uow:
        uow.settings.put(changed.evolve(platform_name="第二版"))
        uow.commit()
    with uow_factory() as uow:
        assert uow.settings.get(DisplaySettings).platform_name == "第二版"


@pytest.mark.usefixtures("only_sql")
def test_settings_changed_concurrently_raise_concurrency_error(uow_factory: UowFactory) -> None:
    first, second = uow_factory(), uow_factory()
    with first, second:
        for uow in (first, second):
            uow.settings.get(SigningSettings)
        first.settings.put(SigningSettings(validity_days=10))
        second.settings.put(SigningSettings(validity_days=20))
        first.commit()
        with pytest.raises(ConcurrencyError):
            second.commit()
    with uow_factory() as uow:
        assert uow.settings.get(SigningSettings).validity_days == 10


# -- events ------------------------------------------------------------------------------------------
def test_events_are_collected_after_commit_in_order(uow_factory: UowFactory) -> None:
    org = samples.platform_org()
    contract = samples.draft_contract()
    uow = uow_factory()
    with uow:
        uow.organizations.add(org)
        uow.contracts.add(contract)
        contract.send(at=samples.T0, expire_at=samples.T0 + timedelta(days=3))
        assert uow.collect_new_events() == []
        uow.commit()
    with uow:  # events wait to be collected, even when the unit is entered again
        pass
    events = uow.collect_new_events()
    assert [type(e) for e in events][:2] == [OrganizationCreated, ContractSent]
    assert uow.collect_new_events() == []


def test_events_of_rolled_back_work_are_dropped(uow_factory: UowFactory) -> None:
    org = samples.organization()
    _save(uow_factory, "organizations", org)
    uow = uow_factory()
    with uow:
        uow.organizations.get(org.id).unfreeze()
        uow.organizations.get(org.id).freeze()
    assert uow.collect_new_events() == []
    with uow:
        uow.organizations.get(org.id).freeze()  # already frozen in storage: no event
        uow.commit()
    assert not [e for e in uow.collect_new_events() if isinstance(e, OrganizationFrozen)]


def test_seal_types_added_in_bulk_are_all_saved(uow_factory: UowFactory) -> None:
    names = ("公章", "合同专用章", "财务专用章", "人事专用章", "法定代表人章")
    with uow_factory() as uow:
        for name in names:
            uow.seal_types.add(SealType(id=samples.next_id(), name=name, builtin=True))
        uow.commit()
    with uow_factory() as uow:
        assert sorted(t.name for t in uow.seal_types.list()) == sorted(names)
