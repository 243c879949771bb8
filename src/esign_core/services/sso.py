"""Unified login (统一登录, manual 二.2.1 2; ADR 0043): an OA system, registered as an
integration app with single sign-on allowed, sends its user to the signing portal with a signed
ticket (:mod:`esign_core.model.sso_ticket`). Redeeming the ticket names the contract and the
signatory the user acts for; the web layer then opens the portal on that contract's page.

OA users are passwordless personal users keyed by their mobile or e-mail (created by directory
sync); the ticket is the OA's word that this person is logged in there."""

from __future__ import annotations

import hmac
from datetime import UTC, datetime

import attrs

from esign_core.errors import AuthenticationFailed, InvalidValue
from esign_core.model.contract import Contract
from esign_core.model.integration import APP_SECRET_PURPOSE, IntegrationApp
from esign_core.model.open_signing import NONCE_PATTERN
from esign_core.model.org import MemberStatus, TenantType
from esign_core.model.signatory import ActionStatus, Signatory
from esign_core.model.sso_ticket import MAX_TICKET_LIFETIME_S, TicketFormatError, split_ticket, ticket_mac
from esign_core.ports import Clock, SecretBox, UnitOfWork
from esign_core.ports.replay import ReplayGuard, replay_key
from esign_core.services.commands import Command
from esign_core.services.contract_specs import normalise_contact

#: Reasons of :class:`SsoTicketRefused`.
SSO_REASONS = ("invalid", "disabled", "expired", "lifetime", "account", "contract", "reused")
_DUMMY_SECRET = "-" * 64


class SsoTicketRefused(AuthenticationFailed):
    """The single-sign-on ticket cannot be used; ``reason`` is one of :data:`SSO_REASONS`."""

    code = "sso.ticket_refused"

    def __init__(self, reason: str, message: str, **fields: object) -> None:
        super().__init__(message, reason=reason, **fields)
        self.reason = reason


@attrs.frozen(kw_only=True)
class RedeemSsoTicket(Command):
    ticket: str = attrs.field(repr=False)
    ip: str | None = None


@attrs.frozen(kw_only=True)
class SsoGrant:
    """Whom the portal opens the contract for: the signatory and the account (as its sign links
    carry it)."""

    app_name: str
    contract_id: int
    signatory_id: int
    account: str = attrs.field(repr=False)
    expires_at: int


def _signatory(uow: UnitOfWork, contract: Contract, account: str, user_id: int) -> Signatory | None:
    """The signatory the account acts for: a personal one with this contact, or a company whose
    active member the user is; one whose action is open now is preferred."""
    member_orgs = {m.org_id for m in uow.members.of_user(user_id) if m.status is MemberStatus.ACTIVE}
    found: list[Signatory] = []
    for signatory in contract.signatories:
        if signatory.tenant_type is TenantType.PERSONAL:
            try:
                mine = normalise_contact(signatory.contact or "") == account
            except InvalidValue:
                mine = False
        else:
            org = uow.organizations.by_name(signatory.tenant_name)
            mine = org is not None and org.id in member_orgs
        if mine:
            found.append(signatory)
    found.sort(key=lambda s: not any(a.status is ActionStatus.SIGNING for a in s.actions))
    return found[0] if found else None


def _in_scope(uow: UnitOfWork, app: IntegrationApp, contract: Contract) -> bool:
    """The app scoping of the open API (docs/open-api.md, "App scoping"): an app of another
    enterprise than the platform's reaches only contracts its enterprise sponsors or signs."""
    platform_org = uow.organizations.platform()
    if platform_org is not None and app.tenant_id == platform_org.id:
        return True
    enterprise = uow.organizations.get(app.tenant_id)
    return contract.tenant_id == app.tenant_id or any(
        s.tenant_type is not TenantType.PERSONAL and s.tenant_name == enterprise.name for s in contract.signatories)


def redeem_sso_ticket(cmd: RedeemSsoTicket, *, uow: UnitOfWork, clock: Clock, secrets: SecretBox,
                      replays: ReplayGuard) -> SsoGrant:
    """Check the ticket and use it up. Raises SsoTicketRefused: ``invalid`` (damaged, forged, an
    unknown app), ``disabled`` (app disabled or without single sign-on), ``expired``,
    ``lifetime`` (``exp`` more than 5 minutes ahead), ``account`` (no such user, or frozen),
    ``contract`` (no such contract, the account is not one of its signatories, or the contract is
    outside the app's scope), ``reused``."""
    try:
        payload, mac, claims = split_ticket(cmd.ticket)
    except TicketFormatError:
        raise SsoTicketRefused("invalid", "the ticket is damaged") from None
    with uow:
        app = uow.apps.by_token(claims.app_token)
        secret = secrets.open(app.sealed_secret, purpose=APP_SECRET_PURPOSE).decode() if app else _DUMMY_SECRET
        if not hmac.compare_digest(ticket_mac(secret, payload).encode(), mac.encode()) or app is None:
            raise SsoTicketRefused("invalid", "the ticket was not signed by a known app")
        if not app.enabled or not app.sso_enabled:
            raise SsoTicketRefused("disabled", f"the app {app.name!r} may not sign users on", app=app.name)
        now = clock.now()
        left = claims.expires_at - now.timestamp()
        if left <= 0:
            raise SsoTicketRefused("expired", "the ticket has expired", app=app.name)
        if left > MAX_TICKET_LIFETIME_S:
            raise SsoTicketRefused("lifetime", "a ticket may live 5 minutes at most", app=app.name)
        if not NONCE_PATTERN.fullmatch(claims.nonce):
            raise SsoTicketRefused("invalid", "the ticket's nonce is malformed", app=app.name)
        try:
            account = normalise_contact(claims.account, field="acc")
        except InvalidValue:
            raise SsoTicketRefused("account", "the ticket's account is not a mobile number or e-mail address",
                                   app=app.name) from None
        user = uow.users.by_account(account)
        if user is None or user.frozen:
            raise SsoTicketRefused("account", "no active user has this account", app=app.name)
        contract = uow.contracts.find(claims.contract_id)
        signatory = _signatory(uow, contract, account, user.id) if contract is not None else None
        if contract is None or signatory is None or not _in_scope(uow, app, contract):
            raise SsoTicketRefused("contract", "the account is not a signatory of this contract", app=app.name,
                                   contract_id=str(claims.contract_id))
    expires = datetime.fromtimestamp(claims.expires_at, UTC)
    if not replays.first_use(replay_key("sso", str(app.id), claims.nonce), expires_at=expires, now=now):
        raise SsoTicketRefused("reused", "the ticket has been used already", app=app.name)
    return SsoGrant(app_name=app.name, contract_id=contract.id, signatory_id=signatory.id, account=account,
                    expires_at=claims.expires_at)
