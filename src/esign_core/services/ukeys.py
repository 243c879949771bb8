"""UKey registry (manual 四.3.4): record the hardware tokens issued to internal and external
enterprises and to persons, and follow them when they are lost, found or revoked. Searching is
a query on ``uow.ukeys``."""

from __future__ import annotations

import attrs

from esign_core.errors import AlreadyExists, InvalidValue, NotFoundError
from esign_core.model.certificate import UKey, UKeyStatus, device_number
from esign_core.model.org import TenantType
from esign_core.ports import Clock, IdGenerator, UnitOfWork
from esign_core.services.commands import Command


@attrs.frozen
class RegisterUKey(Command):
    certificate_serial: str
    holder: str
    subject_code: str = attrs.field(repr=False)  # USCC (enterprise) or resident ID number (person)
    device_no: str
    owner_org_id: int | None = None  # the internal or external enterprise that applied for it


@attrs.frozen
class ChangeUKeyStatus(Command):
    device_no: str
    status: UKeyStatus
    reason: str | None = None  # kept when revoking


def _refuse_second_token_for(serial: str, uow: UnitOfWork) -> None:
    if any(k.in_use for k in uow.ukeys.by_serial(serial)):
        raise AlreadyExists(
            "another UKey that is not revoked already holds this certificate", field="certificate_serial"
        )


def register_ukey(cmd: RegisterUKey, *, uow: UnitOfWork, ids: IdGenerator, clock: Clock) -> int:
    """Record a UKey as active; returns its id. Raises InvalidValue (serial, holder, code or
    device number malformed; the owner is a department or a person), NotFoundError (no such
    owner enterprise), AlreadyExists (the device number is registered, or a UKey that is not
    revoked already holds the certificate)."""
    key = UKey.register(
        id=ids.next_id(),
        certificate_serial=cmd.certificate_serial,
        holder=cmd.holder,
        subject_code=cmd.subject_code,
        device_no=cmd.device_no,
        owner_org_id=cmd.owner_org_id,
        at=clock.now(),
    )
    with uow:
        if cmd.owner_org_id is not None:
            org = uow.organizations.find(cmd.owner_org_id)
            if org is None or org.deleted:
                raise NotFoundError("no such enterprise", id=str(cmd.owner_org_id), field="owner_org_id")
            if org.tenant_type is TenantType.PERSONAL or not org.is_legal_entity:
                raise InvalidValue("owner_org_id", "a UKey belongs to an enterprise, not to a department")
        if uow.ukeys.by_device_no(key.device_no) is not None:
            raise AlreadyExists("a UKey with this device number is already registered", field="device_no")
        _refuse_second_token_for(key.certificate_serial, uow)
        uow.ukeys.add(key)
        uow.commit()
        return key.id


def change_ukey_status(cmd: ChangeUKeyStatus, *, uow: UnitOfWork, clock: Clock) -> None:
    """Report a UKey lost, revoke it, or make a lost one active again. Raises NotFoundError (no
    such device number), InvalidTransition (not allowed from its status: only an active key can
    be lost, only a lost one reactivated, a revoked one never changes), AlreadyExists
    (reactivating while another UKey holds the certificate)."""
    now = clock.now()
    wanted = device_number(cmd.device_no)
    with uow:
        key = uow.ukeys.by_device_no(wanted)
        if key is None:
            raise NotFoundError("no UKey with that device number", device_no=wanted)
        if cmd.status is UKeyStatus.LOST:
            key.report_lost(at=now)
        elif cmd.status is UKeyStatus.REVOKED:
            key.revoke(reason=cmd.reason, at=now)
        else:
            key.reactivate(at=now)
            others = [k for k in uow.ukeys.by_serial(key.certificate_serial) if k.id != key.id]
            if any(k.in_use for k in others):
                raise AlreadyExists(
                    "another UKey that is not revoked now holds this certificate", field="certificate_serial"
                )
        uow.commit()
