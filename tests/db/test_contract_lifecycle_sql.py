"""The contract use cases on every backend (the in-memory fake, SQLite, PostgreSQL, MariaDB): a
fresh unit of work per command, as ``Platform.handle`` does, with the fake CA, signer, storage and
renderer. Checks that what the use cases change survives the real mappers and that the evidence
commits with it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from esign_core.bus import build_bus
from esign_core.errors import AlreadyExists, PermissionDenied
from esign_core.model.contract import ActionType, ContractStatus, CopyReceiver, StamperType
from esign_core.model.org import TenantType
from esign_core.model.seal import Seal, SealKind
from esign_core.services.commands import InitializePlatform
from esign_core.services.contract_ending import ExpireContracts, VoidContract
from esign_core.services.contract_signing import SignAsCompany
from esign_core.services.contract_specs import ActionSpec, SignatorySpec, StamperSpec
from esign_core.services.contracts import AddCopyReceivers, CreateContract
from esign_core.services.documents import CreateDocument
from esign_core.services.personal_signing import SignAsPerson
from esign_core.testing import (
    FakeCertificateAuthority,
    FakeLicenceVerifier,
    FakePdfScreener,
    FakePdfSigner,
    FakeSealRenderer,
    FakeSignatureValidator,
    FixedClock,
    InMemoryBlobStore,
    PlainPasswordHasher,
    SequentialIds,
)
from esign_core.testing.fakes import FakeDocumentConverter
from esign_core.values import PagePosition
from tests.db.conftest import UowFactory

PDF = b"%PDF-1.7\n1 0 obj<</Type /Page\n>>endobj\n%%EOF\n"


class Site:
    """An initialised platform whose commands each get a fresh unit of work."""

    def __init__(self, uow_factory: UowFactory) -> None:
        self.uow = uow_factory
        self.clock, self.ids = FixedClock(), SequentialIds()
        self.blobs = InMemoryBlobStore()
        licences = FakeLicenceVerifier()
        self.deps: dict[str, Any] = dict(
            clock=self.clock, ids=self.ids, hasher=PlainPasswordHasher(), licences=licences,
            ca=FakeCertificateAuthority(ids=self.ids, clock=self.clock), signer=FakePdfSigner(),
            screener=FakePdfScreener(), validator=FakeSignatureValidator(), blobs=self.blobs,
            renderer=FakeSealRenderer(), converter=FakeDocumentConverter(),
        )
        code = licences.issue(product_code="PC-1", expires_at=self.clock.now() + timedelta(days=365))
        result = self.handle(InitializePlatform(
            product_code="PC-1", licence_code=code, admin_username="admin", admin_password="Passw0rd2026",
            platform_name="示例集团有限公司", platform_admin_name="张三", platform_admin_mobile="13800138000",
            platform_uscc="91350100M000100Y43"))
        with self.uow() as uow:
            self.org = uow.organizations.get(result.platform_org_id)
            self.member = uow.members.of_org(self.org.id)[0]
            self.seal = Seal(id=self.ids.next_id(), owner_id=self.org.id, name="合同专用章", kind=SealKind.COMPANY,
                             authorized_member_ids=frozenset({self.member.id}), created_at=self.clock.now())
            uow.seals.add(self.seal)
            uow.commit()

    def handle(self, command: Any) -> Any:
        return build_bus(uow=self.uow(), **self.deps).handle(command)

    def contract_cmd(self, doc: int, **overrides: Any) -> CreateContract:
        def stamp(kind: StamperType) -> tuple[StamperSpec, ...]:
            return (StamperSpec(document_id=doc, type=kind, position=PagePosition(1, 0.5, 0.1)),)

        fields: dict[str, Any] = dict(subject="采购合同", ordinal=True, documents=(doc,), signatories=(
            SignatorySpec(tenant_type=TenantType.CORPORATE, tenant_name=self.org.name, serial_no=1, actions=(
                ActionSpec(type=ActionType.CORPORATE, name="盖章", stampers=stamp(StamperType.SEAL_CORPORATE)),)),
            SignatorySpec(tenant_type=TenantType.PERSONAL, tenant_name="王五", serial_no=2, contact="13900139002",
                          actions=(ActionSpec(type=ActionType.PERSONAL, name="签字",
                                              stampers=stamp(StamperType.SEAL_PERSONAL)),)),
        ))
        fields.update(overrides)
        return CreateContract(**fields)

    def sign_company(self, contract_id: int, **kw: Any) -> None:
        self.handle(SignAsCompany(contract_id=contract_id, tenant_name=self.org.name, by_member_id=self.member.id,
                                  **kw))


@pytest.fixture
def site(uow_factory: UowFactory) -> Site:
    return Site(uow_factory)


def test_a_contract_is_signed_completed_and_voided_with_its_files_destroyed(site: Site) -> None:
    doc = site.handle(CreateDocument(title="采购合同", pdf=PDF))
    cmd = site.contract_cmd(doc, biz_id="ORDER-1")
    contract_id = site.handle(cmd)
    assert site.handle(cmd) == contract_id
    with pytest.raises(AlreadyExists):
        site.handle(site.contract_cmd(doc, biz_id="ORDER-1", subject="另一份"))
    site.handle(AddCopyReceivers(contract_id=contract_id, receivers=(CopyReceiver("赵六", "13700137000"),)))
    site.sign_company(contract_id)
    site.handle(SignAsPerson(contract_id=contract_id, name="王五", contact="13900139002",
                             id_number="11010519491231002X"))
    with site.uow() as uow:
        contract = uow.contracts.get(contract_id)
        document = uow.documents.get(doc)
        actions = [e.record.action for e in uow.evidence.entries(contract_id=contract_id)]
        seal_uses = uow.seals.get(site.seal.id).use_count
    assert contract.status is ContractStatus.COMPLETE
    assert [r.name for r in contract.copy_receivers] == ["赵六"]
    assert (document.revisions, len(document.signed_revisions), seal_uses) == (2, 2, 1)
    assert actions.count("contract.signed") == 2 and actions[-1] == "contract.completed"

    files = [ref.key for ref in document.blobs]
    result = site.handle(VoidContract(contract_id=contract_id, reason="作废", remove_original=True,
                                      seal_id=site.seal.id, by_member_id=site.member.id))
    assert (result.status, result.deleted_files) == (ContractStatus.TERMINATING, 0)
    with site.uow() as uow:  # the void statement and its actions survive the round trip through the tables
        voiding = uow.contracts.get(contract_id)
        assert (voiding.status, voiding.void_statement_id, voiding.void_remove_original) == (
            ContractStatus.TERMINATING, result.statement_id, True)
        assert [a.type for s in voiding.signatories for a in s.actions] == [
            ActionType.CORPORATE, ActionType.TERMINATE_CORPORATE, ActionType.PERSONAL, ActionType.TERMINATE_PERSONAL]
        assert uow.documents.get(result.statement_id).revisions == 1
    assert all(key in site.blobs.objects for key in files)
    site.handle(SignAsPerson(contract_id=contract_id, name="王五", contact="13900139002"))
    assert not any(key in site.blobs.objects for key in files)
    with site.uow() as uow:
        assert uow.documents.get(doc).destroyed
        assert not uow.documents.get(result.statement_id).destroyed
        assert uow.contracts.get(contract_id).status is ContractStatus.TERMINATED
        actions = [e.record.action for e in uow.evidence.entries(contract_id=contract_id)]
    assert actions[-5:] == ["contract.void_requested", "contract.void_statement_signed",
                            "contract.void_statement_signed", "contract.voided", "document.destroyed"]


def test_an_unauthorized_seal_commits_nothing(site: Site) -> None:
    doc = site.handle(CreateDocument(title="采购合同", pdf=PDF))
    contract_id = site.handle(site.contract_cmd(doc))
    with site.uow() as uow:
        other = Seal(id=site.ids.next_id(), owner_id=site.org.id, name="财务专用章", kind=SealKind.COMPANY,
                     created_at=site.clock.now())
        uow.seals.add(other)
        uow.commit()
        before = len(list(uow.evidence.entries()))
    with pytest.raises(PermissionDenied):
        site.sign_company(contract_id, seal_id=other.id)
    with site.uow() as uow:
        assert uow.documents.get(doc).revisions == 0
        assert len(list(uow.evidence.entries())) == before
        assert uow.seals.get(other.id).use_count == 0


def test_the_expiry_job_expires_each_contract_in_its_own_unit_of_work(site: Site) -> None:
    docs = [site.handle(CreateDocument(title=f"合同{n}", pdf=PDF + str(n).encode())) for n in range(3)]
    ids = [site.handle(site.contract_cmd(d, expire_time=site.clock.now() + timedelta(days=1))) for d in docs]
    site.clock.advance(days=2)
    assert site.handle(ExpireContracts(batch=2)) == 3
    with site.uow() as uow:
        assert {uow.contracts.get(i).status for i in ids} == {ContractStatus.EXPIRED}

