"""Open API contracts (reference §2.2–2.6, §5 rows 4–7, 10, 11, 13–16): create, send, silent
signing, detail, download and the ways a contract ends. Handlers only read the wire fields
(:mod:`esign_http.open_schemas`) and hand a command to the platform; signing blocks, so every
handler runs in the thread pool."""

from __future__ import annotations

import base64
import binascii
import io
import zipfile
from datetime import UTC, datetime, time
from typing import Any

from litestar import Request, Response, get, post

from esign_core.errors import AlreadyExists, ConcurrencyError, InvalidValue, PermissionDenied
from esign_core.model.contract import StamperType
from esign_core.services.contract_ending import RecallContract, VoidContract
from esign_core.services.contract_queries import GetContract, GetContractFiles
from esign_core.services.contract_signing import SignAsCompany, SignAsLegalPerson
from esign_core.services.contracts import CreateContract, DeleteContract, SendContract
from esign_core.services.external_identity import COMPANY, PERSONAL, VerifyExternalIdentity
from esign_core.services.personal_signing import SignAsPerson
from esign_http.context import client_ip, platform_of
from esign_http.open_auth import app_of
from esign_http.open_documents import Multipart, actor_of, require_contract_scope, scoped_tenant_name
from esign_http.open_schemas import WIRE_TZ, Fields, contract_out, envelope, signatory_spec, stamper_specs

Req = Request[Any, Any, Any]


def _who(request: Req) -> dict[str, Any]:
    return {"actor": actor_of(request), "ip": client_ip(request)}


def _ref(request: Req, f: Fields) -> dict[str, Any]:
    """``contractId``|``bizId``, once the app is known to be allowed on that contract."""
    ref = f.contract_ref()
    require_contract_scope(request, ref)
    return ref


def _end_time(fields: Fields) -> datetime | None:
    """``endTime`` (``yyyy-MM-dd``) is kept as 23:59:59 of that day."""
    text = fields.text("endTime")
    if text is None:
        return None
    try:
        day = datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        raise InvalidValue("endTime", "endTime must be yyyy-MM-dd") from None
    return datetime.combine(day, time(23, 59, 59), WIRE_TZ).astimezone(UTC)


def _create(request: Req, data: Any, *, documents_required: bool) -> dict[str, Any]:
    f = Fields(data)
    documents = f.ids("documents")
    if documents_required and not documents:
        raise InvalidValue("documents", "documents is required")
    command = CreateContract(
        subject=f.text("subject", required=True, max_len=100) or "",
        tenant_name=scoped_tenant_name(request, f.text("tenantName", max_len=100)),
        category_id=f.id("categoryId"),
        category_name=f.text("categoryName", max_len=100),
        ordinal=f.boolean("ordinal", False),
        sn=f.text("sn", max_len=100),
        description=f.text("description", max_len=500) or "",
        business_data=f.text("businessData", max_len=4000),
        documents=documents,
        expire_time=f.time("expireTime") or _end_time(f),
        signatories=tuple(signatory_spec(s, i) for i, s in enumerate(f.items("signatories"))),
        send=f.boolean("send", True),
        biz_id=f.text("bizId", max_len=128),
        creator_contact=f.text("creatorContact", max_len=100),
        **_who(request),
    )
    return envelope(contractId=str(platform_of(request).handle(command)))


@post("/contract/create", sync_to_thread=True, status_code=200)
def create_contract(request: Req, data: dict[str, Any]) -> dict[str, Any]:
    """Legacy custom create; ``documents`` is required → ``contractId``."""
    return _create(request, data, documents_required=True)


@post("/contract/createbycategory", sync_to_thread=True, status_code=200)
def create_by_category(request: Req, data: dict[str, Any]) -> dict[str, Any]:
    """Create from a business category (templates not supported yet) → ``contractId``."""
    return _create(request, data, documents_required=False)


@post("/contract/send", sync_to_thread=True, status_code=200)
def send_contract(request: Req, data: dict[str, Any]) -> dict[str, Any]:
    platform_of(request).handle(SendContract(**_ref(request, Fields(data)), **_who(request)))
    return envelope()


IDEMPOTENCY_HEADER = "Idempotency-Key"
_KEY_MAX = 128
_CONFLICT_RETRIES = 3


def _idempotency_key(request: Req) -> str | None:
    """The client's ``Idempotency-Key`` header, scoped to the calling app (two apps may pick the
    same key); None without one."""
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > _KEY_MAX or not key.isprintable():
        raise InvalidValue(IDEMPOTENCY_HEADER, f"{IDEMPOTENCY_HEADER} must be 1 to {_KEY_MAX} printable characters")
    return f"{app_of(request).id}:{key}"


def _sign(request: Req, command: Any) -> dict[str, Any]:
    """Run a signing command. With an idempotency key, a request that lost a race to a concurrent
    one is run again: when the winner carried the same key the service answers it as done
    (one signature, one notification), otherwise the conflict stands after a few attempts."""
    platform = platform_of(request)
    for attempt in range(_CONFLICT_RETRIES):
        try:
            platform.handle(command)
            break
        except (ConcurrencyError, AlreadyExists):
            if command.idempotency_key is None or attempt == _CONFLICT_RETRIES - 1:
                raise
    return envelope()


def _member(request: Req) -> int:
    member_id = app_of(request).member_id
    if member_id is None:
        raise PermissionDenied("this integration app has no member to sign as")
    return member_id


def _external_identity(request: Req, kind: str, subject: dict[str, str]) -> None:
    """外部个人认证 / 外部法人单位认证 of the app, when it has one (ExternalIdentityRefused, OaError)."""
    platform_of(request).handle(VerifyExternalIdentity(app_id=app_of(request).id, kind=kind, subject=subject))


def _one_seal(f: Fields) -> int | None:
    """Core applies one seal per request: the top-level ``sealId`` or the stampers' one."""
    seal_ids = {i for i in (f.id("sealId"),) if i is not None}
    for stamper in f.items("stampers"):
        if (seal_id := stamper.id("sealId")) is not None:
            seal_ids.add(seal_id)
            if len(seal_ids) > 1:
                raise InvalidValue(stamper.name("sealId"), "all stampers of one request must use the same seal")
    return next(iter(seal_ids), None)


@post("/contract/signbycompany", sync_to_thread=True, status_code=200)
def sign_by_company(request: Req, data: dict[str, Any]) -> dict[str, Any]:
    """The app's member applies the company seal of ``tenantName`` (an internal enterprise)."""
    f = Fields(data)
    command = SignAsCompany(
        **_ref(request, f), tenant_name=f.text("tenantName", required=True, max_len=100) or "",
        by_member_id=_member(request), seal_id=_one_seal(f), use_default_seal=f.boolean("useDefaultSeal", True),
        app_id=app_of(request).id,
        stampers=stamper_specs(f, allowed=(StamperType.SEAL_CORPORATE, StamperType.ACROSS_PAGE,
                                           StamperType.TIMESTAMP)),
        idempotency_key=_idempotency_key(request), **_who(request),
    )
    _external_identity(request, COMPANY, {"tenantName": command.tenant_name})
    return _sign(request, command)


@post("/contract/signbylegalperson", sync_to_thread=True, status_code=200)
def sign_by_legal_person(request: Req, data: dict[str, Any]) -> dict[str, Any]:
    """The legal representative's seal of ``tenantName``."""
    f = Fields(data)
    command = SignAsLegalPerson(
        **_ref(request, f), tenant_name=f.text("tenantName", required=True, max_len=100) or "",
        by_member_id=_member(request), app_id=app_of(request).id,
        stampers=stamper_specs(f, allowed=(StamperType.SEAL_CORPORATE, StamperType.TIMESTAMP)),
        idempotency_key=_idempotency_key(request), **_who(request),
    )
    _external_identity(request, COMPANY, {"tenantName": command.tenant_name})
    return _sign(request, command)


def _signature_image(f: Fields) -> bytes | None:
    texts = [(f.name("sealStr"), f.text("sealStr", max_len=4_000_000))]
    texts += [(s.name("sealStr"), s.text("sealStr", max_len=4_000_000)) for s in f.items("stampers")]
    for field, text in texts:
        if text:
            try:
                return base64.b64decode(text.split(",", 1)[-1], validate=True)
            except (binascii.Error, ValueError):
                raise InvalidValue(field, f"{field} must be a base64 image") from None
    return None


@post("/contract/signbyperson", sync_to_thread=True, status_code=200)
def sign_by_person(request: Req, data: dict[str, Any]) -> dict[str, Any]:
    """A person (``tenantName`` + ``contact``) signs silently; ``sealStr`` is an optional image."""
    f = Fields(data)
    command = SignAsPerson(
        **_ref(request, f), name=f.text("tenantName", required=True, max_len=50) or "",
        contact=f.text("contact", required=True, max_len=100) or "", id_number=f.text("cardNo", max_len=32),
        signature_png=_signature_image(f),
        stampers=stamper_specs(f, allowed=(StamperType.SEAL_PERSONAL, StamperType.TIMESTAMP)),
        idempotency_key=_idempotency_key(request), **_who(request),
    )
    subject = {"name": command.name, "contact": command.contact}
    if command.id_number:
        subject["cardNo"] = command.id_number
    _external_identity(request, PERSONAL, subject)
    return _sign(request, command)


@get("/contract/detail", sync_to_thread=True)
def contract_detail(request: Req) -> dict[str, Any]:
    """``contractId``|``bizId`` → ``contract`` (flat)."""
    view = platform_of(request).handle(GetContract(**_ref(request, Fields(dict(request.query_params)))))
    return envelope(contract=contract_out(view.contract, view.documents))


@get("/contract/download", sync_to_thread=True)
def download_contract(request: Req) -> Response[bytes]:
    """A zip of the current PDF of every document, named ``<title>.pdf`` (numbered when two match)."""
    ref = _ref(request, Fields(dict(request.query_params)))
    files = platform_of(request).handle(GetContractFiles(**ref))
    buffer = io.BytesIO()
    seen: set[str] = set()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for i, item in enumerate(files):
            name = item.document.title.replace("/", "_").replace("\\", "_")
            name = name if name.lower().endswith(".pdf") else f"{name}.pdf"
            if name in seen:
                name = f"{i + 1}-{name}"
            seen.add(name)
            archive.writestr(name, item.pdf)
    contract_id = ref["contract_id"] or ref["biz_id"]
    return Response(buffer.getvalue(), media_type="application/zip",
                    headers={"Content-Disposition": f"attachment;fileName={contract_id}.zip"})


@post("/contract/recall", sync_to_thread=True, status_code=200)
def recall_contract(request: Req, data: Multipart) -> dict[str, Any]:
    """Withdraw a SIGNING contract; code 3001008 once it has ended or completed."""
    f = Fields(data)
    platform_of(request).handle(RecallContract(**_ref(request, f), reason=f.text("reason", max_len=500) or "",
                                               **_who(request)))
    return envelope()


@post("/contract/delete", sync_to_thread=True, status_code=200)
def delete_contract(request: Req, data: Multipart) -> dict[str, Any]:
    """Delete a DRAFT contract."""
    platform_of(request).handle(DeleteContract(**_ref(request, Fields(data)), **_who(request)))
    return envelope()


@post("/contract/cancel", sync_to_thread=True, status_code=200)
def cancel_contract(request: Req, data: Multipart) -> dict[str, Any]:
    """Void (作废) a COMPLETE contract: a void statement is generated and sealed for the sponsor
    with ``sealId`` by the app's member; the contract is TERMINATING until every other party has
    signed the statement (signbycompany / signbyperson / the sign link), then TERMINATED.
    ``reason``, ``removeContract`` (when the void policy lets the operator choose)."""
    f = Fields(data)
    command = VoidContract(**_ref(request, f), seal_id=f.id("sealId", required=True),
                           by_member_id=app_of(request).member_id, app_id=app_of(request).id,
                           reason=f.text("reason", max_len=500) or "", remove_original=(
                               f.boolean("removeContract", False) if f.has("removeContract") else None),
                           **_who(request))
    platform_of(request).handle(command)
    return envelope()


CONTRACT_HANDLERS = [create_contract, create_by_category, send_contract, sign_by_company, sign_by_legal_person,
                     sign_by_person, contract_detail, download_contract, recall_contract, delete_contract,
                     cancel_contract]
