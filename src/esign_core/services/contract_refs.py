"""What the contract use cases share: naming a contract (``contractId`` or ``bizId``), finding
the internal enterprise a signature is applied for, and checking who acts for it."""

from __future__ import annotations

import attrs

from esign_core.errors import DomainError, InvalidValue, NotFoundError, PermissionDenied
from esign_core.model.contract import Contract
from esign_core.model.org import Member, MemberStatus, Organization, OrgUnitKind, TenantType
from esign_core.ports import UnitOfWork
from esign_core.services.commands import Command

INTERNAL = (TenantType.CORPORATE, TenantType.INNER_COMPANY)


@attrs.frozen(kw_only=True)
class ContractCommand(Command):
    """A command on one contract, named by ``contract_id`` or ``biz_id`` (open API: contractId or
    bizId). ``actor`` and ``ip`` are written into the evidence."""

    contract_id: int | None = None
    biz_id: str | None = None
    actor: str = ""
    ip: str | None = None


def load_contract(uow: UnitOfWork, cmd: ContractCommand) -> Contract:
    """The contract the command names. Raises InvalidValue when it names none, NotFoundError."""
    if cmd.contract_id is not None:
        return uow.contracts.get(cmd.contract_id)
    if cmd.biz_id:
        contract = uow.contracts.by_biz_id(cmd.biz_id)
        if contract is None:
            raise NotFoundError("no contract with this bizId", biz_id=cmd.biz_id)
        return contract
    raise InvalidValue("contractId", "contractId or bizId is required")


def internal_enterprise(uow: UnitOfWork, name: str) -> Organization:
    """The platform enterprise or an internal enterprise by name. Raises NotFoundError (also for
    an external enterprise: silent signing is for internal ones only), DomainError for a
    department (not a legal entity) and PermissionDenied for a frozen enterprise."""
    org = uow.organizations.by_name(name.strip())
    if org is None or org.tenant_type not in INTERNAL:
        raise NotFoundError(f"no internal enterprise named {name.strip()!r}", field="tenantName")
    if not org.is_legal_entity:
        raise DomainError(f"{org.name} is a department; it signs with its enterprise's seals", field="tenantName")
    if org.frozen:
        raise PermissionDenied(f"{org.name} is frozen", field="tenantName")
    return org


def acting_member(uow: UnitOfWork, enterprise: Organization, member_id: int) -> Member:
    """The active member of ``enterprise`` (or of one of its departments) who applies its seal.
    Raises PermissionDenied otherwise."""
    member = uow.members.find(member_id)
    if member is None or member.status is not MemberStatus.ACTIVE:
        raise PermissionDenied("the operator is not an active member", member_id=str(member_id))
    if not _within(uow, member.org_id, enterprise.id):
        raise PermissionDenied(f"the operator is not a member of {enterprise.name}", member_id=str(member_id))
    return member


def _within(uow: UnitOfWork, org_id: int, enterprise_id: int) -> bool:
    org = uow.organizations.find(org_id)
    for _ in range(32):  # departments nest, but not without end
        if org is None:
            return False
        if org.id == enterprise_id:
            return True
        if org.unit_kind is not OrgUnitKind.SECTION or org.parent_id is None:
            return False
        org = uow.organizations.find(org.parent_id)
    return False
