"""Open API documents and look-ups (reference §2.1, §5 rows 1–3, 13): create a document from an
uploaded PDF, download it, list an enterprise's business categories and seals."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body

from esign_core.errors import InvalidValue
from esign_core.services.contract_queries import GetDocumentFile, ListCategories, ListSeals
from esign_core.services.documents import CreateDocument
from esign_http.context import client_ip, platform_of
from esign_http.open_auth import app_of
from esign_http.open_schemas import Fields, category_out, envelope, seal_out

Multipart = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]
FILE_TYPES = ("doc", "docx", "txt", "pdf", "png", "gif", "jpg", "jpeg", "tiff", "html", "rtf", "xls")
MAX_UPLOAD_BYTES = 100 * 1024 * 1024


def actor_of(request: Request[Any, Any, Any]) -> str:
    """Who the evidence names: the integration app."""
    return f"open:{app_of(request).name}"


def _file_bytes(data: dict[str, Any], field: str = "file") -> tuple[bytes, str]:
    upload = data.get(field)
    if isinstance(upload, list):
        upload = upload[0] if upload else None
    if not isinstance(upload, UploadFile):
        raise InvalidValue(field, f"{field} is required (a multipart file)")
    content = upload.file.read(MAX_UPLOAD_BYTES + 1)
    if len(content) > MAX_UPLOAD_BYTES:
        raise InvalidValue(field, f"{field} is larger than 100 MiB")
    return content, upload.filename or ""


def _create_document(request: Request[Any, Any, Any], data: dict[str, Any], file_type: str | None) -> str:
    fields = Fields(data)
    title = fields.text("title", required=True, max_len=200) or ""
    content, filename = _file_bytes(data)
    if file_type:
        kind = file_type.lower()
        if kind not in FILE_TYPES:
            raise InvalidValue("fileType", f"fileType must be one of {', '.join(FILE_TYPES)}")
    else:
        kind = filename.rsplit(".", 1)[-1].lower() if "." in filename else "pdf"
    if kind != "pdf":
        # Conversion of office files and images is not implemented yet (docs/open-api.md).
        raise InvalidValue("fileType", "fileType not supported yet: only PDF files are accepted")
    command = CreateDocument(title=title, pdf=content, actor=actor_of(request), ip=client_ip(request))
    return str(platform_of(request).handle(command))


@post("/document/createbyfile", sync_to_thread=True, status_code=200)
def create_by_file(request: Request[Any, Any, Any], data: Multipart) -> dict[str, Any]:
    """``file``, ``title`` → ``documentId`` (flat)."""
    return envelope(documentId=_create_document(request, data, None))


@post("/v2/document/createbyfile", sync_to_thread=True, status_code=200)
def create_by_file_v2(request: Request[Any, Any, Any], data: Multipart) -> dict[str, Any]:
    """``file``, ``title``, ``fileType`` → ``result.documentId``."""
    file_type = Fields(data).text("fileType", required=True)
    return envelope(result={"documentId": _create_document(request, data, file_type)})


@get("/document/download", sync_to_thread=True)
def download_document(request: Request[Any, Any, Any]) -> Response[bytes]:
    """``documentId`` → the document's current PDF."""
    document_id = Fields(dict(request.query_params)).id("documentId", required=True)
    found = platform_of(request).handle(GetDocumentFile(document_id=document_id))
    return Response(found.pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f"attachment;fileName={found.document.id}.pdf"})


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


DOCUMENT_HANDLERS = [create_by_file, create_by_file_v2, download_document, list_categories, list_seals]
