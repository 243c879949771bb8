"""The in-memory fakes behave like the real adapters: transactions, optimistic locking, events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from esign_core.errors import AlreadyExists, ConcurrencyError, ConfigurationError, LicenceError, NotFoundError
from esign_core.model.org import Organization, OrganizationCreated, OrganizationFrozen, OrgUnitKind, TenantType
from esign_core.model.policy import SigningSettings
from esign_core.testing import (
    FakeLicenceVerifier,
    FixedClock,
    InMemoryDatabase,
    InMemoryUnitOfWork,
    PlainPasswordHasher,
    SequentialIds,
    XorSecretBox,
)

T0 = datetime(2026, 1, 1, 8, 0, tzinfo=UTC)


def company(id: int = 1, name: str = "外部公司") -> Organization:
    return Organization.create(id=id, name=name, tenant_type=TenantType.COMPANY, unit_kind=OrgUnitKind.COMPANY, at=T0)


@pytest.fixture
def db() -> InMemoryDatabase:
    return InMemoryDatabase()


def committed(db: InMemoryDatabase, id: int = 1) -> Organization:
    """Add and commit one organization; return it as stored."""
    with InMemoryUnitOfWork(db) as uow:
        uow.organizations.add(company(id))
        uow.commit()
    with InMemoryUnitOfWork(db) as uow:
        return uow.organizations.get(id)


# -- visibility and rollback -------------------------------------------------------------------


def test_uncommitted_addition_is_invisible_to_another_unit_of_work(db: InMemoryDatabase) -> None:
    writer, reader = InMemoryUnitOfWork(db), InMemoryUnitOfWork(db)
    with writer:
        writer.organizations.add(company())
        assert writer.organizations.find(1) is not None
        with reader:
            assert reader.organizations.find(1) is None
            assert reader.organizations.count(TenantType.COMPANY) == 0


def test_uncommitted_addition_is_discarded_on_exit(db: InMemoryDatabase) -> None:
    uow = InMemoryUnitOfWork(db)
    with uow:
        uow.organizations.add(company())
    with uow:
        assert uow.organizations.find(1) is None
    assert not uow.committed


def test_uncommitted_change_to_a_loaded_aggregate_is_discarded(db: InMemoryDatabase) -> None:
    committed(db)
    uow = InMemoryUnitOfWork(db)
    with uow:
        uow.organizations.get(1).rename("改过的名字")
    with uow:
        assert uow.organizations.get(1).name == "外部公司"


def test_error_inside_the_block_rolls_back(db: InMemoryDatabase) -> None:
    uow = InMemoryUnitOfWork(db)
    with pytest.raises(RuntimeError), uow:
        uow.organizations.add(company())
        raise RuntimeError("boom")
    with uow:
        assert uow.organizations.find(1) is None


def test_committed_addition_is_visible_to_another_unit_of_work(db: InMemoryDatabase) -> None:
    stored = committed(db)
    assert stored.name == "外部公司"
    assert stored.version == 1


def test_reads_are_copies_of_the_stored_row(db: InMemoryDatabase) -> None:
    committed(db)
    with InMemoryUnitOfWork(db) as uow:
        org = uow.organizations.get(1)
        org.rename("直接改")
        assert db.tables["organizations"][1].name == "外部公司"  # type: ignore[attr-defined]


def test_a_unit_of_work_returns_the_same_object_for_the_same_id(db: InMemoryDatabase) -> None:
    committed(db)
    with InMemoryUnitOfWork(db) as uow:
        assert uow.organizations.get(1) is uow.organizations.get(1)


def test_get_of_a_missing_id_raises_and_find_returns_none(db: InMemoryDatabase) -> None:
    with InMemoryUnitOfWork(db) as uow:
        assert uow.organizations.find(99) is None
        with pytest.raises(NotFoundError):
            uow.organizations.get(99)


def test_queries_see_additions_staged_in_the_same_unit_of_work(db: InMemoryDatabase) -> None:
    committed(db)
    with InMemoryUnitOfWork(db) as uow:
        uow.organizations.add(company(2, "第二家"))
        assert uow.organizations.count(TenantType.COMPANY) == 2
        assert uow.organizations.by_name("第二家") is not None


def test_queries_see_changes_staged_in_the_same_unit_of_work(db: InMemoryDatabase) -> None:
    committed(db)
    with InMemoryUnitOfWork(db) as uow:
        org = uow.organizations.get(1)
        org.rename("新名字")
        assert uow.organizations.by_name("外部公司") is None
        org.delete()
        assert uow.organizations.count(TenantType.COMPANY) == 0


# -- identity and optimistic locking -----------------------------------------------------------


def test_adding_a_duplicate_id_in_one_unit_of_work_is_refused(db: InMemoryDatabase) -> None:
    with InMemoryUnitOfWork(db) as uow:
        uow.organizations.add(company())
        with pytest.raises(AlreadyExists):
            uow.organizations.add(company())


def test_adding_an_id_that_is_already_stored_is_refused(db: InMemoryDatabase) -> None:
    committed(db)
    with InMemoryUnitOfWork(db) as uow, pytest.raises(AlreadyExists):
        uow.organizations.add(company())


def test_two_units_of_work_adding_the_same_id_the_second_commit_fails(db: InMemoryDatabase) -> None:
    first, second = InMemoryUnitOfWork(db), InMemoryUnitOfWork(db)
    with first, second:
        first.organizations.add(company(1, "第一"))
        second.organizations.add(company(1, "第二"))
        first.commit()
        with pytest.raises(AlreadyExists):
            second.commit()
    assert db.tables["organizations"][1].name == "第一"  # type: ignore[attr-defined]


def test_each_commit_bumps_the_version(db: InMemoryDatabase) -> None:
    committed(db)
    for expected in (2, 3):
        with InMemoryUnitOfWork(db) as uow:
            uow.organizations.get(1).rename(f"v{expected}")
            uow.commit()
        assert db.tables["organizations"][1].version == expected


def test_concurrent_change_of_the_same_aggregate_fails_the_second_commit(db: InMemoryDatabase) -> None:
    committed(db)
    first, second = InMemoryUnitOfWork(db), InMemoryUnitOfWork(db)
    with first, second:
        first.organizations.get(1).rename("第一个改的")
        second.organizations.get(1).rename("第二个改的")
        first.commit()
        with pytest.raises(ConcurrencyError):
            second.commit()
    with InMemoryUnitOfWork(db) as uow:
        assert uow.organizations.get(1).name == "第一个改的"


def test_failed_commit_writes_nothing_at_all(db: InMemoryDatabase) -> None:
    committed(db)
    first, second = InMemoryUnitOfWork(db), InMemoryUnitOfWork(db)
    with first, second:
        second.organizations.add(company(2, "新公司"))
        second.organizations.get(1).rename("过期的修改")
        first.organizations.get(1).rename("先提交")
        first.commit()
        with pytest.raises(ConcurrencyError):
            second.commit()
    assert 2 not in db.tables["organizations"]


# -- events ------------------------------------------------------------------------------------


def test_events_are_collected_only_after_commit(db: InMemoryDatabase) -> None:
    uow = InMemoryUnitOfWork(db)
    with uow:
        uow.organizations.add(company())
        assert uow.collect_new_events() == []
        uow.commit()
    assert uow.collect_new_events() == [OrganizationCreated(1, "外部公司", TenantType.COMPANY)]
    assert uow.collect_new_events() == []


def test_events_of_a_rolled_back_unit_of_work_are_dropped(db: InMemoryDatabase) -> None:
    committed(db)
    uow = InMemoryUnitOfWork(db)
    with uow:
        uow.organizations.get(1).freeze()
    assert uow.collect_new_events() == []


def test_events_of_several_commits_accumulate_in_order(db: InMemoryDatabase) -> None:
    uow = InMemoryUnitOfWork(db)
    with uow:
        uow.organizations.add(company())
        uow.commit()
    with uow:
        uow.organizations.get(1).freeze()
        uow.commit()
    assert uow.collect_new_events() == [OrganizationCreated(1, "外部公司", TenantType.COMPANY), OrganizationFrozen(1)]


# -- settings ----------------------------------------------------------------------------------


def test_settings_default_until_stored_and_are_visible_only_after_commit(db: InMemoryDatabase) -> None:
    writer, reader = InMemoryUnitOfWork(db), InMemoryUnitOfWork(db)
    with writer:
        assert writer.settings.get(SigningSettings) == SigningSettings()
        writer.settings.put(SigningSettings(validity_days=7))
        assert writer.settings.get(SigningSettings).validity_days == 7
        with reader:
            assert reader.settings.get(SigningSettings).validity_days == 30
        writer.commit()
    with reader:
        assert reader.settings.get(SigningSettings).validity_days == 7


def test_uncommitted_settings_are_discarded(db: InMemoryDatabase) -> None:
    uow = InMemoryUnitOfWork(db)
    with uow:
        uow.settings.put(SigningSettings(validity_days=7))
    with uow:
        assert uow.settings.get(SigningSettings).validity_days == 30


# -- small fakes -------------------------------------------------------------------------------


def test_fixed_clock_moves_only_when_told() -> None:
    clock = FixedClock()
    start = clock.now()
    assert start.tzinfo is not None
    assert clock.now() == start
    clock.advance(hours=1, minutes=30)
    assert clock.now() - start == timedelta(hours=1, minutes=30)


def test_sequential_ids_count_up() -> None:
    ids = SequentialIds(start=5)
    assert [ids.next_id() for _ in range(3)] == [5, 6, 7]
    assert SequentialIds().next_id() == 1_000_001


def test_plain_password_hasher_verifies_only_the_same_password() -> None:
    hasher = PlainPasswordHasher()
    hashed = hasher.hash("Secret123")
    assert hasher.verify(hashed, "Secret123")
    assert not hasher.verify(hashed, "secret123")


def test_secret_box_opens_only_for_the_same_purpose() -> None:
    box = XorSecretBox()
    token = box.seal(b"smtp-password", purpose="mail")
    assert box.open(token, purpose="mail") == b"smtp-password"
    with pytest.raises(ConfigurationError):
        box.open(token, purpose="sms")


def test_fake_licence_verifier_knows_only_the_codes_it_issued() -> None:
    licences = FakeLicenceVerifier()
    code = licences.issue(product_code="P", expires_at=T0)
    assert licences.verify(code).product_code == "P"
    assert licences.verify(code).issued_at == T0 - timedelta(days=365)
    with pytest.raises(LicenceError):
        licences.verify("FAKE-0000")
