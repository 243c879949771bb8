"""Seal catalogue and seal creation through the bus, with fakes."""

from __future__ import annotations

import pytest

from esign_core.errors import AlreadyExists, DomainError, PermissionDenied
from esign_core.model.policy import SigningSettings
from esign_core.model.seal import SealKind
from esign_core.services.commands import ChangeSettings
from esign_core.services.seals import AddSealType, AuthorizeSeal, ChangeSealType, CreateSeal
from esign_core.services.setup import InitResult
from esign_core.testing import InMemoryUnitOfWork
from esign_core.testing.fakes import TestPlatform

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32


def _seal(platform: TestPlatform, seal_id: int):  # type: ignore[no-untyped-def]
    with InMemoryUnitOfWork(platform.uow.db) as uow:
        return uow.seals.get(seal_id)


def _type_id(platform: TestPlatform, name: str) -> int:
    with InMemoryUnitOfWork(platform.uow.db) as uow:
        found = uow.seal_types.by_name(name)
        assert found is not None
        return found.id


def test_seal_types_can_be_added_renamed_disabled_and_enabled(platform: TestPlatform, initialized: InitResult) -> None:
    tid = platform.bus.handle(AddSealType("发票专用章"))
    with pytest.raises(AlreadyExists):
        platform.bus.handle(AddSealType("发票专用章"))
    platform.bus.handle(ChangeSealType(tid, name="发票章", enabled=False))
    with InMemoryUnitOfWork(platform.uow.db) as uow:
        t = uow.seal_types.get(tid)
        assert (t.name, t.enabled) == ("发票章", False)
    platform.bus.handle(ChangeSealType(tid, enabled=True))
    with InMemoryUnitOfWork(platform.uow.db) as uow:
        assert uow.seal_types.get(tid).enabled


def test_a_drawn_company_seal_is_stored_and_authorised(platform: TestPlatform, initialized: InitResult) -> None:
    with InMemoryUnitOfWork(platform.uow.db) as uow:
        (admin,) = uow.members.of_org(initialized.platform_org_id)
    seal_id = platform.bus.handle(CreateSeal(initialized.platform_org_id, SealKind.COMPANY,
                                             _type_id(platform, "合同专用章"), code="3501000001234",
                                             authorize_member_ids=(admin.id,)))
    seal = _seal(platform, seal_id)
    assert seal.name == "合同专用章" and not seal.custom_image
    assert platform.blobs.read(seal.image) == platform.renderer.render(platform.renderer.rendered[-1])
    assert platform.renderer.rendered[-1].seal_type_text == "合同专用章"
    seal.check_usable_by(admin.id)


def test_uploaded_seals_need_the_custom_seal_setting(platform: TestPlatform, initialized: InitResult) -> None:
    seal_id = platform.bus.handle(CreateSeal(initialized.platform_org_id, SealKind.COMPANY, upload=PNG))
    assert _seal(platform, seal_id).custom_image
    platform.bus.handle(ChangeSettings(SigningSettings.SECTION, {"allow_custom_seals": False}))
    before = len(list(platform.blobs.keys()))
    with pytest.raises(PermissionDenied):
        platform.bus.handle(CreateSeal(initialized.platform_org_id, SealKind.COMPANY, upload=PNG + b"x"))
    assert len(list(platform.blobs.keys())) == before


def test_a_disabled_seal_type_cannot_be_used_for_new_seals(platform: TestPlatform, initialized: InitResult) -> None:
    tid = _type_id(platform, "财务专用章")
    platform.bus.handle(ChangeSealType(tid, enabled=False))
    with pytest.raises(DomainError):
        platform.bus.handle(CreateSeal(initialized.platform_org_id, SealKind.COMPANY, tid))


def test_authorisation_can_be_granted_and_revoked(platform: TestPlatform, initialized: InitResult) -> None:
    with InMemoryUnitOfWork(platform.uow.db) as uow:
        (admin,) = uow.members.of_org(initialized.platform_org_id)
    seal_id = platform.bus.handle(CreateSeal(initialized.platform_org_id, SealKind.LP))
    platform.bus.handle(AuthorizeSeal(seal_id, admin.id))
    assert admin.id in _seal(platform, seal_id).authorized_member_ids
    platform.bus.handle(AuthorizeSeal(seal_id, admin.id, revoke=True))
    with pytest.raises(PermissionDenied):
        _seal(platform, seal_id).check_usable_by(admin.id)
