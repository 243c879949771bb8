"""The legal representative's (LP) seal in the portal: a company signatory whose turn is its LP
action chooses one of the LP seals they are authorized for and signs through SignAsLegalPerson."""

from __future__ import annotations

from http_flows import PLATFORM, activate, csrf_of
from test_portal import contract_pdf, contract_status

from esign_core.model.contract import ActionType, ContractStatus, StamperType
from esign_core.model.org import TenantType
from esign_core.model.seal import SealKind
from esign_core.services.contract_signing import SignAsCompany
from esign_core.services.contract_specs import ActionSpec, SignatorySpec, StamperSpec
from esign_core.services.contracts import CreateContract
from esign_core.services.documents import CreateDocument
from esign_core.services.seals import CreateSeal
from esign_core.values import PagePosition
from esign_http.portal_view import portal_links


def test_the_legal_person_seal_is_chosen_and_applied_in_the_portal(client, platform, licence_for) -> None:  # type: ignore[no-untyped-def]
    activate(client, platform, licence_for(platform.product_code))
    with platform.uow() as uow:
        org = uow.organizations.platform()
    admin = org.admin_member_id
    company_seal = platform.handle(CreateSeal(owner_id=org.id, kind=SealKind.COMPANY, name="合同专用章",
                                              authorize_member_ids=(admin,)))
    lp_seal = platform.handle(CreateSeal(owner_id=org.id, kind=SealKind.LP, name="法人章",
                                         authorize_member_ids=(admin,)))
    doc = platform.handle(CreateDocument(title="采购合同", pdf=contract_pdf()))

    def at(kind: StamperType, x: float) -> tuple[StamperSpec, ...]:
        return (StamperSpec(document_id=doc, type=kind, position=PagePosition(1, x, 0.2)),)

    contract_id = platform.handle(CreateContract(subject="采购合同", documents=(doc,), signatories=(
        SignatorySpec(tenant_type=TenantType.CORPORATE, tenant_name=org.name, serial_no=1, actions=(
            ActionSpec(type=ActionType.CORPORATE, name="盖章", serial_no=1,
                       stampers=at(StamperType.SEAL_CORPORATE, 0.2)),
            ActionSpec(type=ActionType.LP, name="法定代表人", serial_no=2,
                       stampers=at(StamperType.SEAL_CORPORATE, 0.6)),
        )),)))
    platform.handle(SignAsCompany(contract_id=contract_id, tenant_name=org.name, by_member_id=admin,
                                  seal_id=company_seal))
    with platform.uow() as uow:
        signatory = uow.contracts.get(contract_id).signatories[0]
    url = portal_links(platform).issue(contract_id, signatory.id, PLATFORM["admin_mobile"])
    token, path = url.split("viewToken=", 1)[1], url[url.index("/portal/"):]

    page = client.get(path)
    sent = client.post("/portal/sms/send", data={"_csrf_token": csrf_of(page.text), "viewToken": token})
    code = platform.sms.last_code(PLATFORM["admin_mobile"])
    verified = client.post("/portal/sms/verify", data={"_csrf_token": csrf_of(sent.text), "viewToken": token,
                                                       "code": code}, follow_redirects=False)
    assert verified.status_code in (302, 303), verified.text
    page = client.get(path)
    assert 'id="lp-seals"' in page.text and f'value="{lp_seal}"' in page.text
    assert f'value="{company_seal}"' not in page.text  # the company seal is not a legal person's seal
    signed = client.post("/portal/sign", data={"_csrf_token": csrf_of(page.text), "viewToken": token,
                                               "confirm": "on", "seal_id": str(lp_seal)}, follow_redirects=False)
    assert signed.status_code in (302, 303), signed.text
    assert contract_status(platform, contract_id) is ContractStatus.COMPLETE
    with platform.uow() as uow:
        pdf = platform.blob_store.read(uow.documents.get(doc).current)
        actions = uow.contracts.get(contract_id).signatories[0].actions
        used = [e.record.details.get("seal_id") for e in uow.evidence.entries(contract_id=contract_id)
                if e.record.action == "contract.signed"]
    assert [a.status.value for a in actions] == ["SIGNED", "SIGNED"]
    assert used == [str(company_seal), str(lp_seal)]
    report = platform.validator.validate(pdf)
    assert report.indication.value == "TOTAL_PASSED"
