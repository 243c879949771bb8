"""Documents and contracts in ``/api/v1``: the operations of the open API with JSON schemas
(:mod:`esign_http.api_schemas`), HTTP status codes and problem details.

Two ways to authenticate (:func:`client_gate`):

- an integration app signs every request with the ``x-qys-accesstoken``, ``x-qys-timestamp`` and
  ``x-qys-signature`` headers, exactly as for ``/open`` (checked by the same use case,
  AuthenticateApp); company and legal-person seals are applied as the app's member;
- a console session with the ``integration`` permission; writes need the ``x-csrftoken`` header.
  A console account is no member of an enterprise, so it cannot apply company seals.
"""

from __future__ import annotations

import base64
import binascii
import io
import zipfile
from typing import Annotated, Any

from litestar import Request, Response, Router, delete, get, post
from litestar.enums import RequestEncodingType
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import SecurityScheme
from litestar.params import Body

from esign_core.errors import InvalidValue, NotFoundError, PermissionDenied
from esign_core.model.integration import IntegrationApp
from esign_core.model.signatory import StamperType
from esign_core.model.user import Permission
from esign_core.services.contract_ending import RecallContract, VoidContract, VoidResult
from esign_core.services.contract_queries import (
    GetContract,
    GetContractFiles,
    GetDocumentFile,
    ListCategories,
    ListSeals,
)
from esign_core.services.contract_signing import SignAsCompany, SignAsLegalPerson
from esign_core.services.contracts import CreateContract, DeleteContract, SendContract
from esign_core.services.document_build import BuildDocument, SourceFile
from esign_core.services.documents import CreateDocument
from esign_core.services.personal_signing import SignAsPerson
from esign_http.access import account_of, api_gate
from esign_http.api_problems import problems
from esign_http.api_schemas import (
    CategoryOut,
    CompanySignIn,
    ContractCreate,
    ContractOut,
    DocumentCreate,
    IdOut,
    LegalPersonSignIn,
    PersonSignIn,
    RecallIn,
    SealOut,
    VoidIn,
    VoidOut,
    ids,
    signatory_spec,
    stamper_specs,
    utc,
)
from esign_http.context import client_ip, platform_of
from esign_http.open_auth import HMAC_TOKEN_HEADER, TOKEN_HEADER, app_of, open_app_guard
from esign_http.open_documents import MAX_UPLOAD_BYTES
from esign_http.open_schemas import parse_id
from esign_http.sessions import SESSION_COOKIE

Req = Request[Any, Any, Any]
#: How clients authenticate, for the OpenAPI document (``components.securitySchemes``).
SECURITY_SCHEMES = {
    "qysAccessToken": SecurityScheme(type="apiKey", name="x-qys-accesstoken", security_scheme_in="header",
                                     description="The integration app's AppToken"),
    "qysTimestamp": SecurityScheme(type="apiKey", name="x-qys-timestamp", security_scheme_in="header",
                                   description="Milliseconds since the epoch; refused when more than 5 minutes off"),
    "qysSignature": SecurityScheme(type="apiKey", name="x-qys-signature", security_scheme_in="header",
                                   description="md5(AppToken + AppSecret + timestamp), lowercase hex"),
    "consoleSession": SecurityScheme(type="apiKey", name=SESSION_COOKIE, security_scheme_in="cookie",
                                     description="A console login; writes also need the x-csrftoken header"),
}
OPENAPI_DESCRIPTION = """Our REST API. Errors are RFC 9457 problem details (`application/problem+json`)
with a stable `code` and, for a bad request, `fields` naming the offending field.

**Authentication.** Document and contract endpoints accept either

* a request signed by an integration app (console → 集成中心) with the same headers as the open
  API: `x-qys-accesstoken: <AppToken>`, `x-qys-timestamp: <ms since epoch>` and
  `x-qys-signature: md5(AppToken + AppSecret + timestamp)` (each signature accepted once), or the
  HMAC-SHA256 headers `x-esign-token`, `x-esign-timestamp`, `x-esign-nonce`, `x-esign-signature`
  (canonical string in docs/open-api.md; the signed path is the full `/api/v1/...` path); the
  app's IP lists apply; seals are applied as the app's member, within its callable seals;
* or a console session (cookie) of an account with the `integration` permission; every write then
  needs the `x-csrftoken` header. A console session cannot apply company or legal-person seals.

Ids are strings, times ISO-8601 in UTC."""
# Console sessions need this permission; integration apps are allowed by their signature.
_OPT = {"permission": Permission.INTEGRATION}
_READ = problems(400, 401, 403, 404)
_WRITE = problems(400, 401, 403, 404, 409)
_TAGS = ["contracts"]


async def client_gate(request: Req) -> None:
    """An app-signed request (``x-qys-*`` headers) or, without them, the console session gate."""
    if request.headers.get(TOKEN_HEADER) or request.headers.get(HMAC_TOKEN_HEADER):
        await open_app_guard(request, request.route_handler)
        return
    await api_gate(request)


def _app(request: Req) -> IntegrationApp | None:
    try:
        return app_of(request)
    except (KeyError, AttributeError):
        return None


def _app_id(request: Req) -> int | None:
    app = _app(request)
    return app.id if app is not None else None


def _who(request: Req) -> dict[str, Any]:
    app = _app(request)
    actor = f"api:{app.name}" if app is not None else f"console:{account_of(request).username}"
    return {"actor": actor, "ip": client_ip(request)}


def _member(request: Req) -> int:
    app = _app(request)
    if app is None:
        raise PermissionDenied("company seals are applied by an integration app's member: sign the request as an app")
    if app.member_id is None:
        raise PermissionDenied("this integration app has no member to sign as")
    return app.member_id


def _contract_id(value: str) -> int:
    return parse_id(value, "contract_id", required=True)  # type: ignore[return-value]


def _one_seal(seal_id: str | None) -> int | None:
    return parse_id(seal_id, "seal_id")


# -- documents ---------------------------------------------------------------------------------
@post("/documents", sync_to_thread=True, status_code=201, tags=["documents"], opt=_OPT,
      summary="Upload a document", responses=problems(400, 401, 403, 413))
def create_document(request: Req, data: Annotated[DocumentCreate, Body(media_type=RequestEncodingType.MULTI_PART)]
                    ) -> IdOut:
    """``file`` (PDF, or a type to convert), ``title`` and optionally ``file_type`` → 201 ``{id}``."""
    content = data.file.file.read(MAX_UPLOAD_BYTES + 1)
    if len(content) > MAX_UPLOAD_BYTES:
        raise InvalidValue("file", "file is larger than 100 MiB")
    if not content:
        raise InvalidValue("file", "file is empty")
    filename = data.file.filename or ""
    kind = (data.file_type or (filename.rsplit(".", 1)[-1] if "." in filename else "pdf")).lower()
    if kind == "pdf":
        command: CreateDocument | BuildDocument = CreateDocument(title=data.title, pdf=content, **_who(request))
    else:
        try:
            source = SourceFile(content, filename=filename, file_type=data.file_type or "")
        except InvalidValue as exc:
            raise InvalidValue("file_type", exc.message) from None
        command = BuildDocument(title=data.title, files=(source,), **_who(request))
    return IdOut(id=str(platform_of(request).handle(command)))


@get("/documents/{document_id:str}/file", sync_to_thread=True, tags=["documents"], opt=_OPT,
     summary="Download a document's current PDF", media_type="application/pdf", responses=_READ)
def download_document(request: Req, document_id: str) -> Response[bytes]:
    found = platform_of(request).handle(GetDocumentFile(document_id=parse_id(document_id, "document_id",
                                                                              required=True)))
    return Response(found.pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{found.document.id}.pdf"'})


# -- contracts ---------------------------------------------------------------------------------
@post("/contracts", sync_to_thread=True, status_code=201, tags=_TAGS, opt=_OPT, summary="Create a contract",
      responses={200: ResponseSpec(IdOut, description="Already created with this biz_id and the same body"),
                 **_WRITE})
def create_contract(request: Req, data: ContractCreate) -> Response[IdOut]:
    """201 with the new id; 200 with the existing id when ``biz_id`` was used by the same body;
    409 ``domain.already_exists`` when it was used by a different one."""
    platform = platform_of(request)
    existed = False
    if data.biz_id:
        try:
            platform.handle(GetContract(biz_id=data.biz_id))
            existed = True
        except NotFoundError:
            pass
    command = CreateContract(
        subject=data.subject, tenant_name=data.tenant_name,
        category_id=parse_id(data.category_id, "category_id"), ordinal=data.ordinal,
        documents=ids(data.document_ids, "document_ids"), expire_time=utc(data.expire_at, "expire_at"),
        signatories=tuple(signatory_spec(s, i) for i, s in enumerate(data.signatories)), send=data.send,
        biz_id=data.biz_id, **_who(request),
    )
    contract_id = platform.handle(command)
    return Response(IdOut(id=str(contract_id)), status_code=200 if existed else 201)


@get("/contracts/{contract_id:str}", sync_to_thread=True, tags=_TAGS, opt=_OPT, summary="A contract",
     responses=_READ)
def contract_detail(request: Req, contract_id: str) -> ContractOut:
    view = platform_of(request).handle(GetContract(contract_id=_contract_id(contract_id)))
    return ContractOut.from_domain(view.contract, view.documents)


@get("/contracts/{contract_id:str}/file", sync_to_thread=True, tags=_TAGS, opt=_OPT, media_type="application/zip",
     summary="Download a contract's documents (zip of PDFs)", responses=_READ)
def download_contract(request: Req, contract_id: str) -> Response[bytes]:
    number = _contract_id(contract_id)
    files = platform_of(request).handle(GetContractFiles(contract_id=number))
    buffer = io.BytesIO()
    seen: set[str] = set()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for i, item in enumerate(files):
            name = item.document.title.replace("/", "_").replace("\\", "_")
            name = name if name.lower().endswith(".pdf") else f"{name}.pdf"
            name = f"{i + 1}-{name}" if name in seen else name
            seen.add(name)
            archive.writestr(name, item.pdf)
    return Response(buffer.getvalue(), media_type="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="{number}.zip"'})


@post("/contracts/{contract_id:str}/send", sync_to_thread=True, status_code=204, tags=_TAGS, opt=_OPT,
      summary="Send a draft for signing", responses=_WRITE)
def send_contract(request: Req, contract_id: str) -> None:
    platform_of(request).handle(SendContract(contract_id=_contract_id(contract_id), **_who(request)))


@post("/contracts/{contract_id:str}/sign/company", sync_to_thread=True, status_code=204, tags=_TAGS, opt=_OPT,
      summary="Apply a company seal (app-signed requests only)", responses=_WRITE)
def sign_company(request: Req, contract_id: str, data: CompanySignIn) -> None:
    command = SignAsCompany(
        contract_id=_contract_id(contract_id), tenant_name=data.tenant_name, by_member_id=_member(request),
        seal_id=_one_seal(data.seal_id), app_id=_app_id(request),
        stampers=stamper_specs(data.stampers, (StamperType.SEAL_CORPORATE, StamperType.ACROSS_PAGE,
                                               StamperType.TIMESTAMP)),
        **_who(request))
    platform_of(request).handle(command)


@post("/contracts/{contract_id:str}/sign/legal-person", sync_to_thread=True, status_code=204, tags=_TAGS, opt=_OPT,
      summary="Apply the legal representative's seal (app-signed requests only)", responses=_WRITE)
def sign_legal_person(request: Req, contract_id: str, data: LegalPersonSignIn) -> None:
    command = SignAsLegalPerson(
        contract_id=_contract_id(contract_id), tenant_name=data.tenant_name, by_member_id=_member(request),
        seal_id=_one_seal(data.seal_id), app_id=_app_id(request),
        stampers=stamper_specs(data.stampers, (StamperType.SEAL_CORPORATE, StamperType.TIMESTAMP)),
        **_who(request))
    platform_of(request).handle(command)


def _signature_png(text: str | None) -> bytes | None:
    if not text:
        return None
    try:
        return base64.b64decode(text.split(",", 1)[-1], validate=True)
    except (binascii.Error, ValueError):
        raise InvalidValue("signature_png_base64", "signature_png_base64 must be a base64 PNG") from None


@post("/contracts/{contract_id:str}/sign/person", sync_to_thread=True, status_code=204, tags=_TAGS, opt=_OPT,
      summary="Sign silently as a person", responses=_WRITE)
def sign_person(request: Req, contract_id: str, data: PersonSignIn) -> None:
    command = SignAsPerson(
        contract_id=_contract_id(contract_id), name=data.tenant_name, contact=data.contact,
        id_number=data.id_number, signature_png=_signature_png(data.signature_png_base64),
        stampers=stamper_specs(data.stampers, (StamperType.SEAL_PERSONAL, StamperType.TIMESTAMP)),
        **_who(request))
    platform_of(request).handle(command)


@post("/contracts/{contract_id:str}/recall", sync_to_thread=True, status_code=204, tags=_TAGS, opt=_OPT,
      summary="Recall a contract being signed", responses=_WRITE)
def recall_contract(request: Req, contract_id: str, data: RecallIn) -> None:
    """409 ``domain.invalid_transition`` once the contract was completed or has ended."""
    platform_of(request).handle(RecallContract(contract_id=_contract_id(contract_id), reason=data.reason,
                                               **_who(request)))


@post("/contracts/{contract_id:str}/void", sync_to_thread=True, status_code=200, tags=_TAGS, opt=_OPT,
      summary="Void a completed contract", responses=_WRITE)
def void_contract(request: Req, contract_id: str, data: VoidIn) -> VoidOut:
    command = VoidContract(contract_id=_contract_id(contract_id), seal_id=parse_id(data.seal_id, "seal_id",
                                                                                   required=True),
                           by_member_id=getattr(_app(request), "member_id", None),
                           reason=data.reason, remove_original=data.remove_original, **_who(request))
    result = platform_of(request).handle(command)
    removed = result.removed_original if isinstance(result, VoidResult) else False
    status = result.status.value if isinstance(result, VoidResult) else "TERMINATED"
    return VoidOut(contract_id=contract_id, removed_original=removed, status=status)


@delete("/contracts/{contract_id:str}", sync_to_thread=True, status_code=204, tags=_TAGS, opt=_OPT,
        summary="Delete a draft", responses=_WRITE)
def delete_contract(request: Req, contract_id: str) -> None:
    platform_of(request).handle(DeleteContract(contract_id=_contract_id(contract_id), **_who(request)))


# -- look-ups ----------------------------------------------------------------------------------
@get("/categories", sync_to_thread=True, tags=["lookups"], opt=_OPT, summary="Business categories",
     responses=_READ)
def list_categories(request: Req, company: str | None = None) -> list[CategoryOut]:
    """The categories of ``company`` (default: the platform enterprise)."""
    return [CategoryOut.from_domain(c) for c in platform_of(request).handle(ListCategories(company_name=company))]


@get("/seals", sync_to_thread=True, tags=["lookups"], opt=_OPT, summary="Seals", responses=_READ)
def list_seals(request: Req, company: str | None = None) -> list[SealOut]:
    """The seals of ``company`` (default: the platform enterprise)."""
    return [SealOut.from_domain(s) for s in platform_of(request).handle(ListSeals(company_name=company))]


contracts_router = Router(path="/", before_request=client_gate, security=[
    {"qysAccessToken": [], "qysTimestamp": [], "qysSignature": []}, {"consoleSession": []}], route_handlers=[
    create_document, download_document, create_contract, contract_detail, download_contract, send_contract,
    sign_company, sign_legal_person, sign_person, recall_contract, void_contract, delete_contract,
    list_categories, list_seals])
