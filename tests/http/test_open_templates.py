"""Templates on /open: createbytemplate, addbytemplate and template/list, with typed parameters."""

from __future__ import annotations

import io
import json

import pypdfium2
import pytest
from http_flows import activate
from test_open_api import QysClient, contract_request, ok, upload

from esign_core.model.seal import SealKind
from esign_core.model.template import ParamType, TemplateKind, TemplateParam
from esign_core.services.integration import CreateApp
from esign_core.services.seals import CreateSeal
from esign_core.services.templates import CreateTemplate

HTML = """<html><head><meta charset="utf-8"></head><body>
<h1>采购合同</h1><p>甲方：{{ buyer }}</p><p>签订日期：{{ signed_on }}</p></body></html>"""


@pytest.fixture
def world(client, platform, licence_for):  # type: ignore[no-untyped-def]
    """Activated platform, an app and the enterprise's seal (as in test_open_api)."""
    activate(client, platform, licence_for(platform.product_code))
    with platform.uow() as uow:
        org = uow.organizations.platform()
    platform.handle(CreateSeal(owner_id=org.id, kind=SealKind.COMPANY, name="合同专用章",
                               authorize_member_ids=(org.admin_member_id,)))
    credentials = platform.handle(CreateApp(name="ERP"))
    return {"api": QysClient(client, credentials.app_token, credentials.app_secret), "org_name": org.name,
            "platform": platform}


def _template(world) -> str:  # type: ignore[no-untyped-def]
    params = (TemplateParam("buyer", ParamType.TEXT, required=True), TemplateParam("signed_on", ParamType.DATE))
    command = CreateTemplate(title="采购合同模板", kind=TemplateKind.HTML, source=HTML.encode(), params=params)
    return str(world["platform"].handle(command))


def test_a_document_is_created_from_a_template_with_checked_values(world) -> None:  # type: ignore[no-untyped-def]
    api, tid = world["api"], _template(world)
    listed = ok(api.get("/template/list"))["result"]
    assert [t["id"] for t in listed] == [tid] and listed[0]["templateType"] == "HTML"
    values = json.dumps({"buyer": "示例科技有限公司", "signed_on": "2026-01-02"})
    body = ok(api.post_form("/document/createbytemplate", {"templateId": tid, "title": "合同一", "params": values}))
    pdf = api.get("/document/download", documentId=body["documentId"]).content
    text = pypdfium2.PdfDocument(io.BytesIO(pdf))[0].get_textpage().get_text_range()
    assert "示例科技有限公司" in text and "2026-01-02" in text


def test_bad_template_values_are_parameter_errors_naming_the_parameter(world) -> None:  # type: ignore[no-untyped-def]
    api, tid = world["api"], _template(world)
    body = api.post_form("/document/createbytemplate", {
        "templateId": tid, "params": json.dumps({"buyer": "x", "signed_on": "2026-02-30"})}).json()
    assert body["code"] == 1000001 and "signed_on" in body["message"]
    body = api.post_form("/document/createbytemplate", {"templateId": tid, "params": "{not json"}).json()
    assert body["code"] == 1000001 and body["message"].startswith("params")
    body = api.post_form("/document/createbytemplate", {"templateId": tid, "params": "{}"}).json()
    assert body["code"] == 1000001 and "buyer" in body["message"]


def test_addbytemplate_puts_the_document_into_a_draft(world) -> None:  # type: ignore[no-untyped-def]
    api, tid = world["api"], _template(world)
    draft = ok(api.post_json("/contract/createbycategory",
                             contract_request(upload(api), world["org_name"], biz_id="TPL-1", send=False)))
    body = ok(api.post_form("/document/addbytemplate", {
        "templateId": tid, "contractId": draft["contractId"], "params": json.dumps({"buyer": "乙方公司"})}))
    detail = ok(api.get("/contract/detail", contractId=draft["contractId"]))["contract"]
    assert body["documentId"] in [d["id"] for d in detail["documents"]]
