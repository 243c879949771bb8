"""Templates on the open API (reference §2.1 createbytemplate / addbytemplate, §2.7 template list):
a document filled from a console template, its parameter values checked by the template's types."""

from __future__ import annotations

import json
from typing import Any

from litestar import Request, get, post

from esign_core.errors import InvalidValue
from esign_core.model.template import Template, TemplateKind
from esign_core.services.templates import CreateDocumentFromTemplate, ListTemplates
from esign_http.context import platform_of
from esign_http.open_documents import Multipart, actor_of, require_contract_scope
from esign_http.open_schemas import Fields, envelope

_TYPE_NAMES = {TemplateKind.HTML: "HTML", TemplateKind.PDF_FORM: "WORD_FORM"}  # v4 templateType values


def _params(data: dict[str, Any]) -> dict[str, Any]:
    raw = data.get("params")
    if raw in (None, ""):
        return {}
    try:
        values = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        raise InvalidValue("params", "params must be a JSON object of parameter name → value") from None
    if not isinstance(values, dict):
        raise InvalidValue("params", "params must be a JSON object of parameter name → value")
    return values


def _from_template(request: Request[Any, Any, Any], data: dict[str, Any], *, contract: bool) -> str:
    f = Fields(data)
    template_id = f.id("templateId", required=True)
    ref = f.contract_ref() if contract else {}
    if contract:
        require_contract_scope(request, ref)
    command = CreateDocumentFromTemplate(template_id=template_id, values=_params(data), title=f.text("title"),
                                         actor=actor_of(request), **ref)
    return str(platform_of(request).handle(command))


@post("/document/createbytemplate", sync_to_thread=True, status_code=200)
def create_by_template(request: Request[Any, Any, Any], data: Multipart) -> dict[str, Any]:
    """``templateId``, ``params`` (JSON string), ``title`` → ``documentId``."""
    return envelope(documentId=_from_template(request, data, contract=False))


@post("/document/addbytemplate", sync_to_thread=True, status_code=200)
def add_by_template(request: Request[Any, Any, Any], data: Multipart) -> dict[str, Any]:
    """Like createbytemplate, into the DRAFT contract ``contractId``|``bizId``."""
    return envelope(documentId=_from_template(request, data, contract=True))


def _template_out(t: Template) -> dict[str, Any]:
    return {
        "id": str(t.id), "title": t.title, "templateType": _TYPE_NAMES[t.kind],
        "type": "html" if t.kind is TemplateKind.HTML else "pdf", "status": 1,
        "createTime": t.created_at.strftime("%Y-%m-%d %H:%M:%S"),
        "params": [{"name": p.name, "type": p.type.value, "required": p.required} for p in t.params],
    }


@get("/template/list", sync_to_thread=True)
def list_templates(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """``type`` (ALL|HTML|WORD), ``pageNo`` (1), ``pageSize`` (10) → ``result``: enabled templates."""
    f = Fields(dict(request.query_params))
    kind = f.enum("type", {"ALL": None, "HTML": TemplateKind.HTML, "WORD": TemplateKind.PDF_FORM}) if f.has(
        "type") else None
    page_no = f.integer("pageNo", 1) or 1
    page_size = f.integer("pageSize", 10) or 10
    if page_no < 1 or not 1 <= page_size <= 1000:
        raise InvalidValue("pageSize", "pageNo starts at 1 and pageSize is 1 to 1000")
    found = [t for t in platform_of(request).handle(ListTemplates(kind=kind)) if t.status.value == "ENABLED"]
    page = found[(page_no - 1) * page_size: page_no * page_size]
    return envelope(result=[_template_out(t) for t in page])


TEMPLATE_HANDLERS = [create_by_template, add_by_template, list_templates]
