"""A known data set for 签署统计: two enterprises, two business categories, contracts around the
Asia/Shanghai day boundaries (UTC 15:59 is 23:59 in Shanghai, UTC 16:00 is next day 00:00) and
signed actions. ``EXPECTED`` holds the exact answers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from esign_core.model.category import BusinessCategory
from esign_core.model.contract import Contract, ContractStatus
from esign_core.model.org import Organization, OrgUnitKind, TenantType
from esign_core.model.signatory import Action, ActionStatus, ActionType, Signatory, SignatoryStatus
from tests.db.samples import next_id

CREATED = datetime(2026, 1, 1, tzinfo=UTC)


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def build() -> dict[str, Any]:
    """Organisations, categories and contracts (with ids) to store; see the module docstring."""
    platform = Organization.create(id=next_id(), name="平台企业", tenant_type=TenantType.CORPORATE,
                                   unit_kind=OrgUnitKind.CORPORATE, at=CREATED)
    child = Organization.create(id=next_id(), name="子公司甲", tenant_type=TenantType.INNER_COMPANY,
                                unit_kind=OrgUnitKind.CHILD, parent_id=platform.id, at=CREATED)
    dept = Organization.create(id=next_id(), name="财务部", tenant_type=TenantType.INNER_COMPANY,
                               unit_kind=OrgUnitKind.SECTION, parent_id=platform.id, at=CREATED)
    buy = BusinessCategory.create(id=next_id(), name="采购系统", tenant_id=platform.id, at=CREATED)
    hr = BusinessCategory.create(id=next_id(), name="人事系统", tenant_id=platform.id, at=CREATED)

    def contract(subject: str, at: datetime, status: ContractStatus, tenant: Organization | None,
                 category: BusinessCategory | None, signed_at: datetime | None = None) -> Contract:
        signatories = []
        if signed_at is not None:
            action = Action(id=next_id(), type=ActionType.CORPORATE, name="盖章", status=ActionStatus.SIGNED,
                            completed_at=signed_at, completed_by=1)
            signatories.append(Signatory(id=next_id(), tenant_type=TenantType.INNER_COMPANY, tenant_name="子公司甲",
                                         serial_no=1, receiver_name="张三", status=SignatoryStatus.COMPLETE,
                                         actions=[action]))
        return Contract(id=next_id(), subject=subject, status=status, created_at=at, updated_at=at,
                        tenant_id=tenant.id if tenant else None, category_id=category.id if category else None,
                        signatories=signatories)

    contracts = [
        # 2026-03-01 Shanghai (UTC 2026-02-28 16:00 .. 2026-03-01 15:59:59)
        contract("A1", _utc(2026, 2, 28, 16, 0), ContractStatus.COMPLETE, platform, buy, _utc(2026, 3, 2, 1, 0)),
        contract("A2", _utc(2026, 3, 1, 15, 59, 59), ContractStatus.SIGNING, platform, buy),
        contract("A3", _utc(2026, 3, 1, 8, 0), ContractStatus.COMPLETE, child, hr, _utc(2026, 3, 1, 9, 0)),
        # 2026-03-02 Shanghai
        contract("B1", _utc(2026, 3, 1, 16, 0), ContractStatus.REJECTED, child, buy),
        contract("B2", _utc(2026, 3, 2, 3, 0), ContractStatus.COMPLETE, platform, None, _utc(2026, 3, 2, 4, 0)),
        # 2026-03-09 Shanghai (the next ISO week)
        contract("C1", _utc(2026, 3, 9, 0, 0), ContractStatus.SIGNING, platform, hr),
        # 2026-04-01 Shanghai (next month), and one without an enterprise
        contract("D1", _utc(2026, 3, 31, 16, 30), ContractStatus.DRAFT, None, buy),
        # before the range: 2026-02-28 23:59:59 Shanghai
        contract("X0", _utc(2026, 2, 28, 15, 59, 59), ContractStatus.COMPLETE, platform, buy,
                 _utc(2026, 2, 28, 15, 59, 59)),
        # after the range: 2026-04-02 00:00 Shanghai
        contract("X9", _utc(2026, 4, 1, 16, 0), ContractStatus.COMPLETE, child, hr, _utc(2026, 4, 1, 16, 0)),
    ]
    return {"orgs": [platform, child, dept], "categories": [buy, hr], "contracts": contracts,
            "platform": platform, "child": child, "buy": buy, "hr": hr}


def store(uow_factory: Any, data: dict[str, Any]) -> None:
    with uow_factory() as uow:
        for org in data["orgs"]:
            uow.organizations.add(org)
        for cat in data["categories"]:
            uow.categories.add(cat)
        for c in data["contracts"]:
            uow.contracts.add(c)
        uow.commit()
