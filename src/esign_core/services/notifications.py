"""Contract notifications, sent through the outbox: each is an outbox row written in the same
unit of work as the check (or change) that caused it, delivered later by a worker."""

from __future__ import annotations

import logging
from typing import Any

import attrs

from esign_core.errors import ConcurrencyError, InvalidTransition, NotFoundError
from esign_core.model.contract import ContractStatus
from esign_core.model.outbox import MessageKind, OutboxMessage, OutboxQuery
from esign_core.ports import Clock, IdGenerator, UnitOfWork
from esign_core.services.commands import Command
from esign_core.services.contract_ending import ListExpiryReminders, list_expiry_reminders
from esign_core.services.outbox import enqueue

log = logging.getLogger(__name__)
SIGN_LINK_TEMPLATE = "contract-sign-link"
EXPIRY_REMINDER_TEMPLATE = "contract-expiry-reminder"


def _notification(contact: str, *, template: str, subject: str, body: str, params: dict[str, str]) -> tuple[
        MessageKind, dict[str, Any]]:
    """An e-mail for an address, else an SMS (the template and its parameters)."""
    if "@" in contact:
        return MessageKind.EMAIL, {"to": contact, "subject": subject, "body": body}
    return MessageKind.SMS, {"mobile": contact, "template": template, "params": params}


@attrs.frozen(kw_only=True)
class SendSignLink(Command):
    """Send a signatory the link to its signing page (open API /contract/signurl/send)."""

    contract_id: int
    signatory_id: int
    contact: str = attrs.field(repr=False)
    link: str = attrs.field(repr=False)


def send_sign_link(cmd: SendSignLink, *, uow: UnitOfWork, clock: Clock, ids: IdGenerator) -> OutboxMessage:
    """Queue the link for the contact, checked against the contract in the same unit of work.
    Raises NotFoundError, InvalidTransition (not SIGNING), ConcurrencyError (changed meanwhile)."""
    with uow:
        contract = uow.contracts.get(cmd.contract_id)
        if contract.status is not ContractStatus.SIGNING:
            raise InvalidTransition(f"the contract is {contract.status.value}, not SIGNING", field="contractId")
        if not any(s.id == cmd.signatory_id for s in contract.signatories):
            raise NotFoundError("no such signatory on the contract", field="tenantName")
        kind, payload = _notification(
            cmd.contact, template=SIGN_LINK_TEMPLATE, subject=f"请签署合同《{contract.subject}》",
            body=f"请打开以下链接签署合同《{contract.subject}》：\n{cmd.link}\n",
            params={"link": cmd.link, "subject": contract.subject})
        message = enqueue(uow, ids=ids, clock=clock, kind=kind, topic="contract.sign_link", payload=payload,
                          idempotency_key=f"sign-link:{contract.id}:{cmd.signatory_id}:{ids.next_id()}")
        uow.commit()
        return message


@attrs.frozen(kw_only=True)
class SendExpiryReminders(Command):
    """The expiry-reminder job: remind the signatories still to sign of contracts expiring within
    the reminder lead time (签署设置). Each signatory is reminded once per expiry time."""

    limit: int = 1000


def send_expiry_reminders(cmd: SendExpiryReminders, *, uow: UnitOfWork, clock: Clock, ids: IdGenerator) -> int:
    """Queue the reminders due now; returns how many were queued. A contract changed meanwhile is
    skipped (the next run picks it up)."""
    queued = 0
    for reminder in list_expiry_reminders(ListExpiryReminders(limit=cmd.limit), uow=uow, clock=clock):
        try:
            with uow:
                contract = uow.contracts.get(reminder.contract_id)
                count = 0
                for s in contract.signatories:
                    if s.id not in reminder.signatory_ids or not s.contact:
                        continue
                    key = f"expiry-reminder:{contract.id}:{s.id}:{int(reminder.expire_at.timestamp())}"
                    if uow.outbox.search(OutboxQuery(key=key, limit=1)):
                        continue
                    when = reminder.expire_at.strftime("%Y-%m-%d %H:%M UTC")
                    kind, payload = _notification(
                        s.contact, template=EXPIRY_REMINDER_TEMPLATE, subject=f"合同《{contract.subject}》即将到期",
                        body=f"合同《{contract.subject}》将于 {when} 到期，请尽快签署。\n",
                        params={"subject": contract.subject, "expire_at": when})
                    enqueue(uow, ids=ids, clock=clock, kind=kind, topic="contract.expiry_reminder", payload=payload,
                            idempotency_key=key)
                    count += 1
                uow.commit()
                queued += count
        except ConcurrencyError:
            log.info("contract %s changed while reminding; next run", reminder.contract_id)
    return queued
