"""Contract notifications go out through the outbox: written in the unit of work of the check
that caused them, once per signatory and expiry time for reminders."""

from __future__ import annotations

from datetime import timedelta

import pytest

from esign_core.errors import InvalidTransition
from esign_core.model.outbox import MessageKind, OutboxQuery
from esign_core.services.notifications import SendExpiryReminders, SendSignLink
from esign_core.services.outbox import ListOutboxMessages
from esign_core.testing.fakes import TestPlatform
from tests.unit.conftest import InitCommandFactory
from tests.unit.contract_world import PERSON_MOBILE, World, make_world


@pytest.fixture
def world(platform: TestPlatform, init_command: InitCommandFactory) -> World:
    return make_world(platform, init_command)


def _queued(world: World) -> list:  # type: ignore[type-arg]
    return list(world.handle(ListOutboxMessages(query=OutboxQuery())).messages)


def test_a_sign_link_is_queued_as_an_sms_for_the_signatory(world: World) -> None:
    contract_id = world.create()
    signatory = world.contract(contract_id).signatories[1]
    world.handle(SendSignLink(contract_id=contract_id, signatory_id=signatory.id, contact=PERSON_MOBILE,
                              link="https://esign.example/portal/sign?viewToken=t"))
    [m] = _queued(world)
    assert (m.kind, m.topic, m.payload["mobile"], m.payload["template"]) == (
        MessageKind.SMS, "contract.sign_link", PERSON_MOBILE, "contract-sign-link")
    assert m.payload["params"] == {"link": "https://esign.example/portal/sign?viewToken=t", "subject": "采购合同"}


def test_a_sign_link_for_an_email_contact_is_an_email(world: World) -> None:
    contract_id = world.create()
    signatory = world.contract(contract_id).signatories[1]
    world.handle(SendSignLink(contract_id=contract_id, signatory_id=signatory.id, contact="wang@example.com",
                              link="https://x/portal"))
    [m] = _queued(world)
    assert m.kind is MessageKind.EMAIL and "https://x/portal" in m.payload["body"]


def test_no_sign_link_for_a_contract_not_being_signed(world: World) -> None:
    draft = world.create(send=False)
    with pytest.raises(InvalidTransition):
        world.handle(SendSignLink(contract_id=draft, signatory_id=1, contact=PERSON_MOBILE, link="l"))
    assert _queued(world) == []


def test_expiry_reminders_are_queued_once_per_signatory(world: World) -> None:
    clock = world.platform.clock
    contract_id = world.create(expire_time=clock.now() + timedelta(days=2))
    world.settings(expiry_reminder_enabled=True, expiry_reminder_days=3)
    assert world.handle(SendExpiryReminders()) == 0  # the company's turn: no contact to remind
    world.sign_company(contract_id)
    assert world.handle(SendExpiryReminders()) == 1
    assert world.handle(SendExpiryReminders()) == 0  # same expiry time: not again
    [m] = _queued(world)
    assert (m.kind, m.topic, m.payload["mobile"]) == (MessageKind.SMS, "contract.expiry_reminder", PERSON_MOBILE)
