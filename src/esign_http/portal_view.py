"""What a sign link lets its holder see and do, read in one unit of work: the contract, the
signatory, the viewer's action whose turn it is, the documents, and (for a company) the seals
the viewer is authorized to use."""

from __future__ import annotations

from typing import Any

import attrs

from esign_adapters.bootstrap import Platform
from esign_core.errors import InvalidValue, NotFoundError, PermissionDenied
from esign_core.model.contract import ActionStatus, ActionType, Contract, ContractStatus, Signatory
from esign_core.model.document import Document
from esign_core.model.org import MemberRole, MemberStatus, TenantType
from esign_core.model.policy import DisplaySettings, SignerVerification, SigningSettings, SystemParameters
from esign_core.model.seal import Seal, SealKind, SealStatus
from esign_core.model.signing_rules import can_download
from esign_core.services.contract_specs import normalise_contact
from esign_core.services.signing_password import has_signing_password
from esign_core.values import mask_phone
from esign_http.portal_links import LinkClaims, PortalLinks


def portal_links(platform: Platform) -> PortalLinks:
    """Sign links under the external address of the system parameters (一.2.2)."""
    with platform.uow() as uow:
        system = uow.settings.get(SystemParameters)
    base = system.external_address or f"http://127.0.0.1:{platform.settings.port}"
    return PortalLinks(platform.settings.session_secret(), base, now=lambda: platform.clock.now().timestamp())


def masked_account(contact: str) -> str:
    """The viewer's account as the watermark and the pages show it."""
    if "@" in contact:
        name, _, domain = contact.partition("@")
        return f"{name[:2]}***@{domain}"
    return mask_phone(contact)


@attrs.frozen(kw_only=True)
class PortalView:
    claims: LinkClaims
    contract: Contract
    signatory: Signatory
    documents: tuple[Document, ...]
    signing: SigningSettings
    display: DisplaySettings
    member_id: int | None = None
    seals: tuple[Seal, ...] = ()
    #: LP seals the member may apply, and whether the member is the legal person (who may sign
    #: without one, with a seal drawn from their name)
    lp_seals: tuple[Seal, ...] = ()
    legal_person: bool = False
    has_id_number: bool = True

    @property
    def company(self) -> bool:
        return self.signatory.tenant_type is not TenantType.PERSONAL

    @property
    def turn(self) -> ActionType | None:
        """The kind of action the viewer signs now (a company's seal before its legal person's),
        None when it is not their turn."""
        if self.contract.status is ContractStatus.TERMINATING:  # the void statement (作废声明)
            wanted: tuple[ActionType, ...] = (
                (ActionType.TERMINATE_CORPORATE,) if self.company else (ActionType.TERMINATE_PERSONAL,))
        elif self.contract.status is not ContractStatus.SIGNING:
            return None
        else:
            wanted = (ActionType.CORPORATE, ActionType.LP) if self.company else (ActionType.PERSONAL,)
        open_ = {a.type for a in self.signatory.actions if a.status is ActionStatus.SIGNING}
        return next((kind for kind in wanted if kind in open_), None)

    @property
    def my_turn(self) -> bool:
        """Whether the viewer can sign (or reject) now."""
        return self.turn is not None

    @property
    def lp_turn(self) -> bool:
        return self.turn is ActionType.LP

    @property
    def downloadable(self) -> bool:
        return can_download(self.contract, self.signing)

    @property
    def account(self) -> str:
        return masked_account(self.claims.contact)

    def document(self, document_id: int) -> Document:
        for doc in self.documents:
            if doc.id == document_id:
                return doc
        raise NotFoundError("the document is not part of this contract", document_id=str(document_id))

    def context(self) -> dict[str, Any]:
        return {"contract": self.contract, "signatory": self.signatory, "documents": self.documents,
                "company": self.company, "my_turn": self.my_turn, "downloadable": self.downloadable,
                "account": self.account, "seals": self.seals, "signing": self.signing,
                "has_id_number": self.has_id_number, "lp_turn": self.lp_turn, "lp_seals": self.lp_seals,
                "legal_person": self.legal_person}


def _contact(raw: str) -> str:
    try:
        return normalise_contact(raw)
    except InvalidValue:
        return raw.strip()


def load_view(platform: Platform, claims: LinkClaims) -> PortalView:
    """Raises NotFoundError (contract, signatory) and PermissionDenied (a personal link whose
    contact is not the signatory's; a company link for someone who is not an active member)."""
    contact = _contact(claims.contact)
    with platform.uow() as uow:
        contract = uow.contracts.get(claims.contract_id)
        signatory = contract.signatory(claims.signatory_id)
        documents = tuple(d for d in (uow.documents.find(i) for i in contract.document_ids) if d is not None)
        signing, display = uow.settings.get(SigningSettings), uow.settings.get(DisplaySettings)
        user = uow.users.by_account(contact)
        fields: dict[str, Any] = {"has_id_number": user is not None and user.id_number is not None}
        if signatory.tenant_type is TenantType.PERSONAL:
            if _contact(signatory.contact or "") != contact:
                raise PermissionDenied("the link is not for this signatory")
        else:
            org = uow.organizations.by_name(signatory.tenant_name)
            member = None
            if org is not None and user is not None:
                member = next((m for m in uow.members.of_user(user.id) if m.org_id == org.id), None)
            if org is None or member is None or member.status is not MemberStatus.ACTIVE:
                raise PermissionDenied("the link's contact is not an active member of the signing company")
            fields["member_id"] = member.id
            usable = [s for s in uow.seals.of_owner(org.id)
                      if s.status is SealStatus.NORMAL and member.id in s.authorized_member_ids]
            fields["seals"] = tuple(s for s in usable if s.kind is SealKind.COMPANY)
            fields["lp_seals"] = tuple(s for s in usable if s.kind is SealKind.LP)
            fields["legal_person"] = MemberRole.LP in member.roles
    return PortalView(claims=claims, contract=contract, signatory=signatory, documents=documents, signing=signing,
                      display=display, **fields)


def password_allowed(view: PortalView) -> bool:
    """The signing settings accept a signing password (signing password or SMS code)."""
    return view.signing.signer_verification is SignerVerification.DEFAULT


def password_accepted(platform: Platform, view: PortalView) -> bool:
    """The settings accept a signing password and this signer has set one."""
    if not password_allowed(view):
        return False
    with platform.uow() as uow:
        return has_signing_password(view.claims.contact, uow=uow)
