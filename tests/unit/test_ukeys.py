"""UKey registry (manual 四.3.4): the aggregate's life and its use cases through the bus."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from esign_core.errors import AlreadyExists, InvalidTransition, InvalidValue, NotFoundError
from esign_core.model.certificate import (
    UKey,
    UKeyQuery,
    UKeyReactivated,
    UKeyRegistered,
    UKeyReportedLost,
    UKeyRevoked,
    UKeyStatus,
    device_number,
    normalize_serial,
)
from esign_core.services.commands import AddExternalEnterprise, AddInternalEnterprise
from esign_core.services.setup import InitResult
from esign_core.services.ukeys import ChangeUKeyStatus, RegisterUKey
from esign_core.testing import InMemoryUnitOfWork
from esign_core.testing.fakes import TestPlatform

USCC = "91350100M000100Y43"
ID_NUMBER = "11010519491231002X"
T0 = datetime(2026, 1, 1, 8, 0, tzinfo=UTC)


def ukey(**overrides: object) -> UKey:
    fields: dict[str, object] = {
        "id": 1,
        "certificate_serial": "0a1b2c",
        "holder": "张三",
        "subject_code": USCC,
        "device_no": "FT-0001",
        "at": T0,
    }
    fields.update(overrides)
    return UKey.register(**fields)  # type: ignore[arg-type]


def _stored(platform: TestPlatform, device_no: str) -> UKey:
    with InMemoryUnitOfWork(platform.uow.db) as uow:
        found = uow.ukeys.by_device_no(device_no)
        assert found is not None
        return found


def _register(platform: TestPlatform, device_no: str = "FT-0001", serial: str = "0a1b2c", **kw: object) -> int:
    fields: dict[str, object] = {"holder": "张三", "subject_code": USCC, **kw}
    return platform.bus.handle(RegisterUKey(serial, device_no=device_no, **fields))  # type: ignore[arg-type]


# -- the aggregate ------------------------------------------------------------------------------


def test_a_registered_ukey_is_active_with_normalised_serial_code_and_device_number() -> None:
    key = ukey(certificate_serial=" 00:0A:1B:2C ", subject_code="91350100m000100y43", device_no=" ft-0001 ")
    assert (key.certificate_serial, key.subject_code, key.device_no) == ("a1b2c", USCC, "FT-0001")
    assert key.status is UKeyStatus.ACTIVE and key.in_use
    assert key.collect_events() == [UKeyRegistered(1, "FT-0001", "a1b2c", T0)]


@pytest.mark.parametrize(
    "field, value",
    [
        ("certificate_serial", "not-hex"),
        ("certificate_serial", "a" * 129),
        ("holder", "  "),
        ("holder", "张" * 101),
        ("subject_code", "91350100M000100Y44"),
        ("subject_code", "110105194912310021"),
        ("device_no", "FT 0001"),
        ("device_no", ""),
        ("device_no", "F" * 65),
    ],
)
def test_a_malformed_field_is_refused(field: str, value: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        ukey(**{field: value})
    assert caught.value.field == field


def test_a_bad_code_is_never_echoed_and_the_code_is_hidden_from_repr() -> None:
    with pytest.raises(InvalidValue) as caught:
        ukey(subject_code="110105194912310021")
    assert "110105194912310021" not in str(caught.value)
    key = ukey(subject_code=ID_NUMBER)
    assert ID_NUMBER not in repr(key)
    assert key.masked_code != ID_NUMBER and key.masked_code.startswith("110")
    assert ukey().masked_code == USCC


def test_a_naive_registration_time_is_refused() -> None:
    with pytest.raises(InvalidValue):
        ukey(at=datetime(2026, 1, 1))


def test_lost_then_found_then_revoked() -> None:
    key = ukey()
    key.collect_events()
    key.report_lost(at=T0 + timedelta(days=1))
    assert (key.status, key.status_changed_at, key.in_use) == (UKeyStatus.LOST, T0 + timedelta(days=1), True)
    key.reactivate(at=T0 + timedelta(days=2))
    assert key.status is UKeyStatus.ACTIVE
    key.revoke(reason=" 离职 ", at=T0 + timedelta(days=3))
    assert (key.status, key.status_reason, key.in_use) == (UKeyStatus.REVOKED, "离职", False)
    assert key.collect_events() == [
        UKeyReportedLost(1, "FT-0001", "a1b2c", T0 + timedelta(days=1)),
        UKeyReactivated(1, "FT-0001", T0 + timedelta(days=2)),
        UKeyRevoked(1, "FT-0001", "a1b2c", "离职", T0 + timedelta(days=3)),
    ]


def test_a_lost_ukey_can_be_revoked_without_a_reason() -> None:
    key = ukey()
    key.report_lost(at=T0)
    key.revoke(at=T0)
    assert (key.status, key.status_reason) == (UKeyStatus.REVOKED, None)


@pytest.mark.parametrize(
    "setup, change",
    [
        ([], "reactivate"),  # active is not lost
        (["report_lost"], "report_lost"),
        (["revoke"], "revoke"),
        (["revoke"], "reactivate"),
        (["revoke"], "report_lost"),
    ],
)
def test_transitions_out_of_order_are_refused_and_change_nothing(setup: list[str], change: str) -> None:
    key = ukey()
    for step in setup:
        getattr(key, step)(at=T0)
    before = (key.status, key.status_changed_at)
    with pytest.raises(InvalidTransition):
        getattr(key, change)(at=T0 + timedelta(days=1))
    assert (key.status, key.status_changed_at) == before


def test_serial_and_device_number_normalisation() -> None:
    assert normalize_serial("0x00FF") == "ff"
    assert normalize_serial("00") == "0"
    assert device_number(" ab.c_1:2-3 ") == "AB.C_1:2-3"
    with pytest.raises(InvalidValue):
        normalize_serial("")


def test_a_query_normalises_its_identifiers_and_refuses_a_negative_page() -> None:
    q = UKeyQuery(serial="0A:1B", device_no="ft-1", code="91350100m000100y43")
    assert (q.serial, q.device_no, q.code) == ("a1b", "FT-1", USCC)
    with pytest.raises(InvalidValue):
        UKeyQuery(limit=-1)
    with pytest.raises(InvalidValue):
        UKeyQuery(offset=-1)


# -- use cases through the bus -----------------------------------------------------------------


def test_registering_a_ukey_records_it_as_active(platform: TestPlatform) -> None:
    key_id = _register(platform, device_no="ft-0001", serial="0A:1B:2C")
    key = _stored(platform, "FT-0001")
    assert key.id == key_id
    assert (key.certificate_serial, key.holder, key.status) == ("a1b2c", "张三", UKeyStatus.ACTIVE)
    assert key.registered_at == platform.clock.now()


def test_a_malformed_registration_records_nothing(platform: TestPlatform) -> None:
    with pytest.raises(InvalidValue) as caught:
        _register(platform, subject_code="123")
    assert caught.value.field == "subject_code"
    with InMemoryUnitOfWork(platform.uow.db) as uow:
        assert uow.ukeys.search() == []


def test_a_device_number_is_registered_once_whatever_its_case(platform: TestPlatform) -> None:
    _register(platform, device_no="FT-0001", serial="01")
    with pytest.raises(AlreadyExists) as caught:
        _register(platform, device_no="ft-0001", serial="02")
    assert caught.value.fields["field"] == "device_no"


def test_a_certificate_is_on_one_token_until_that_token_is_revoked(platform: TestPlatform) -> None:
    _register(platform, device_no="FT-0001")
    platform.bus.handle(ChangeUKeyStatus("FT-0001", UKeyStatus.LOST))
    with pytest.raises(AlreadyExists) as caught:
        _register(platform, device_no="FT-0002")
    assert caught.value.fields["field"] == "certificate_serial"
    platform.bus.handle(ChangeUKeyStatus("ft-0001", UKeyStatus.REVOKED, "丢失"))
    _register(platform, device_no="FT-0002")
    with InMemoryUnitOfWork(platform.uow.db) as uow:
        assert [k.device_no for k in uow.ukeys.by_serial("0A1B2C")] == ["FT-0001", "FT-0002"]


def test_status_changes_through_the_bus(platform: TestPlatform) -> None:
    _register(platform)
    platform.clock.advance(days=1)
    platform.bus.handle(ChangeUKeyStatus("FT-0001", UKeyStatus.LOST))
    lost = _stored(platform, "FT-0001")
    assert (lost.status, lost.status_changed_at) == (UKeyStatus.LOST, platform.clock.now())
    platform.bus.handle(ChangeUKeyStatus("FT-0001", UKeyStatus.ACTIVE))
    platform.bus.handle(ChangeUKeyStatus("FT-0001", UKeyStatus.REVOKED, "离职"))
    revoked = _stored(platform, "FT-0001")
    assert (revoked.status, revoked.status_reason) == (UKeyStatus.REVOKED, "离职")
    with pytest.raises(InvalidTransition):
        platform.bus.handle(ChangeUKeyStatus("FT-0001", UKeyStatus.ACTIVE))
    assert _stored(platform, "FT-0001").status is UKeyStatus.REVOKED


def test_changing_the_status_of_an_unknown_device_is_refused(platform: TestPlatform) -> None:
    with pytest.raises(NotFoundError):
        platform.bus.handle(ChangeUKeyStatus("NOPE-1", UKeyStatus.LOST))


def test_reactivating_is_refused_while_another_token_holds_the_certificate(platform: TestPlatform) -> None:
    _register(platform, device_no="FT-0001")
    platform.bus.handle(ChangeUKeyStatus("FT-0001", UKeyStatus.LOST))
    # A second token could only appear through a race or an import; the rule still holds.
    with InMemoryUnitOfWork(platform.uow.db) as uow:
        uow.ukeys.add(ukey(id=99, device_no="FT-0002", at=platform.clock.now()))
        uow.commit()
    with pytest.raises(AlreadyExists):
        platform.bus.handle(ChangeUKeyStatus("FT-0001", UKeyStatus.ACTIVE))
    assert _stored(platform, "FT-0001").status is UKeyStatus.LOST


def test_a_ukey_can_belong_to_an_internal_or_external_enterprise(
    platform: TestPlatform, initialized: InitResult
) -> None:
    internal = platform.bus.handle(
        AddInternalEnterprise("子公司一", initialized.platform_org_id, "李四", "13900000001")
    )
    external = platform.bus.handle(AddExternalEnterprise("外部公司一", "王五", "13700000001"))
    _register(platform, device_no="IN-1", serial="01", owner_org_id=internal)
    _register(platform, device_no="EX-1", serial="02", owner_org_id=external)
    assert _stored(platform, "IN-1").owner_org_id == internal
    assert _stored(platform, "EX-1").owner_org_id == external


def test_a_ukey_cannot_belong_to_a_department_or_a_missing_enterprise(
    platform: TestPlatform, initialized: InitResult
) -> None:
    dept = platform.bus.handle(
        AddInternalEnterprise("财务部", initialized.platform_org_id, "李四", "13900000001", department=True)
    )
    with pytest.raises(InvalidValue):
        _register(platform, device_no="D-1", owner_org_id=dept)
    with pytest.raises(NotFoundError):
        _register(platform, device_no="D-2", owner_org_id=12345)
    with InMemoryUnitOfWork(platform.uow.db) as uow:
        assert uow.ukeys.search() == []
