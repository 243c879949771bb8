"""One fully populated aggregate of every type, and a field-by-field comparison.

Aggregates compare equal by id only, so the tests compare their attributes instead.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import attrs

from esign_core.model.base import Aggregate
from esign_core.model.category import BusinessCategory, CategoryState, CategoryType
from esign_core.model.certificate import Certificate, CertificateKind, CertificateStatus, SubjectType
from esign_core.model.contract import (
    Action,
    ActionOperator,
    ActionStatus,
    ActionType,
    Contract,
    ContractStatus,
    CopyReceiver,
    Signatory,
    SignatoryStatus,
    Stamper,
    StamperType,
)
from esign_core.model.document import Document
from esign_core.model.installation import INSTALLATION_ID, Installation, Licence, Quotas
from esign_core.model.org import (
    Contact,
    ContactKind,
    Member,
    MemberRole,
    MemberStatus,
    Organization,
    OrgUnitKind,
    TenantStatus,
    TenantType,
)
from esign_core.model.seal import SEAL_SPECS, Seal, SealCategory, SealKind, SealStatus, SealType
from esign_core.model.user import AdminAccount, Permission, PersonalUser, Role
from esign_core.values import BlobRef, Digest, Email, IdNumber, KeywordPosition, PagePosition, Phone, Uscc

# Microseconds everywhere: DATETIME without fractional seconds would lose them.
T0 = datetime(2026, 3, 4, 5, 6, 7, 123456, tzinfo=UTC)
BEIJING = timezone(timedelta(hours=8))
T_BEIJING = datetime(2026, 3, 4, 13, 6, 7, 654321, tzinfo=BEIJING)  # 05:06:07.654321 UTC
USCC = "91350100M000100Y43"
ID_NUMBER = "11010519491231002X"

_ids = itertools.count(7_300_000_000_000_000_001)  # real snowflakes are this large


def next_id() -> int:
    return next(_ids)


def blob(n: int) -> BlobRef:
    return BlobRef(backend="local", key=f"ab/cd/{n:064x}", size=1_234_567 + n, digest=Digest(f"{n:064x}"))


def installation() -> Installation:
    licence = Licence(
        licence_id="LIC-2026-0001",
        product_code="PC-ABCDEF",
        licensee="测试企业",
        issued_at=T0,
        expires_at=T0 + timedelta(days=365),
        quotas=Quotas(internal_enterprises=5, internal_users=None, external_enterprises=0, external_users=1000),
    )
    return Installation(
        id=INSTALLATION_ID,
        product_code="PC-ABCDEF",
        licence=licence,
        licence_code="CODE.sig",
        use_external_api=False,
        platform_org_id=next_id(),
        initialized_at=T_BEIJING,
    )


def organization(name: str = "福州测试科技有限公司", **changes: Any) -> Organization:
    fields: dict[str, Any] = dict(
        id=next_id(),
        name=name,
        tenant_type=TenantType.INNER_COMPANY,
        unit_kind=OrgUnitKind.CHILD,
        parent_id=next_id(),
        uscc=Uscc(USCC),
        legal_person="张三",
        status=TenantStatus.AUTH_SUCCESS,
        frozen=True,
        deleted=False,
        admin_member_id=next_id(),
        created_at=T_BEIJING,
    )
    fields.update(changes)
    return Organization(**fields)


def platform_org(name: str = "平台企业") -> Organization:
    return Organization.create(
        id=next_id(), name=name, tenant_type=TenantType.CORPORATE, unit_kind=OrgUnitKind.CORPORATE, at=T0
    )


def member(org_id: int | None = None, user_id: int | None = None) -> Member:
    return Member(
        id=next_id(),
        org_id=org_id or next_id(),
        user_id=user_id or next_id(),
        name="李四",
        number="E-0042",
        roles=frozenset({MemberRole.SA, MemberRole.CONTRACT}),
        status=MemberStatus.FROZEN,
        joined_at=T0,
    )


def user(
    mobile: str | None = "13812345678", email: str | None = "Li.Si@Example.COM", *, internal: bool = True
) -> PersonalUser:
    return PersonalUser(
        id=next_id(),
        name="李四",
        mobile=Phone(mobile) if mobile else None,
        email=Email(email) if email else None,
        id_number=IdNumber(ID_NUMBER),
        auth_status=TenantStatus.AUTH_SUCCESS,
        frozen=True,
        internal=internal,
        created_at=T0,
    )


def contact(kind: ContactKind = ContactKind.ENTERPRISE) -> Contact:
    return Contact(
        id=next_id(),
        kind=kind,
        name="王五",
        mobile=Phone("+86 139-1234-5678"),
        email=Email("wang@example.com"),
        number="C-7",
        enterprise_name="外部公司",
    )


def admin(username: str = "admin") -> AdminAccount:
    return AdminAccount(
        id=next_id(),
        username=username,
        display_name="系统管理员",
        password_hash="argon2$xyz",
        role_ids=frozenset({next_id(), next_id()}),
        system=True,
        disabled=True,
        failed_logins=3,
        locked_until=T_BEIJING,
        password_changed_at=T0,
        last_login_at=T0 + timedelta(hours=1),
        mfa_secret_ref="secret:mfa:1",
    )


def role(name: str = "审计员") -> Role:
    return Role(
        id=next_id(),
        name=name,
        description="只读审计",
        permissions=frozenset({Permission.STATISTICS, Permission.USERS}),
        builtin=True,
    )


def seal_type(name: str = "合同专用章") -> SealType:
    return SealType(id=next_id(), name=name, enabled=False, builtin=True)


def seal(owner_id: int | None = None) -> Seal:
    return Seal(
        id=next_id(),
        owner_id=owner_id or next_id(),
        name="合同章",
        kind=SealKind.COMPANY,
        seal_type_id=next_id(),
        spec=SEAL_SPECS["OVAL_45_30"],
        category=SealCategory.PHYSICS,
        status=SealStatus.FREEZE,
        image=blob(1),
        custom_image=True,
        authorized_member_ids=frozenset({next_id(), next_id()}),
        use_count=17,
        created_at=T0,
    )


def certificate(
    serial: str = "0a1b2c3d4e5f",
    *,
    kind: CertificateKind = CertificateKind.LONG_TERM,
    subject_name: str = "CN=福州测试科技有限公司,O=Test",
) -> Certificate:
    return Certificate(
        id=next_id(),
        kind=kind,
        subject_name=subject_name,
        subject_type=SubjectType.ENTERPRISE,
        subject_code=USCC,
        serial=serial,
        issuer="CN=esign CA",
        ca_name="esign-ca",
        not_before=T0,
        not_after=T0 + timedelta(days=730),
        key_type="EC-P384",
        key_ref="keys/1",
        status=CertificateStatus.REVOKED,
        revoked_at=T_BEIJING,
        revocation_reason="key compromise",
        owner_id=next_id(),
    )


def document(contract_id: int | None = None) -> Document:
    return Document(
        id=next_id(),
        title="采购合同.pdf",
        original=blob(2),
        current=blob(3),
        pages=12,
        contract_id=contract_id,
        attachment=True,
        created_at=T0,
        revisions=2,
        signed_revisions=(blob(4), blob(3)),
    )


def contract(biz_id: str | None = "BIZ-0001", *, status: ContractStatus = ContractStatus.DRAFT) -> Contract:
    doc_a, doc_b = next_id(), next_id()
    company_action = Action(
        id=next_id(),
        type=ActionType.CORPORATE,
        name="甲方盖章",
        serial_no=1,
        status=ActionStatus.SIGNED,
        seal_ids=(next_id(), next_id()),
        operators=(ActionOperator("张三", "13812345678"), ActionOperator("赵六", "zhao@example.com")),
        stampers=(
            Stamper(
                id=next_id(),
                document_id=doc_a,
                type=StamperType.SEAL_CORPORATE,
                position=PagePosition(page=-1, offset_x=0.125, offset_y=0.9),
            ),
            Stamper(id=next_id(), document_id=doc_b, type=StamperType.ACROSS_PAGE, position=None),
            Stamper(
                id=next_id(),
                document_id=doc_a,
                type=StamperType.TIMESTAMP,
                position=KeywordPosition("甲方（盖章）", keyword_index=-1, offset_x=-0.1, offset_y=0.05),
            ),
        ),
        completed_at=T_BEIJING,
        completed_by=next_id(),
    )
    lp_action = Action(
        id=next_id(),
        type=ActionType.LP,
        name="法定代表人",
        serial_no=2,
        stampers=(
            Stamper(
                id=next_id(),
                document_id=doc_b,
                type=StamperType.SEAL_PERSONAL,
                position=PagePosition(page=0, offset_x=1.0, offset_y=0.0),
            ),
        ),
    )
    company = Signatory(
        id=next_id(),
        tenant_type=TenantType.INNER_COMPANY,
        tenant_name="福州测试科技有限公司",
        serial_no=1,
        receiver_name="张三",
        contact="13812345678",
        status=SignatoryStatus.COMPLETE,
        actions=[company_action, lp_action],
        received_at=T0,
    )
    person = Signatory(
        id=next_id(),
        tenant_type=TenantType.PERSONAL,
        tenant_name="王五",
        serial_no=2,
        contact="wang@example.com",
        actions=[
            Action(
                id=next_id(),
                type=ActionType.PERSONAL,
                name="乙方签字",
                stampers=(
                    Stamper(
                        id=next_id(),
                        document_id=doc_a,
                        type=StamperType.SEAL_PERSONAL,
                        position=KeywordPosition("乙方"),
                    ),
                ),
            )
        ],
    )
    copy_only = Signatory(id=next_id(), tenant_type=TenantType.COMPANY, tenant_name="抄送公司", serial_no=3)
    return Contract(
        id=next_id(),
        subject="采购合同",
        biz_id=biz_id,
        sn="SN-2026-001",
        description="年度采购",
        ordinal=False,
        category_id=next_id(),
        creator_id=next_id(),
        tenant_id=next_id(),
        status=status,
        document_ids=[doc_b, doc_a],
        signatories=[company, person, copy_only],
        created_at=T0,
        updated_at=T_BEIJING,
        sent_at=T0,
        expire_at=T0 + timedelta(days=30),
        completed_at=None,
        comments="备注",
        business_data='{"order": "PO-1"}',
        request_digest="ab" * 32,
        copy_receivers=[CopyReceiver("赵六", "13700137000"), CopyReceiver("", "13700137001")],
    )


def category(tenant_id: int | None = None, name: str = "采购类", **changes: Any) -> BusinessCategory:
    fields: dict[str, Any] = dict(
        id=next_id(),
        name=name,
        tenant_id=tenant_id or next_id(),
        primary=True,
        state=CategoryState.DISABLED,
        callback_url="https://erp.example.com/esign/callback?x=1",
        seal_id=next_id(),
        type=CategoryType.PHYSICAL,
        created_at=T_BEIJING,
    )
    fields.update(changes)
    return BusinessCategory(**fields)


def draft_contract(biz_id: str | None = None) -> Contract:
    """A contract that can be sent: one document, one personal signatory with one action."""
    doc = next_id()
    action = Action(
        id=next_id(),
        type=ActionType.PERSONAL,
        name="签字",
        stampers=(
            Stamper(id=next_id(), document_id=doc, type=StamperType.SEAL_PERSONAL, position=PagePosition(1, 0.5, 0.5)),
        ),
    )
    signer = Signatory(
        id=next_id(),
        tenant_type=TenantType.PERSONAL,
        tenant_name="王五",
        serial_no=1,
        contact="13912345678",
        actions=[action],
    )
    return Contract(
        id=next_id(), subject="借款合同", biz_id=biz_id, document_ids=[doc], signatories=[signer], created_at=T0
    )


def state(item: Any) -> dict[str, Any]:
    """Every attribute except the version and recorded events, recursively."""
    return attrs.asdict(item, filter=lambda a, _v: a.name not in ("_events", "version"))


def datetimes(item: Any) -> list[datetime]:
    """Every datetime inside an aggregate (to check they all come back UTC-aware)."""
    found: list[datetime] = []

    def walk(value: Any) -> None:
        if isinstance(value, datetime):
            found.append(value)
        elif attrs.has(type(value)):
            for a in attrs.fields(type(value)):
                walk(getattr(value, a.name))
        elif isinstance(value, list | tuple | frozenset | set):
            for v in value:
                walk(v)

    walk(item)
    return found


def everything() -> list[tuple[str, Aggregate]]:
    """(repository name, aggregate) for one of each."""
    return [
        ("installation", installation()),
        ("organizations", organization()),
        ("members", member()),
        ("users", user()),
        ("contacts", contact()),
        ("admins", admin()),
        ("roles", role()),
        ("seal_types", seal_type()),
        ("seals", seal()),
        ("certificates", certificate()),
        ("documents", document()),
        ("contracts", contract()),
        ("categories", category()),
    ]
