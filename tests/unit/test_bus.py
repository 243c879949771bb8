"""The message bus: one handler per command, any number per event, dependencies injected by name."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import attrs
import pytest

from esign_core import bus as bus_module
from esign_core.errors import AuthenticationFailed, InvalidValue
from esign_core.model.base import Event
from esign_core.model.org import OrganizationCreated, OrganizationFrozen, TenantType
from esign_core.model.user import AdminLoginFailed
from esign_core.services.commands import AddExternalEnterprise, Command, LoginAdmin
from esign_core.testing import InMemoryUnitOfWork, bootstrap_test_bus
from esign_core.testing.fakes import TestPlatform

from .conftest import ADMIN_USERNAME, make_init_command

Register = Callable[[type[Event], Callable[..., Any]], None]
ORIGINAL_EVENT_HANDLERS = {t: list(hs) for t, hs in bus_module.EVENT_HANDLERS.items()}


@pytest.fixture
def register_event_handler() -> Iterator[Register]:
    """Add handlers to esign_core.bus.EVENT_HANDLERS for one test; build the bus afterwards."""
    added: list[tuple[type[Event], Callable[..., Any]]] = []

    def register(event_type: type[Event], handler: Callable[..., Any]) -> None:
        bus_module.EVENT_HANDLERS.setdefault(event_type, []).append(handler)
        added.append((event_type, handler))

    try:
        yield register
    finally:
        for event_type, handler in added:
            bus_module.EVENT_HANDLERS[event_type].remove(handler)
            if not bus_module.EVENT_HANDLERS[event_type]:
                del bus_module.EVENT_HANDLERS[event_type]


def initialised_platform() -> TestPlatform:
    platform = bootstrap_test_bus()
    platform.bus.handle(make_init_command(platform))
    return platform


def add_company(name: str = "外部公司", mobile: str = "13700000001") -> AddExternalEnterprise:
    return AddExternalEnterprise(name=name, admin_name="对方管理员", admin_mobile=mobile)


def company_count(platform: TestPlatform) -> int:
    with InMemoryUnitOfWork(platform.uow.db) as uow:
        return uow.organizations.count(TenantType.COMPANY)


@attrs.frozen
class UnknownCommand(Command):
    pass


def test_command_without_a_handler_is_a_type_error(platform: TestPlatform) -> None:
    with pytest.raises(TypeError, match="UnknownCommand"):
        platform.bus.handle(UnknownCommand())


def test_command_returns_its_handlers_answer() -> None:
    platform = initialised_platform()
    org_id = platform.bus.handle(add_company())
    with InMemoryUnitOfWork(platform.uow.db) as uow:
        assert uow.organizations.get(org_id).name == "外部公司"


def test_handler_needing_a_dependency_not_given_is_refused_when_the_bus_is_built(
    register_event_handler: Register,
) -> None:
    def needs_sms(event: OrganizationCreated, *, sms: object) -> None:
        raise AssertionError("never called")

    register_event_handler(OrganizationCreated, needs_sms)
    with pytest.raises(TypeError, match="sms"):
        bootstrap_test_bus()


def test_event_handlers_get_the_commands_events_and_their_dependencies(register_event_handler: Register) -> None:
    seen: list[tuple[OrganizationCreated, object]] = []

    def on_created(event: OrganizationCreated, *, clock: Any) -> None:
        seen.append((event, clock.now()))

    register_event_handler(OrganizationCreated, on_created)
    platform = initialised_platform()
    org_id = platform.bus.handle(add_company())
    assert [(e.org_id, e.tenant_type) for e, _ in seen][-1] == (org_id, TenantType.COMPANY)
    assert [e.tenant_type for e, _ in seen] == [TenantType.CORPORATE, TenantType.COMPANY]
    assert all(at == platform.clock.now() for _, at in seen)
    assert platform.uow.collect_new_events() == []


def test_failing_event_handler_is_logged_and_does_not_undo_the_command(
    register_event_handler: Register, caplog: pytest.LogCaptureFixture
) -> None:
    after_failure: list[Event] = []

    def broken(event: OrganizationCreated) -> None:
        raise RuntimeError("notification service down")

    register_event_handler(OrganizationCreated, broken)
    register_event_handler(OrganizationCreated, after_failure.append)
    platform = initialised_platform()
    caplog.clear()
    with caplog.at_level(logging.ERROR, logger="esign_core.bus"):
        org_id = platform.bus.handle(add_company())
    assert org_id
    assert company_count(platform) == 1
    assert [r.getMessage() for r in caplog.records] == ["event handler failed for OrganizationCreated"]
    assert caplog.records[0].exc_info is not None
    assert isinstance(after_failure[-1], OrganizationCreated)  # the other handler still ran


def test_events_committed_by_a_failing_command_are_still_handled(register_event_handler: Register) -> None:
    failures: list[AdminLoginFailed] = []
    register_event_handler(AdminLoginFailed, failures.append)
    platform = initialised_platform()
    with pytest.raises(AuthenticationFailed):
        platform.bus.handle(LoginAdmin(ADMIN_USERNAME, "wrong-password1"))
    assert len(failures) == 1
    assert failures[0].locked is False


def test_command_refused_before_commit_dispatches_no_events(register_event_handler: Register) -> None:
    created: list[OrganizationCreated] = []
    register_event_handler(OrganizationCreated, created.append)
    platform = initialised_platform()
    created.clear()
    with pytest.raises(InvalidValue):
        platform.bus.handle(add_company(mobile="12345678901"))
    with pytest.raises(InvalidValue):
        platform.bus.handle(add_company(name="  "))
    assert created == []


def test_events_raised_by_event_handlers_are_dispatched_too(register_event_handler: Register) -> None:
    frozen: list[OrganizationFrozen] = []

    def freeze_new_companies(event: OrganizationCreated, *, uow: InMemoryUnitOfWork) -> None:
        if event.tenant_type is TenantType.COMPANY:
            with uow:
                uow.organizations.get(event.org_id).freeze()
                uow.commit()

    register_event_handler(OrganizationCreated, freeze_new_companies)
    register_event_handler(OrganizationFrozen, frozen.append)
    platform = initialised_platform()
    org_id = platform.bus.handle(add_company())
    assert frozen == [OrganizationFrozen(org_id)]
    with InMemoryUnitOfWork(platform.uow.db) as uow:
        assert uow.organizations.get(org_id).frozen is True


def test_temporary_handlers_are_gone_after_the_test() -> None:
    assert bus_module.EVENT_HANDLERS == ORIGINAL_EVENT_HANDLERS
