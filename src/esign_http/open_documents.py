"""Open API documents and look-ups (reference §2.1, §5 rows 1–3, 13): create a document from
uploaded files of any §2.1 type (converted, merged in order and watermarked by BuildDocument) or
from an HTML string, sponsor-only attachments, documents added to a draft contract, download,
and an enterprise's business categories and seals. Also the app scoping every contract endpoint
applies (:func:`require_contract_scope`)."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body

from esign_core.errors import InvalidValue, PermissionDenied
from esign_core.model.contract import Contract
from esign_core.model.org import TenantType
from esign_core.ports.conversion import Watermark
from esign_core.services.contract_queries import GetDocumentFile, ListCategories, ListSeals
from esign_core.services.contract_refs import ContractCommand, load_contract
from esign_core.services.document_build import BuildDocument, SourceFile
from esign_core.services.document_watermark import WatermarkDocument
from esign_core.services.documents import CreateDocument
from esign_http.context import client_ip, platform_of
from esign_http.open_auth import app_of
from esign_http.open_schemas import Fields, category_out, envelope, seal_out

Req = Request[Any, Any, Any]
Multipart = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]
#: §2.1: what every create*/add* call accepts; /v2/document/createbyfile also takes rtf and xls.
FILE_TYPES = ("doc", "docx", "txt", "pdf", "png", "gif", "jpg", "jpeg", "tiff", "html")
V2_FILE_TYPES = (*FILE_TYPES, "rtf", "xls")
_ALIASES = {"tif": "tiff", "htm": "html"}
MAX_UPLOAD_BYTES = 100 * 1024 * 1024
MAX_HTML_CHARS = 10 * 1024 * 1024
_WATERMARK_FIELDS = {"type": "type", "content": "content", "fontSize": "font_size", "color": "color",
                     "rotateAngle": "rotate_angle", "transparency": "transparency", "scaling": "scaling",
                     "location": "location"}
_WATERMARK_WIRE = {v: k for k, v in _WATERMARK_FIELDS.items()}


def actor_of(request: Request[Any, Any, Any]) -> str:
    """Who the evidence names: the integration app."""
    return f"open:{app_of(request).name}"


def _who(request: Req) -> dict[str, Any]:
    return {"actor": actor_of(request), "ip": client_ip(request)}


# -- app scoping -------------------------------------------------------------------------------
_PLATFORM_ORG_ID = "_open_platform_org_id"


def platform_org_id(request: Req) -> int | None:
    """The platform enterprise's id, read once per process: it is created when the platform is
    initialised and never changes, and every open API request asks whether its app belongs to it
    (a statement and a pooled connection per request before, ADR 0049). None before setup."""
    platform = platform_of(request)
    cached: int | None = getattr(platform, _PLATFORM_ORG_ID, None)
    if cached is None:
        with platform.uow() as uow:
            org = uow.organizations.platform()
        if org is None:
            return None
        cached = org.id
        setattr(platform, _PLATFORM_ORG_ID, cached)
    return cached


def require_contract_scope(request: Req, ref: dict[str, Any]) -> Contract | None:
    """Refuse (PermissionDenied → code 1000000, HTTP 200) an app bound to an enterprise other than
    the platform enterprise acting on a contract that enterprise neither sponsors (tenant) nor
    signs (a company signatory of that name). ``ref`` is :meth:`Fields.contract_ref`. Returns the
    contract when it was loaded (scoped apps), None for platform apps; raises NotFoundError."""
    app = app_of(request)
    if app.tenant_id == platform_org_id(request):
        return None
    with platform_of(request).uow() as uow:
        contract = load_contract(uow, ContractCommand(**ref))
        enterprise = uow.organizations.get(app.tenant_id)
    if contract.tenant_id == app.tenant_id or any(
            s.tenant_type is not TenantType.PERSONAL and s.tenant_name == enterprise.name
            for s in contract.signatories):
        return contract
    raise PermissionDenied("no permission: the contract belongs to another enterprise",
                           field="contractId" if ref.get("contract_id") is not None else "bizId")


def scoped_tenant_name(request: Req, tenant_name: str | None) -> str | None:
    """The sponsor of a contract a scoped app creates: its own enterprise (the default); naming
    another enterprise is refused. Platform apps keep ``tenant_name`` as given."""
    app = app_of(request)
    if app.tenant_id == platform_org_id(request):
        return tenant_name
    with platform_of(request).uow() as uow:
        enterprise = uow.organizations.get(app.tenant_id)
    if tenant_name and tenant_name != enterprise.name:
        raise PermissionDenied("no permission: an app creates contracts for its own enterprise", field="tenantName")
    return enterprise.name


# -- request fields ----------------------------------------------------------------------------
def _uploads(data: dict[str, Any], field: str) -> list[UploadFile]:
    value = data.get(field)
    items = value if isinstance(value, list) else [value]
    return [u for u in items if isinstance(u, UploadFile)]


def _read(upload: UploadFile, field: str) -> bytes:
    content = upload.file.read(MAX_UPLOAD_BYTES + 1)
    if len(content) > MAX_UPLOAD_BYTES:
        raise InvalidValue(field, f"{field} is larger than 100 MiB")
    if not content:
        raise InvalidValue(field, f"{field} is empty")
    return content


def _file_bytes(data: dict[str, Any], field: str = "file") -> tuple[bytes, str]:
    uploads = _uploads(data, field)
    if not uploads:
        raise InvalidValue(field, f"{field} is required (a multipart file)")
    return _read(uploads[0], field), uploads[0].filename or ""


def _kind(filename: str, file_type: str | None, allowed: tuple[str, ...], field: str = "fileType") -> str:
    """The file type (``fileType`` wins over the extension; no extension: pdf), within ``allowed``."""
    if file_type:
        kind = file_type.strip().lower().lstrip(".")
    else:
        kind = filename.rsplit(".", 1)[-1].lower() if "." in filename else "pdf"
        field = "file"
    kind = _ALIASES.get(kind, kind)
    if kind not in allowed:
        raise InvalidValue(field, f"{field}: the type must be one of {', '.join(allowed)}")
    return kind


def parse_watermarks(data: dict[str, Any], key: str = "waterMarks") -> tuple[Watermark, ...]:
    """``waterMarks``: a JSON-string array of WaterMark (§3) → Watermark value objects. Bad JSON
    or values raise InvalidValue naming ``waterMarks`` or ``waterMarks[i].<field>``."""
    raw = data.get(key)
    if isinstance(raw, list) and raw and isinstance(raw[0], str):
        raw = raw[0]
    if raw is None or raw == "":
        return ()
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise InvalidValue(key, f"{key} must be a JSON array of WaterMark") from None
    if isinstance(raw, dict):
        raw = [raw]
    if not isinstance(raw, list):
        raise InvalidValue(key, f"{key} must be a JSON array of WaterMark")
    return tuple(_watermark(Fields(item, f"{key}[{i}]") if isinstance(item, dict) else _not_object(key, i))
                 for i, item in enumerate(raw))


def _not_object(key: str, index: int) -> Fields:
    raise InvalidValue(f"{key}[{index}]", f"{key}[{index}] must be a WaterMark object")


def _watermark(m: Fields) -> Watermark:
    values: dict[str, Any] = {}
    for wire, attr in _WATERMARK_FIELDS.items():
        if not m.has(wire):
            continue
        if attr == "font_size":
            values[attr] = m.integer(wire)
        elif attr in ("rotate_angle", "transparency", "scaling"):
            values[attr] = m.number(wire)
        else:
            values[attr] = m.text(wire, max_len=200)
    image = m.text("imageBase64", max_len=4_000_000)
    if image:
        try:
            values["image_png"] = base64.b64decode(image.split(",", 1)[-1], validate=True)
        except (binascii.Error, ValueError):
            raise InvalidValue(m.name("imageBase64"), f"{m.name('imageBase64')} must be base64") from None
    try:
        return Watermark(**values)
    except InvalidValue as exc:
        field = _WATERMARK_WIRE.get(exc.field, exc.field)
        raise InvalidValue(m.name(field), f"{m.name(field)}: {exc.message}") from None


def _create(request: Req, *, title: str, files: list[tuple[bytes, str, str]], watermarks: tuple[Watermark, ...],
            attachment: bool = False, ref: dict[str, Any] | None = None) -> str:
    """One document from ``(bytes, filename, file type)`` files: a single PDF without watermarks
    is stored as is (CreateDocument), anything else goes through BuildDocument."""
    ref = ref or {}
    if len(files) == 1 and files[0][2] == "pdf" and not watermarks:
        command: CreateDocument | BuildDocument = CreateDocument(
            title=title, pdf=files[0][0], attachment=attachment, **ref, **_who(request))
    else:
        sources = tuple(SourceFile(content, filename=name, file_type=kind) for content, name, kind in files)
        command = BuildDocument(title=title, files=sources, watermarks=watermarks, attachment=attachment,
                                **ref, **_who(request))
    return str(platform_of(request).handle(command))


def _from_file(request: Req, data: dict[str, Any], *, file_type: str | None = None,
               allowed: tuple[str, ...] = FILE_TYPES, attachment: bool = False, contract: bool = False,
               with_watermarks: bool = True) -> str:
    f = Fields(data)
    title = f.text("title", required=True, max_len=200) or ""
    ref = None
    if contract:
        ref = f.contract_ref()
        require_contract_scope(request, ref)
    content, filename = _file_bytes(data)
    kind = _kind(filename, file_type, allowed)
    marks = parse_watermarks(data) if with_watermarks else ()
    return _create(request, title=title, files=[(content, filename, kind)], watermarks=marks,
                   attachment=attachment, ref=ref)


# -- endpoints ---------------------------------------------------------------------------------
@post("/document/createbyfile", sync_to_thread=True, status_code=200)
def create_by_file(request: Req, data: Multipart) -> dict[str, Any]:
    """``file``, ``title``, ``waterMarks`` → ``documentId`` (flat); the type is the extension."""
    return envelope(documentId=_from_file(request, data))


@post("/v2/document/createbyfile", sync_to_thread=True, status_code=200)
def create_by_file_v2(request: Req, data: Multipart) -> dict[str, Any]:
    """``file``, ``title``, ``fileType``, ``waterMarks`` → ``result.documentId``."""
    file_type = Fields(data).text("fileType", required=True)
    return envelope(result={"documentId": _from_file(request, data, file_type=file_type, allowed=V2_FILE_TYPES)})


@post("/document/createbyfiles", sync_to_thread=True, status_code=200)
def create_by_files(request: Req, data: Multipart) -> dict[str, Any]:
    """``files`` (repeated), ``title``, ``waterMarks`` → ``documentId``: merged in order."""
    f = Fields(data)
    title = f.text("title", required=True, max_len=200) or ""
    uploads = _uploads(data, "files")
    if not uploads:
        raise InvalidValue("files", "files is required (one or more multipart files)")
    files = []
    for i, upload in enumerate(uploads):
        name = upload.filename or ""
        files.append((_read(upload, f"files[{i}]"), name, _kind(name, None, FILE_TYPES, f"files[{i}]")))
    return envelope(documentId=_create(request, title=title, files=files, watermarks=parse_watermarks(data)))


@post("/document/createbyhtml", sync_to_thread=True, status_code=200)
def create_by_html(request: Req, data: Multipart) -> dict[str, Any]:
    """``html`` (a string), ``title``, ``waterMarks`` → ``documentId``."""
    f = Fields(data)
    title = f.text("title", required=True, max_len=200) or ""
    html = f.text("html", required=True, max_len=MAX_HTML_CHARS) or ""
    return envelope(documentId=_create(request, title=title, files=[(html.encode("utf-8"), "", "html")],
                                       watermarks=parse_watermarks(data)))


@post("/document/createsponsorfile", sync_to_thread=True, status_code=200)
def create_sponsor_file(request: Req, data: Multipart) -> dict[str, Any]:
    """``file``, ``title`` → ``documentId``: an attachment only the sponsor sees, never signed."""
    return envelope(documentId=_from_file(request, data, attachment=True, with_watermarks=False))


@post("/document/addbyfile", sync_to_thread=True, status_code=200)
def add_by_file(request: Req, data: Multipart) -> dict[str, Any]:
    """``file``, ``title``, ``contractId``|``bizId`` (a DRAFT), ``waterMarks`` → ``documentId``."""
    return envelope(documentId=_from_file(request, data, contract=True))


@post("/document/addsponsorfile", sync_to_thread=True, status_code=200)
def add_sponsor_file(request: Req, data: Multipart) -> dict[str, Any]:
    """``file``, ``title``, ``contractId``|``bizId`` (a DRAFT) → ``documentId`` (an attachment)."""
    return envelope(documentId=_from_file(request, data, attachment=True, contract=True, with_watermarks=False))


@get("/document/download", sync_to_thread=True)
def download_document(request: Request[Any, Any, Any]) -> Response[bytes]:
    """``documentId`` → the document's current PDF. A scoped app may download the documents of
    its enterprise's contracts and documents not (yet) part of any contract."""
    document_id = Fields(dict(request.query_params)).id("documentId", required=True)
    found = platform_of(request).handle(GetDocumentFile(document_id=document_id))
    if found.document.contract_id is not None:
        require_contract_scope(request, {"contract_id": found.document.contract_id, "biz_id": None})
    return Response(found.pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f"attachment;fileName={found.document.id}.pdf"})


@post("/document/addwatermark", sync_to_thread=True, status_code=200)
def add_watermark(request: Req, data: dict[str, Any]) -> dict[str, Any]:
    """JSON: ``documentId`` and the WaterMark fields (§3; default position the centre) →
    code/message. The current PDF with the mark drawn becomes a new revision of the document;
    a signed document, or one of a contract past its draft, is refused."""
    if not isinstance(data, dict):
        raise InvalidValue("documentId", "the body must be a JSON object")
    f = Fields(data)
    document_id = f.id("documentId", required=True)
    mark = _watermark(f)
    platform = platform_of(request)
    with platform.uow() as uow:
        contract_id = uow.documents.get(document_id).contract_id  # type: ignore[arg-type]
    if contract_id is not None:
        require_contract_scope(request, {"contract_id": contract_id, "biz_id": None})
    platform.handle(WatermarkDocument(document_id=document_id, watermarks=(mark,), **_who(request)))
    return envelope()


@get("/contract/categories", sync_to_thread=True)
def list_categories(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """``companyName`` (default: the platform enterprise) → ``categories`` (flat)."""
    name = Fields(dict(request.query_params)).text("companyName", max_len=100)
    found = platform_of(request).handle(ListCategories(company_name=name))
    return envelope(categories=[category_out(c) for c in found])


@get("/seal/list", sync_to_thread=True)
def list_seals(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """``companyName`` → the seals under ``result`` and, as the v4 example shows, ``list``."""
    name = Fields(dict(request.query_params)).text("companyName", max_len=100)
    seals = [seal_out(s) for s in platform_of(request).handle(ListSeals(company_name=name))]
    return envelope(result=seals, list=seals)


DOCUMENT_HANDLERS = [create_by_file, create_by_file_v2, create_by_files, create_by_html, create_sponsor_file,
                     add_by_file, add_sponsor_file, add_watermark, download_document, list_categories, list_seals]
