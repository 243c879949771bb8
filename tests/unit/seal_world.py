"""A platform with a company seal in a seal controller, and the callbacks/messages it emitted."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from esign_core import bus as bus_module
from esign_core.model.seal import SealKind
from esign_core.model.seal_apply import Person
from esign_core.model.seal_callbacks import SealCallbackDue, SealMessageDue
from esign_core.model.seal_device import DeviceKind
from esign_core.services.seal_apply import ApplyForSeal, AuthSpec
from esign_core.services.seal_devices import RegisterDevice
from esign_core.services.seals import CreateSeal
from esign_core.testing import InMemoryUnitOfWork, bootstrap_test_bus
from esign_core.testing.fakes import TestPlatform

DEVICE_NO = "SC-0001"
CALLBACK = "http://127.0.0.1:9/seal-callback"
USER = Person("李四", "13900139000", "E1001")
APPLICANT = Person("王五", "13700137000", "E1002")


@attrs.define
class SealWorld:
    platform: TestPlatform
    org_id: int
    org_name: str
    seal_id: int
    emitted: list[Any]

    def callbacks(self) -> list[SealCallbackDue]:
        return [e for e in self.emitted if isinstance(e, SealCallbackDue)]

    def messages(self) -> list[SealMessageDue]:
        return [e for e in self.emitted if isinstance(e, SealMessageDue)]

    def apply(self, count: int = 3, *, approvers: tuple[str, ...] = (), applicant: Person = APPLICANT,
              users: tuple[Person, ...] = (USER,), callback_url: str | None = CALLBACK) -> Any:
        return self.platform.bus.handle(ApplyForSeal(
            tenant_name=self.org_name, subject="采购合同用印", applicant=applicant,
            auths=(AuthSpec(count=count, users=users, device_no=DEVICE_NO),), approvers=approvers,
            callback_url=callback_url))

    def application(self, business_id: int) -> Any:
        with InMemoryUnitOfWork(self.platform.uow.db) as uow:
            return uow.seal_applications.get(business_id)

    def device(self) -> Any:
        with InMemoryUnitOfWork(self.platform.uow.db) as uow:
            return uow.seal_devices.by_number(DEVICE_NO)


def make_world(monkeypatch: pytest.MonkeyPatch, init: Any) -> SealWorld:
    emitted: list[Any] = []
    monkeypatch.setattr(bus_module, "EVENT_HANDLERS", {
        SealCallbackDue: [emitted.append], SealMessageDue: [emitted.append]})
    platform = bootstrap_test_bus()
    result = platform.bus.handle(init(platform))
    seal_id = platform.bus.handle(CreateSeal(result.platform_org_id, SealKind.COMPANY, name="合同专用章"))
    platform.bus.handle(RegisterDevice(DEVICE_NO, DeviceKind.CONTROLLER, result.platform_org_id, "前台印控台",
                                       seal_id=seal_id))
    with InMemoryUnitOfWork(platform.uow.db) as uow:
        org = uow.organizations.get(result.platform_org_id)
    return SealWorld(platform, org.id, org.name, seal_id, emitted)
