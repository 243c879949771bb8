"""Console login factors kept in the database (ADR 0037), on every backend: the session
generation and the last accepted TOTP step round-trip, and two workers accepting the same TOTP
code at the same moment cannot both succeed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from esign_core.errors import ConcurrencyError, PermissionDenied
from esign_core.model.user import PersonalUser
from esign_core.services.console_factors import AcceptTotpStep, accept_totp_step
from esign_core.values import Phone
from tests.db.conftest import UowFactory
from tests.db.samples import admin, next_id


def test_generation_last_step_and_signing_password_time_round_trip(uow_factory: UowFactory) -> None:
    account = admin()
    person = PersonalUser(id=next_id(), name="王五", created_at=datetime(2026, 1, 1, tzinfo=UTC),
                          mobile=Phone("13900139002"))
    with uow_factory() as uow:
        uow.admins.add(account)
        uow.users.add(person)
        uow.commit()
    with uow_factory() as uow:
        stored = uow.admins.get(account.id)
        assert stored.session_generation == 0 and stored.totp_last_step is None
        stored.bind_totp("sealed", step=59_000_000)
        stored.change_password("argon2$new", at=datetime(2026, 2, 1, tzinfo=UTC))
        uow.users.get(person.id).set_signing_password("argon2$sign", at=datetime(2026, 3, 1, 8, tzinfo=UTC))
        uow.commit()
    with uow_factory() as uow:
        stored = uow.admins.get(account.id)
        signing = uow.users.get(person.id)
    assert stored.session_generation == 2 and stored.totp_last_step == 59_000_000
    assert signing.signing_password_changed_at == datetime(2026, 3, 1, 8, tzinfo=UTC)


def test_a_totp_step_is_accepted_once(uow_factory: UowFactory) -> None:
    account = admin()
    with uow_factory() as uow:
        uow.admins.add(account)
        uow.commit()
    accept_totp_step(AcceptTotpStep(account_id=account.id, step=100), uow=uow_factory())
    with pytest.raises(PermissionDenied):
        accept_totp_step(AcceptTotpStep(account_id=account.id, step=100), uow=uow_factory())
    with pytest.raises(PermissionDenied):
        accept_totp_step(AcceptTotpStep(account_id=account.id, step=99), uow=uow_factory())
    accept_totp_step(AcceptTotpStep(account_id=account.id, step=101), uow=uow_factory())


def test_two_workers_racing_on_one_code_only_one_wins(uow_factory: UowFactory, only_sql: None) -> None:
    account = admin()
    with uow_factory() as uow:
        uow.admins.add(account)
        uow.commit()
    first, second = uow_factory(), uow_factory()
    with first, second:
        a, b = first.admins.get(account.id), second.admins.get(account.id)
        a.accept_totp_step(200)
        b.accept_totp_step(200)  # both loaded the account before either committed
        first.commit()
        with pytest.raises(ConcurrencyError):
            second.commit()
    with uow_factory() as uow:
        assert uow.admins.get(account.id).totp_last_step == 200
