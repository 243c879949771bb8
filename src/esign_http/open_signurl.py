"""Open API sign links (reference §2.4, §5 row 8): ``POST /contract/signurl`` answers a link to
the signing portal for one signer of a SIGNING contract; ``POST /contract/signurl/send`` sends
that link by SMS instead (through the outbox).

``contractId``|``bizId``, ``tenantType`` (PERSONAL, or CORPORATE/INNER_COMPANY/COMPANY),
``tenantName``, ``contact`` (the person who opens the page; required here, also for companies),
``expireTime`` (seconds, 300 … 259200, default 1800; signurl only), ``callbackPage`` →
``signUrl`` (flat). The signatory must already be on the contract (creating one on the fly, as
the original does, is not supported yet). Authenticated like every other open endpoint by the
router's guard; scoped apps are limited to their enterprise's contracts."""

from __future__ import annotations

from typing import Any

from litestar import Request, post

from esign_core.errors import InvalidTransition, InvalidValue, NotFoundError
from esign_core.model.contract import Contract, ContractStatus
from esign_core.model.org import TenantType
from esign_core.model.signatory import Signatory
from esign_core.services.contract_refs import ContractCommand, load_contract
from esign_core.services.contract_specs import normalise_contact
from esign_core.services.notifications import SendSignLink
from esign_http.context import platform_of
from esign_http.open_documents import require_contract_scope
from esign_http.open_schemas import Fields, envelope
from esign_http.portal_links import DEFAULT_EXPIRES_IN, MAX_EXPIRES_IN, MIN_EXPIRES_IN, SENT_LINK_EXPIRES_IN
from esign_http.portal_view import portal_links

Req = Request[Any, Any, Any]
COMPANY_TYPES = {"CORPORATE", "INNER_COMPANY", "COMPANY"}


def _signer(request: Req, f: Fields) -> tuple[Contract, Signatory, str]:
    """The SIGNING contract, the signatory named by tenantType/tenantName/contact and the contact."""
    ref = f.contract_ref()
    tenant_type = (f.text("tenantType", required=True) or "").upper()
    if tenant_type != "PERSONAL" and tenant_type not in COMPANY_TYPES:
        raise InvalidValue("tenantType", "tenantType must be PERSONAL, CORPORATE, INNER_COMPANY or COMPANY")
    tenant_name = f.text("tenantName", max_len=100)
    contact = normalise_contact(f.text("contact", required=True) or "")
    contract = require_contract_scope(request, ref)
    if contract is None:
        with platform_of(request).uow() as uow:
            contract = load_contract(uow, ContractCommand(**ref))
    if contract.status is not ContractStatus.SIGNING:
        raise InvalidTransition(f"the contract is {contract.status.value}, not SIGNING", field="contractId")
    personal = tenant_type == "PERSONAL"
    for signatory in contract.signatories:
        if (signatory.tenant_type is TenantType.PERSONAL) != personal:
            continue
        if tenant_name and signatory.tenant_name != tenant_name:
            continue
        if personal and normalise_contact(signatory.contact or contact) != contact:
            continue
        return contract, signatory, contact
    raise NotFoundError("no such signatory on the contract", field="tenantName")


@post("/contract/signurl", sync_to_thread=True, status_code=200)
def sign_url(request: Req, data: dict[str, Any]) -> dict[str, Any]:
    """``signUrl`` for the signer named by tenantType/tenantName/contact."""
    f = Fields(data)
    expires_in = f.integer("expireTime", DEFAULT_EXPIRES_IN) or DEFAULT_EXPIRES_IN
    if not MIN_EXPIRES_IN <= expires_in <= MAX_EXPIRES_IN:
        raise InvalidValue("expireTime", f"expireTime must be {MIN_EXPIRES_IN}…{MAX_EXPIRES_IN} seconds")
    contract, signatory, contact = _signer(request, f)
    url = portal_links(platform_of(request)).issue(contract.id, signatory.id, contact, expires_in,
                                                   callback_page=f.text("callbackPage", max_len=1000) or "")
    return envelope(signUrl=url)


@post("/contract/signurl/send", sync_to_thread=True, status_code=200)
def send_sign_url(request: Req, data: dict[str, Any]) -> dict[str, Any]:
    """Send the sign link to ``contact`` by SMS. "The link in the SMS doesn't expire" (§2.4): it
    is valid for 30 days. The SMS is an outbox message written with the contract check in one
    unit of work and delivered by a worker (at least once, under its idempotency key)."""
    f = Fields(data)
    contract, signatory, contact = _signer(request, f)
    if "@" in contact:
        raise InvalidValue("contact", "contact: only mobile numbers can be notified yet (no e-mail channel)")
    platform = platform_of(request)
    url = portal_links(platform).issue(contract.id, signatory.id, contact, SENT_LINK_EXPIRES_IN,
                                       callback_page=f.text("callbackPage", max_len=1000) or "",
                                       max_expires_in=SENT_LINK_EXPIRES_IN)
    platform.handle(SendSignLink(contract_id=contract.id, signatory_id=signatory.id, contact=contact, link=url))
    return envelope()


SIGNURL_HANDLERS = [sign_url, send_sign_url]
