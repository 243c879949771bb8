"""Outbox use cases: enqueueing effects from other use cases (same unit of work), and the admin
operations (list, show, resend a dead message)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from esign_core.model.outbox import MessageKind, MessageStatus, OutboxMessage, OutboxQuery
from esign_core.ports import Clock, IdGenerator, UnitOfWork
from esign_core.services.commands import Command
from esign_core.values import mask_phone

_PHONE = re.compile(r"(?:(?<=\+86)|(?<!\d))1\d{10}(?!\d)")


def mask_text(text: str) -> str:
    """Mainland mobile numbers in free text (adapter errors, log lines) become ``138****5678``."""
    return _PHONE.sub(lambda m: mask_phone(m.group(0)), text)


def enqueue(uow: UnitOfWork, *, ids: IdGenerator, clock: Clock, kind: MessageKind | str, topic: str,
            payload: Mapping[str, Any], idempotency_key: str) -> OutboxMessage:
    """Stage an outgoing message in ``uow`` (inside its ``with`` block, before its commit): it
    is written with the change or not at all. Raises InvalidValue for a malformed message and
    AlreadyExists (at commit) when the idempotency key was used before."""
    message = OutboxMessage.new(id=ids.next_id(), kind=kind, topic=topic, payload=payload,
                                idempotency_key=idempotency_key, at=clock.now())
    uow.outbox.add(message)
    return message


@attrs.frozen(kw_only=True)
class ListOutboxMessages(Command):
    """The admin list (newest first) and the number of messages in each status."""

    query: OutboxQuery = OutboxQuery()


@attrs.frozen
class OutboxPage:
    messages: Sequence[OutboxMessage]
    counts: Mapping[MessageStatus, int]


@attrs.frozen(kw_only=True)
class GetOutboxMessage(Command):
    message_id: int


@attrs.frozen(kw_only=True)
class ResendOutboxMessage(Command):
    """Give a dead-lettered message a fresh round of attempts (重发)."""

    message_id: int


def list_outbox_messages(cmd: ListOutboxMessages, *, uow: UnitOfWork) -> OutboxPage:
    with uow:
        return OutboxPage(list(uow.outbox.search(cmd.query)), dict(uow.outbox.counts()))


def get_outbox_message(cmd: GetOutboxMessage, *, uow: UnitOfWork) -> OutboxMessage:
    """Raises NotFoundError."""
    with uow:
        return uow.outbox.get(cmd.message_id)


def resend_outbox_message(cmd: ResendOutboxMessage, *, uow: UnitOfWork, clock: Clock) -> OutboxMessage:
    """Raises NotFoundError, InvalidTransition (not dead) and ConcurrencyError (it changed
    meanwhile)."""
    from esign_core.errors import ConcurrencyError

    with uow:
        message = uow.outbox.get(cmd.message_id)
        was = (message.status, message.attempts)
        message.resend(at=clock.now())
        if not uow.outbox.replace(message, was=was):
            raise ConcurrencyError("the message changed meanwhile; reload and retry", id=str(message.id))
        uow.commit()
        return message
