"""Effects: the outgoing messages a domain event causes, staged in the outbox by the unit of work
in the SAME transaction as the change that recorded the event (ADR 0035).

An effect function is pure: ``(event, source, lookup) -> [OutboxDraft, …]`` where ``source`` is
the aggregate that recorded the event and ``lookup`` gives read access to the open unit of work
(settings, categories). Every draft carries an idempotency key stable per fact, so the same fact
is never queued twice (:func:`stage_effects` skips a key already in the outbox).

Registered here:

- ``SealCallbackDue`` → a webhook, form-encoded or multipart (photos read from storage at delivery);
- ``SealMessageDue`` → a ``notice`` (in-site message and push via NotifySealEvent, per recipient);
- ``CertificationChanged`` → a JSON webhook to the certification callback URL of the settings;
- ``ContractCompleted`` / ``ContractEnded`` → a JSON webhook to the business category's callback URL.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import attrs

from esign_core.model.base import Event
from esign_core.model.callback_settings import CallbackSettings
from esign_core.model.certification import CertificationChanged
from esign_core.model.contract import ContractCompleted, ContractEnded, VoidRequested
from esign_core.model.outbox import MessageKind, OutboxMessage, OutboxQuery
from esign_core.model.seal_callbacks import MULTIPART, SealCallbackDue, SealMessageDue, SealMessageKind


@attrs.frozen(kw_only=True)
class OutboxDraft:
    """An outbox message before it has an id and a time."""

    kind: MessageKind
    topic: str
    payload: dict[str, Any] = attrs.field(repr=False)
    idempotency_key: str


Effect = Callable[[Any, Any, Any], list[OutboxDraft]]
EFFECTS: dict[type[Event], Effect] = {}


def effect(*event_types: type[Event]) -> Callable[[Effect], Effect]:
    """Register ``fn`` as the effect of ``event_types`` (one effect per event type)."""

    def register(fn: Effect) -> Effect:
        for event_type in event_types:
            EFFECTS[event_type] = fn
        return fn

    return register


def drafts_for(event: Event, source: Any, lookup: Any) -> list[OutboxDraft]:
    from esign_core.mq_events import mq_drafts  # the events published to the broker (ADR 0038)

    fn = EFFECTS.get(type(event))
    drafts = fn(event, source, lookup) if fn is not None else []
    return drafts + mq_drafts(event, source, lookup, draft=OutboxDraft)


def stage_effects(uow: Any, sources: Iterable[Any], *, ids: Any, clock: Any) -> list[OutboxMessage]:
    """Add to ``uow.outbox`` the drafts of the pending events of ``sources`` (the aggregates the
    unit of work is about to write); events stay pending for the bus. A key already queued (before,
    or earlier in this batch) is skipped."""
    staged: list[OutboxMessage] = []
    keys: set[str] = set()
    for source in list(sources):
        pending = getattr(source, "pending_events", None)
        if pending is None:
            continue
        for event in pending():
            for draft in drafts_for(event, source, uow):
                key = draft.idempotency_key
                if key in keys or _queued(uow, key):
                    continue
                keys.add(key)
                message = OutboxMessage.new(id=ids.next_id(), kind=draft.kind, topic=draft.topic,
                                            payload=draft.payload, idempotency_key=key, at=clock.now())
                uow.outbox.add(message)
                staged.append(message)
    return staged


def _queued(uow: Any, key: str) -> bool:
    by_key = getattr(uow.outbox, "by_key", None)  # the unique index; older outboxes: a prefix search
    if by_key is not None:
        return by_key(key) is not None
    return any(m.idempotency_key == key for m in uow.outbox.search(OutboxQuery(key=key, limit=20)))


def _digest(*parts: object) -> str:
    return hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()[:16]


# -- physical seals -----------------------------------------------------------------------------
@effect(SealCallbackDue)
def seal_callback(event: SealCallbackDue, _source: Any, _lookup: Any) -> list[OutboxDraft]:
    """The wire contract's callback as a webhook: ``data`` is the ordered fields, ``encoding`` form
    or multipart, ``files`` the (form field, photokey) pairs read from storage at delivery."""
    encoding = "multipart" if event.content_type == MULTIPART else "form"
    payload: dict[str, Any] = {"url": event.url, "encoding": encoding, "data": [list(f) for f in event.fields],
                               "files": [list(f) for f in event.files]}
    key = event.idempotency_key or f"seal:{event.business_id}:{event.kind.value}:{_digest(event.fields)}"
    return [OutboxDraft(kind=MessageKind.WEBHOOK, topic=f"seal.{event.kind.value.lower()}", payload=payload,
                        idempotency_key=key)]


#: The notice (console 消息事件 of the physical-seal service) each message kind is delivered as;
#: COUNT_APPENDED has no notice of its own in the catalogue and is not sent.
NOTICE_OF: dict[SealMessageKind, str] = {
    SealMessageKind.APPLY_SUBMITTED: "seal_apply_submitted",
    SealMessageKind.APPLY_APPROVED: "seal_apply_approved",
    SealMessageKind.APPLY_REJECTED: "seal_apply_rejected",
    SealMessageKind.AUTH_ISSUED: "seal_apply_approved",
    SealMessageKind.SEAL_UNLOCKED: "seal_unlocked",
    SealMessageKind.APPLY_COMPLETED: "seal_use_finished",
    SealMessageKind.APPLY_FINISHED: "seal_use_finished",
    SealMessageKind.PHOTOS_OWED: "seal_photos_missing",
}


@effect(SealMessageDue)
def seal_message(event: SealMessageDue, source: Any, _lookup: Any) -> list[OutboxDraft]:
    """One ``notice`` per recipient (contact or employee number, resolved to a user at delivery).
    The key holds the application's version, so each change of it is a fact of its own."""
    notice = NOTICE_OF.get(event.kind)
    if notice is None:
        return []
    params = dict(event.params)
    params.setdefault("subject", str(getattr(source, "subject", "")))
    applicant = getattr(source, "applicant", None)
    params.setdefault("applicant", str(getattr(applicant, "name", "") or ""))
    params.setdefault("seal", params.get("sealName", params.get("deviceNo", "")))
    version = getattr(source, "version", 0)
    out = []
    for person in sorted(set(event.to)):
        if not person:
            continue
        key = f"sealmsg:{event.business_id}:{version}:{event.kind.value}:{_digest(person, event.params)}"
        out.append(OutboxDraft(kind=MessageKind.NOTICE, topic=f"seal.message.{event.kind.value.lower()}",
                               payload={"event": notice, "to": person, "tenant_id": getattr(source, "tenant_id", None),
                                        "params": params, "key": key},
                               idempotency_key=key))
    return out


# -- directory ----------------------------------------------------------------------------------
@effect(CertificationChanged)
def certification_callback(event: CertificationChanged, source: Any, lookup: Any) -> list[OutboxDraft]:
    """PASSED / REJECTED to the configured success / failure URL (none configured: nothing)."""
    url = lookup.settings.get(CallbackSettings).url_for(event.entity_type, event.status)
    if not url:
        return []
    data = {"entityType": event.entity_type.value, "entityId": str(event.entity_id), "status": event.status.value,
            "reason": event.reason or ""}
    key = f"cert:{event.entity_type.value}:{event.entity_id}:{getattr(source, 'version', 0)}:{event.status.value}"
    return [OutboxDraft(kind=MessageKind.WEBHOOK, topic="certification.changed",
                        payload={"url": url, "encoding": "json", "data": data}, idempotency_key=key)]


# -- contracts ----------------------------------------------------------------------------------
@effect(ContractCompleted, ContractEnded, VoidRequested)
def contract_callback(event: ContractCompleted | ContractEnded | VoidRequested, source: Any,
                      lookup: Any) -> list[OutboxDraft]:
    """A contract's final status (and TERMINATING, when voiding starts) to its business category's
    callback URL (none set: nothing)."""
    category_id = getattr(source, "category_id", None)
    if category_id is None:
        return []
    category = lookup.categories.find(category_id)
    url = getattr(category, "callback_url", None)
    if not url:
        return []
    status = "COMPLETE" if isinstance(event, ContractCompleted) else \
        "TERMINATING" if isinstance(event, VoidRequested) else event.status.value
    data = {"contractId": str(event.contract_id), "bizId": getattr(source, "biz_id", None) or "",
            "sn": getattr(source, "sn", None) or "", "subject": getattr(source, "subject", ""),
            "categoryId": str(category_id), "status": status,
            "reason": "" if isinstance(event, ContractCompleted) else (event.reason or ""),
            "timestamp": str(int(event.at.timestamp() * 1000))}
    return [OutboxDraft(kind=MessageKind.WEBHOOK, topic="contract.status",
                        payload={"url": url, "encoding": "json", "data": data},
                        idempotency_key=f"contract:{event.contract_id}:{status}")]


__all__: Sequence[str] = ("EFFECTS", "OutboxDraft", "drafts_for", "effect", "stage_effects")
