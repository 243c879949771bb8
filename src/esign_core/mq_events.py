"""Domain events published to the message broker: the ``mq`` outbox drafts (docs/messaging.md,
ADR 0038). Pure, like every effect: whether publishing is on is read from the stored
:class:`~esign_core.model.policy.EventPublishing` section through the unit of work (``lookup``),
so a platform without a broker queues no ``mq`` rows at all.

Each draft's payload is ``{"data": envelope}`` with the envelope
``{"event", "id", "occurredAt", "data": {scalar fields of the event, camelCase}}``; the topic
(the routing key) is the event's name below; the idempotency key (the AMQP ``message_id`` and the
envelope's ``id``) is ``evt:<topic>:<hash of the event's fields and the aggregate's version>``, stable per fact.
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Callable
from datetime import datetime
from typing import Any

import attrs

from esign_core.model.base import Event
from esign_core.model.certification import CertificationChanged
from esign_core.model.contract import (
    ContractCompleted,
    ContractCreated,
    ContractEnded,
    ContractSent,
    ContractStatus,
    SignatoryCompleted,
)
from esign_core.model.org import (
    MemberDeparted,
    OrganizationCreated,
    OrganizationDeleted,
    OrganizationFrozen,
    OrganizationUnfrozen,
)
from esign_core.model.outbox import MessageKind
from esign_core.model.policy import EventPublishing
from esign_core.model.seal_apply_events import (
    SealApplyApproved,
    SealApplyCompleted,
    SealApplyFinished,
    SealApplyRejected,
    SealApplySubmitted,
    SealAuthIssued,
    SealUnlocked,
    SealUseEnded,
)

ENDED_TOPIC = {ContractStatus.REJECTED: "contract.rejected", ContractStatus.RECALLED: "contract.recalled",
               ContractStatus.EXPIRED: "contract.expired", ContractStatus.TERMINATED: "contract.voided",
               ContractStatus.DELETE: "contract.deleted", ContractStatus.FINISHED: "contract.finished"}

#: The routing key of each published event type (ContractEnded: by its status, see ENDED_TOPIC).
TOPICS: dict[type[Event], str] = {
    ContractCreated: "contract.created", ContractSent: "contract.sent", SignatoryCompleted: "contract.signed",
    ContractCompleted: "contract.completed",
    SealApplySubmitted: "seal.apply.submitted", SealApplyApproved: "seal.apply.approved",
    SealApplyRejected: "seal.apply.rejected", SealAuthIssued: "seal.auth.issued", SealUnlocked: "seal.unlocked",
    SealUseEnded: "seal.use.ended", SealApplyCompleted: "seal.apply.completed",
    SealApplyFinished: "seal.apply.finished",
    OrganizationCreated: "org.created", OrganizationFrozen: "org.frozen", OrganizationUnfrozen: "org.unfrozen",
    OrganizationDeleted: "org.deleted", MemberDeparted: "user.departed",
    CertificationChanged: "user.certification.changed",
}


def topic_of(event: Event) -> str | None:
    if isinstance(event, ContractEnded):
        return ENDED_TOPIC.get(event.status)
    return TOPICS.get(type(event))


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)


def _scalar(value: Any) -> Any:
    """JSON scalars only (ids as strings, like the webhooks); nested objects (people with phone
    numbers, for instance) are left out."""
    if isinstance(value, bool | int | float | str) or value is None:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    return _SKIP


_SKIP = object()
#: ``at`` is the envelope's ``occurredAt``; callback URLs may carry an integrator's token.
_LEFT_OUT = frozenset({"at", "callback_url"})


def envelope(event: Event, topic: str, version: object = 0) -> dict[str, Any]:
    fields = {a.name: _scalar(getattr(event, a.name)) for a in attrs.fields(type(event))}
    data = {_camel(k): v for k, v in fields.items() if v is not _SKIP and k not in _LEFT_OUT}
    at = getattr(event, "at", None)
    digest = hashlib.sha256(repr((version, sorted(fields.items(), key=lambda kv: kv[0]))).encode()).hexdigest()[:20]
    return {"event": topic, "id": f"evt:{topic}:{digest}",
            "occurredAt": at.isoformat() if isinstance(at, datetime) else None, "data": data}


def mq_drafts(event: Event, source: Any, lookup: Any, *, draft: Callable[..., Any]) -> list[Any]:
    """The ``mq`` draft of ``event`` when it is published and publishing is enabled."""
    topic = topic_of(event)
    if topic is None:
        return []
    settings = getattr(lookup, "settings", None)
    if settings is None or not settings.get(EventPublishing).enabled:
        return []
    body = envelope(event, topic, getattr(source, "version", 0))  # a fact repeated later is a new one
    return [draft(kind=MessageKind.MQ, topic=topic, payload={"data": body}, idempotency_key=body["id"])]
