"""Managing enterprises (manual 二.1.2, 二.1.3): edit, legal-entity certification and change,
freeze, delete, certification callbacks; and the personal side: 更新认证状态, TOTP binding."""

from __future__ import annotations

import attrs

from esign_core.errors import AlreadyExists, DomainError, InvalidTransition, InvalidValue
from esign_core.model.callback_settings import CallbackSettings
from esign_core.model.callback_target import check_callback_url
from esign_core.model.certification import CertificationStatus
from esign_core.model.org import MemberStatus, Organization, TenantType
from esign_core.ports import UnitOfWork
from esign_core.ports.resolver import HostResolver
from esign_core.services.commands import Command
from esign_core.values import IdNumber, Uscc

#: The documented force policy (docs/organizations.md): deleting an entity that has contracts
#: needs ``force`` and its exact name typed again; the contracts stay (they keep the enterprise
#: name they were signed with) but the entity can no longer sign, log in or be chosen.
FORCE_POLICY = "force-delete keeps the contracts; confirm by typing the entity's exact name"


@attrs.frozen
class EditOrganization(Command):
    org_id: int
    name: str


@attrs.frozen
class MoveOrganization(Command):
    """Move an org unit (internal enterprise or department) under another unit of the same enterprise."""

    org_id: int
    parent_id: int


@attrs.frozen
class FreezeOrganization(Command):
    org_id: int
    frozen: bool = True


@attrs.frozen
class DeleteOrganization(Command):
    org_id: int
    force: bool = False
    confirm_name: str | None = None


@attrs.frozen
class ApplyCertification(Command):
    """法人单位认证 / 变更: the legal entity's USCC and legal person, submitted for review."""

    org_id: int
    uscc: str
    legal_person: str


@attrs.frozen
class DecideCertification(Command):
    org_id: int
    passed: bool
    reason: str | None = None


@attrs.frozen
class UpdateUserCertification(Command):
    """更新认证状态 of a personal user, as reported by the signing platform."""

    user_id: int
    status: CertificationStatus
    reason: str | None = None
    id_number: str | None = attrs.field(default=None, repr=False)


@attrs.frozen
class ConfigureCallbacks(Command):
    enterprise_success_url: str = ""
    enterprise_failure_url: str = ""
    personal_success_url: str = ""
    personal_failure_url: str = ""
    allow_list: tuple[str, ...] = ()


@attrs.frozen
class BindTotp(Command):
    """Store a TOTP secret already sealed by the SecretBox (the caller verified a first code)."""

    user_id: int
    sealed_secret: str | None = attrs.field(repr=False)  # None unbinds


def edit_organization(cmd: EditOrganization, *, uow: UnitOfWork) -> None:
    """Rename. Raises AlreadyExists for a name another organization has."""
    with uow:
        org = uow.organizations.get(cmd.org_id)
        other = uow.organizations.by_name(cmd.name.strip())
        if other is not None and other.id != org.id:
            raise AlreadyExists(f"an organization named {cmd.name.strip()!r} already exists", field="name")
        org.rename(cmd.name)
        uow.commit()


def _enterprise_of(uow: UnitOfWork, org: Organization) -> Organization:
    """The legal entity a unit belongs to: itself for an enterprise, else the nearest enterprise above."""
    seen: set[int] = set()
    while not org.is_legal_entity and org.parent_id is not None and org.id not in seen:
        seen.add(org.id)
        org = uow.organizations.get(org.parent_id)
    return org


def move_organization(cmd: MoveOrganization, *, uow: UnitOfWork) -> None:
    """Move a unit under ``parent_id``. Raises NotFoundError, DomainError (a top-level enterprise
    — the platform or an external one —, a deleted unit or parent, a parent in another
    enterprise) and InvalidTransition (a unit under itself or one of its descendants)."""
    with uow:
        org = uow.organizations.get(cmd.org_id)
        if org.parent_id is None:
            raise DomainError("a top-level enterprise cannot be moved", field="org_id")
        parent = uow.organizations.get(cmd.parent_id)
        if org.deleted or parent.deleted or parent.tenant_type is TenantType.COMPANY:
            raise DomainError("the new parent must be an existing internal unit", field="parent_id")
        if parent.id == org.parent_id:
            return
        ancestor: Organization | None = parent
        while ancestor is not None:
            if ancestor.id == org.id:
                raise InvalidTransition("a unit cannot be moved under itself or one of its own units")
            ancestor = uow.organizations.get(ancestor.parent_id) if ancestor.parent_id is not None else None
        old = _enterprise_of(uow, uow.organizations.get(org.parent_id))
        if _enterprise_of(uow, parent).id != old.id:
            raise DomainError(f"{org.name} can only move within {old.name}", field="parent_id")
        org.move_under(parent.id)
        uow.commit()


def freeze_organization(cmd: FreezeOrganization, *, uow: UnitOfWork) -> None:
    """Freeze or unfreeze. Raises InvalidTransition for the platform enterprise."""
    with uow:
        org = uow.organizations.get(cmd.org_id)
        org.freeze() if cmd.frozen else org.unfreeze()
        uow.commit()


def delete_organization(cmd: DeleteOrganization, *, uow: UnitOfWork) -> None:
    """Delete (irreversible). Refused (DomainError) while it has units under it, or while it has
    contracts unless ``force`` is given with ``confirm_name`` equal to its name (FORCE_POLICY).
    Its members are marked departed (not frozen: the enterprise itself is gone)."""
    with uow:
        org = uow.organizations.get(cmd.org_id)
        if uow.organizations.children(org.id):
            raise DomainError("delete or move the units under this one first", field="org_id")
        contracts = uow.contracts.count_involving(tenant_id=org.id)
        if contracts and not cmd.force:
            raise DomainError(f"{org.name} has {contracts} contract(s); deleting needs the force policy "
                              f"({FORCE_POLICY})", field="force", contracts=contracts)
        if contracts and (cmd.confirm_name or "").strip() != org.name:
            raise InvalidValue("confirm_name", "type the entity's exact name to confirm a forced delete")
        org.delete(forced=bool(contracts))
        for member in uow.members.of_org(org.id):
            if member.status is MemberStatus.ACTIVE:
                member.depart(freeze=False)
        uow.commit()


def apply_certification(cmd: ApplyCertification, *, uow: UnitOfWork) -> None:
    """Raises InvalidValue (USCC), InvalidTransition (pending, department), AlreadyExists (USCC
    of another organization)."""
    uscc = Uscc(cmd.uscc)
    with uow:
        org = uow.organizations.get(cmd.org_id)
        for other in (o for t in TenantType for o in uow.organizations.of_type(t)):
            if other.id != org.id and other.uscc == uscc:
                raise AlreadyExists(f"the USCC {uscc} belongs to {other.name}", field="uscc")
        org.apply_certification(uscc, cmd.legal_person)
        uow.commit()


def decide_certification(cmd: DecideCertification, *, uow: UnitOfWork) -> None:
    """PASSED or REJECTED (with a reason). Records CertificationChanged (callback via the outbox)."""
    with uow:
        uow.organizations.get(cmd.org_id).decide_certification(passed=cmd.passed, reason=cmd.reason)
        uow.commit()


def update_user_certification(cmd: UpdateUserCertification, *, uow: UnitOfWork) -> bool:
    """Returns False when the status did not change (nothing recorded)."""
    id_number = IdNumber(cmd.id_number) if cmd.id_number else None
    with uow:
        changed = uow.users.get(cmd.user_id).update_certification(cmd.status, reason=cmd.reason,
                                                                   id_number=id_number)
        uow.commit()
        return changed


def configure_callbacks(cmd: ConfigureCallbacks, *, uow: UnitOfWork, resolver: HostResolver) -> CallbackSettings:
    """修改回调配置. Every URL must be http(s) and, resolved, reach no loopback/private/link-local
    address unless allow-listed. Raises InvalidValue naming the bad field."""
    value = CallbackSettings(
        enterprise_success_url=cmd.enterprise_success_url.strip(),
        enterprise_failure_url=cmd.enterprise_failure_url.strip(),
        personal_success_url=cmd.personal_success_url.strip(),
        personal_failure_url=cmd.personal_failure_url.strip(),
        allow_list=cmd.allow_list,
    )
    for name in ("enterprise_success_url", "enterprise_failure_url", "personal_success_url", "personal_failure_url"):
        url = getattr(value, name)
        if url:
            check_callback_url(url, allow=value.allow_list, resolve=resolver, field=name)
    with uow:
        uow.settings.put(value)
        uow.commit()
    return value


def bind_totp(cmd: BindTotp, *, uow: UnitOfWork) -> None:
    with uow:
        user = uow.users.get(cmd.user_id)
        user.bind_totp(cmd.sealed_secret) if cmd.sealed_secret else user.unbind_totp()
        uow.commit()


HANDLERS = {
    EditOrganization: edit_organization,
    MoveOrganization: move_organization,
    FreezeOrganization: freeze_organization,
    DeleteOrganization: delete_organization,
    ApplyCertification: apply_certification,
    DecideCertification: decide_certification,
    UpdateUserCertification: update_user_certification,
    ConfigureCallbacks: configure_callbacks,
    BindTotp: bind_totp,
}
