"""In-site messages in the signing portal: an internal member's unread count in the header,
the message list, marking one read; a personal signer sees no badge."""

from __future__ import annotations

import re

import pytest
from http_flows import PLATFORM, activate, csrf_of

from esign_core.model.contract import ActionType, StamperType
from esign_core.model.org import TenantType
from esign_core.model.policy import SignerVerification, SigningSettings
from esign_core.services.contract_specs import ActionSpec, SignatorySpec, StamperSpec
from esign_core.services.contracts import CreateContract
from esign_core.services.documents import CreateDocument
from esign_core.services.messaging import NotifySealEvent, SetNoticeEnabled
from esign_core.values import PagePosition
from esign_http.portal_view import load_view, portal_links
from tests.http.test_portal import contract_pdf


def _link(platform, tenant_type: TenantType, name: str, contact: str) -> str:  # type: ignore[no-untyped-def]
    doc = platform.handle(CreateDocument(title="用印合同", pdf=contract_pdf()))
    corporate = tenant_type is not TenantType.PERSONAL
    stamp = (StamperSpec(document_id=doc, type=StamperType.SEAL_CORPORATE if corporate else StamperType.SEAL_PERSONAL,
                         position=PagePosition(1, 0.5, 0.2)),)
    action = ActionSpec(type=ActionType.CORPORATE if corporate else ActionType.PERSONAL, name="盖章", stampers=stamp)
    contract_id = platform.handle(CreateContract(subject="用印合同", documents=(doc,), signatories=(
        SignatorySpec(tenant_type=tenant_type, tenant_name=name, serial_no=1, contact=contact, actions=(action,)),)))
    with platform.uow() as uow:
        signatory = uow.contracts.get(contract_id).signatories[0]
        uow.settings.put(SigningSettings(signer_verification=SignerVerification.NONE))
        uow.commit()
    return portal_links(platform).issue(contract_id, signatory.id, contact)


@pytest.fixture
def member_link(client, platform, licence_for):  # type: ignore[no-untyped-def]
    activate(client, platform, licence_for(platform.product_code))
    url = _link(platform, TenantType.CORPORATE, PLATFORM["platform_name"], PLATFORM["admin_mobile"])
    token = url.split("viewToken=", 1)[1]
    view = load_view(platform, portal_links(platform).verify(token))
    assert view.member_id is not None
    return url[url.index("/portal/"):], token, view.member_id


def test_unread_messages_show_in_the_portal_header_and_can_be_read(client, platform, member_link):
    path, token, member_id = member_link
    assert 'data-unread="0"' in client.get(path).text
    for i, event in enumerate(("seal_apply_approved", "seal_unlocked")):
        platform.handle(NotifySealEvent(event, user_id=member_id, key=f"n{i}",
                                        params={"subject": "借用公章", "seal": "合同专用章"}))
    platform.handle(NotifySealEvent("seal_apply_approved", user_id=member_id, key="n0", params={"subject": "x"}))
    page = client.get(path).text
    assert re.search(r'id="inbox-unread" data-unread="2"', page)
    inbox = client.get(f"/portal/messages?viewToken={token}")
    assert inbox.status_code == 200 and "《借用公章》的印章合同专用章已解锁" in inbox.text
    first = re.search(r'<li data-id="(\d+)" data-unread="true">', inbox.text).group(1)  # type: ignore[union-attr]
    r = client.post("/portal/messages/read", data={"_csrf_token": csrf_of(inbox.text), "viewToken": token,
                                                    "message_id": first}, follow_redirects=False)
    assert r.status_code in (302, 303)
    assert 'data-unread="1"' in client.get(path).text
    assert (platform.settings.data_dir / "dev-push.log").read_text(encoding="utf-8").count("\"user_id\"") == 3


def test_a_disabled_event_does_not_reach_the_inbox(client, platform, member_link):
    path, _, member_id = member_link
    platform.handle(SetNoticeEnabled("inbox", "seal_use_finished", False))
    assert platform.handle(NotifySealEvent("seal_use_finished", user_id=member_id, key="k",
                                           params={"subject": "s"})) == {"inbox": False, "push": True}
    assert 'data-unread="0"' in client.get(path).text


def test_a_personal_signer_has_no_inbox_badge(client, platform, licence_for):
    activate(client, platform, licence_for(platform.product_code))
    url = _link(platform, TenantType.PERSONAL, "王五", "13900009002")
    page = client.get(url[url.index("/portal/"):]).text
    assert 'id="inbox-unread"' not in page
