"""``/document/addwatermark``: a watermark drawn on an existing document becomes a new revision
(the original stays, the evidence names both hashes); signed documents and documents of a contract
past its draft are refused."""

from __future__ import annotations

import hashlib

from test_open_api import PERSON, contract_request, ok, upload, world

from esign_core.services.evidence import verify_evidence

__all__ = ["world"]  # the fixture, shared with test_open_api.py


def test_a_watermark_on_a_stored_document_makes_a_new_revision(world) -> None:  # type: ignore[no-untyped-def]
    api, platform = world["api"], world["platform"]
    document_id = upload(api)
    before = api.get("/document/download", documentId=document_id).content
    ok(api.post_json("/document/addwatermark", {"documentId": document_id, "content": "内部资料 仅供审阅",
                                                "fontSize": 30, "color": "#FF0000", "rotateAngle": 45,
                                                "transparency": 0.5, "location": "TILE"}))
    after = api.get("/document/download", documentId=document_id).content
    assert after != before and after.startswith(b"%PDF")
    with platform.uow() as uow:
        doc = uow.documents.get(int(document_id))
        assert doc.revisions == 1
        assert doc.original.digest.hex == hashlib.sha256(before).hexdigest()
        assert doc.current.digest.hex == hashlib.sha256(after).hexdigest()
        entries = [e for e in uow.evidence.entries() if e.record.action == "document.watermarked"]
    assert entries and entries[-1].record.details["previous_sha256"] == doc.original.digest.hex
    assert verify_evidence(uow=platform.uow_factory()).ok


def test_watermarks_are_validated_and_named(world) -> None:  # type: ignore[no-untyped-def]
    api = world["api"]
    document_id = upload(api)
    refused = api.post_json("/document/addwatermark", {"documentId": document_id, "type": "TEXT"}).json()
    assert refused["code"] == 1000001 and refused["message"].startswith("content")
    missing = api.post_json("/document/addwatermark", {"content": "x"}).json()
    assert missing["code"] == 1000001 and "documentId" in missing["message"]
    unknown = api.post_json("/document/addwatermark", {"documentId": "123", "content": "x"}).json()
    assert unknown["code"] != 0


def test_signed_documents_and_sent_contracts_are_refused(world) -> None:  # type: ignore[no-untyped-def]
    api = world["api"]
    document_id = upload(api)
    contract_id = ok(api.post_json("/contract/createbycategory",
                                   contract_request(document_id, world["org_name"], biz_id="wm-1")))["contractId"]
    sent = api.post_json("/document/addwatermark", {"documentId": document_id, "content": "晚了"}).json()
    assert sent["code"] != 0
    ok(api.post_json("/contract/signbycompany", {
        "contractId": contract_id, "tenantName": world["org_name"],
        "stampers": [{"documentId": document_id, "type": "SEAL_CORPORATE", "sealId": world["seal_id"],
                      "page": 1, "x": 0.1, "y": 0.1}]}))
    signed = api.post_json("/document/addwatermark", {"documentId": document_id, "content": "晚了"}).json()
    assert signed["code"] != 0
    ok(api.post_json("/contract/signbyperson", {"contractId": contract_id, **PERSON}))
