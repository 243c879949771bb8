"""A small world for the contract use-case tests: an initialised platform enterprise (with a USCC),
its administrator as the member who applies seals, one authorized company seal, and helpers that
drive the bus the way the open API will."""

from __future__ import annotations

from typing import Any

import attrs

from esign_core.model.contract import ActionType, Contract, StamperType
from esign_core.model.org import TenantType
from esign_core.model.seal import Seal, SealKind
from esign_core.services.commands import ChangeSettings
from esign_core.services.contract_signing import SignAsCompany
from esign_core.services.contract_specs import ActionSpec, SignatorySpec, StamperSpec
from esign_core.services.contracts import CreateContract
from esign_core.services.documents import CreateDocument
from esign_core.services.personal_signing import SignAsPerson
from esign_core.testing import InMemoryUnitOfWork
from esign_core.testing.fakes import TestPlatform
from esign_core.values import PagePosition
from tests.unit.conftest import InitCommandFactory

USCC = "91350100M000100Y43"
ID_NUMBER = "11010519491231002X"
PERSON, PERSON_MOBILE = "王五", "13900139002"
PDF_HEAD = b"%PDF-1.7\n1 0 obj<</Type /Page\n>>endobj\n"


def pdf(n: int) -> bytes:
    """A distinct PDF per ``n`` (stored files are content-addressed)."""
    return PDF_HEAD + f"%document {n}\n%%EOF\n".encode()


def at(page: int = 1) -> PagePosition:
    return PagePosition(page, 0.6, 0.1)


@attrs.define
class World:
    platform: TestPlatform
    org_id: int
    org_name: str
    admin_member_id: int
    seal_id: int
    _docs: int = 0

    # -- reading ---------------------------------------------------------------------------------
    def uow(self) -> InMemoryUnitOfWork:
        return InMemoryUnitOfWork(self.platform.uow.db)

    def contract(self, contract_id: int) -> Contract:
        with self.uow() as uow:
            return uow.contracts.get(contract_id)

    def evidence(self, contract_id: int | None = None) -> list[Any]:
        with self.uow() as uow:
            return [e.record for e in uow.evidence.entries(contract_id=contract_id)]

    def actions(self, contract_id: int) -> list[str]:
        return [r.action for r in self.evidence(contract_id)]

    def event_certificates(self) -> list[Any]:
        from esign_core.model.certificate import CertificateKind

        with self.uow() as uow:
            return list(uow.certificates.search(kind=CertificateKind.EVENT))

    # -- arranging -------------------------------------------------------------------------------
    def handle(self, command: Any) -> Any:
        return self.platform.bus.handle(command)

    def settings(self, **changes: Any) -> None:
        self.handle(ChangeSettings("signing", changes))

    def document(self, title: str = "合同正文", *, attachment: bool = False, **kw: Any) -> int:
        self._docs += 1
        return self.handle(CreateDocument(title=title, pdf=pdf(self._docs), attachment=attachment, **kw))

    def add_seal(self, *, authorized: bool = True, kind: SealKind = SealKind.COMPANY, owner_id: int | None = None,
                 name: str = "合同专用章") -> int:
        seal = Seal(id=self.platform.ids.next_id(), owner_id=owner_id or self.org_id, name=name, kind=kind,
                    authorized_member_ids=frozenset({self.admin_member_id} if authorized else ()),
                    created_at=self.platform.clock.now())
        with self.uow() as uow:
            uow.seals.add(seal)
            uow.commit()
        return seal.id

    def two_party(self, docs: tuple[int, ...] | None = None, **overrides: Any) -> CreateContract:
        """The platform enterprise seals first, then 王五 signs (ordinal), each on every document."""
        docs = docs or (self.document(),)
        company = SignatorySpec(
            tenant_type=TenantType.CORPORATE, tenant_name=self.org_name, serial_no=1,
            actions=(ActionSpec(type=ActionType.CORPORATE, name="甲方盖章", stampers=tuple(
                StamperSpec(document_id=d, type=StamperType.SEAL_CORPORATE, position=at()) for d in docs)),),
        )
        person = SignatorySpec(
            tenant_type=TenantType.PERSONAL, tenant_name=PERSON, serial_no=2, contact=PERSON_MOBILE,
            actions=(ActionSpec(type=ActionType.PERSONAL, name="乙方签字", stampers=tuple(
                StamperSpec(document_id=d, type=StamperType.SEAL_PERSONAL, position=at(-1)) for d in docs)),),
        )
        fields: dict[str, Any] = {"subject": "采购合同", "ordinal": True, "documents": docs,
                                  "signatories": (company, person)}
        fields.update(overrides)
        return CreateContract(**fields)

    def create(self, **overrides: Any) -> int:
        return self.handle(self.two_party(**overrides))

    def sign_company(self, contract_id: int, **kw: Any) -> None:
        fields: dict[str, Any] = {"contract_id": contract_id, "tenant_name": self.org_name,
                                  "by_member_id": self.admin_member_id}
        fields.update(kw)
        self.handle(SignAsCompany(**fields))

    def sign_person(self, contract_id: int, **kw: Any) -> None:
        fields: dict[str, Any] = {"contract_id": contract_id, "name": PERSON, "contact": PERSON_MOBILE,
                                  "id_number": ID_NUMBER}
        fields.update(kw)
        self.handle(SignAsPerson(**fields))


def make_world(platform: TestPlatform, init_command: InitCommandFactory) -> World:
    result = platform.bus.handle(init_command(platform_uscc=USCC))
    with InMemoryUnitOfWork(platform.uow.db) as uow:
        org = uow.organizations.get(result.platform_org_id)
        admin = next(m for m in uow.members.of_org(org.id))
    world = World(platform, org.id, org.name, admin.id, 0)
    world.seal_id = world.add_seal()
    return world
