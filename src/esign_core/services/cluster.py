"""Service monitoring use cases (manual 四.2.2–2.3): the downtime notice settings, the notices of
one downtime episode (or its recovery) queued in the outbox, and the audit of a restart.

Exactly once per episode (ADR 0046): the checker first wins the episode with a conditional update
of the node's row; the notices it then queues carry idempotency keys naming the node, the episode
and the recipient, so a second attempt for the same episode (a checker that crashed in between and
is retried, or one racing it) fails at commit with AlreadyExists and queues nothing.
"""

from __future__ import annotations

import logging
from typing import Any

import attrs

from esign_core.errors import AlreadyExists
from esign_core.model.audit import Actor, audit_record
from esign_core.model.cluster import ClusterSettings
from esign_core.model.messaging import MailTemplates, render
from esign_core.model.outbox import MessageKind
from esign_core.ports import Clock, IdGenerator, UnitOfWork
from esign_core.services.commands import Command
from esign_core.services.outbox import enqueue
from esign_core.services.settings import store_section

log = logging.getLogger(__name__)
DOWN_EVENT = "server_down"
RECOVERED_EVENT = "server_recovered"


@attrs.frozen(kw_only=True)
class GetClusterSettings(Command):
    pass


@attrs.frozen(kw_only=True)
class SaveClusterSettings(Command):
    """宕机通知设置: recipients and thresholds; audited."""

    changes: dict[str, Any]
    actor: str = "cli"
    ip: str | None = None


@attrs.frozen(kw_only=True)
class NotifyNodeDown(Command):
    """Queue the notices of downtime episode ``episode`` of a node (``recovered``: its recovery)."""

    node_id: str
    label: str
    episode: int
    recovered: bool = False


@attrs.frozen(kw_only=True)
class RecordNodeRestart(Command):
    """Audit a restart over SSH (重启): who, from where, which host, and how it ended."""

    host: str
    outcome: str
    actor: str = "cli"
    ip: str | None = None


def get_cluster_settings(cmd: GetClusterSettings, *, uow: UnitOfWork) -> ClusterSettings:
    with uow:
        return uow.settings.get(ClusterSettings)


def save_cluster_settings(cmd: SaveClusterSettings, *, uow: UnitOfWork, clock: Clock) -> ClusterSettings:
    """Raises InvalidValue naming the bad key (an unknown admin account among them)."""
    from esign_core.errors import InvalidValue
    from esign_core.services.settings import _coerce

    with uow:
        current = uow.settings.get(ClusterSettings)
        updated = current.evolve(**_coerce(ClusterSettings, cmd.changes))
        for name in updated.notify_admins:
            if uow.admins.by_username(name) is None:
                raise InvalidValue("notify_admins", f"no console account named {name!r}")
        store_section(uow, current, updated, actor=Actor(cmd.actor, cmd.ip), at=clock.now())
        uow.commit()
        return updated


def notify_node_down(cmd: NotifyNodeDown, *, uow: UnitOfWork, clock: Clock, ids: IdGenerator) -> int:
    """Queue one SMS per chosen admin with a mobile and one e-mail per chosen address, all in one
    unit of work; returns how many were queued, 0 when this episode's notices were queued before
    (or recovery notices are switched off, or nobody is chosen)."""
    event = RECOVERED_EVENT if cmd.recovered else DOWN_EVENT
    params = {"server": cmd.label}
    with uow:
        settings = uow.settings.get(ClusterSettings)
        if cmd.recovered and not settings.notify_recovery:
            return 0
        template = uow.settings.get(MailTemplates).template(event)
        subject, body = render(template.subject, params), render(template.body, params) + "\n"
        base = f"{'node-up' if cmd.recovered else 'node-down'}:{cmd.node_id}:{cmd.episode}"
        count = 0
        try:  # the outbox refuses a used key at once or at commit: this episode was notified before
            for name in settings.notify_admins:
                admin = uow.admins.by_username(name)
                if admin is None or admin.mobile is None or admin.disabled:
                    continue
                enqueue(uow, ids=ids, clock=clock, kind=MessageKind.SMS, topic=f"cluster.{event}",
                        payload={"mobile": admin.mobile.value, "template": event, "params": params},
                        idempotency_key=f"{base}:sms:{admin.id}")
                count += 1
            if template.enabled:
                for address in settings.notify_emails:
                    enqueue(uow, ids=ids, clock=clock, kind=MessageKind.EMAIL, topic=f"cluster.{event}",
                            payload={"to": address, "subject": subject, "body": body},
                            idempotency_key=f"{base}:mail:{address}"[:200])
                    count += 1
            if count:
                uow.commit()
        except AlreadyExists:
            log.info("notices of %s were queued before; nothing queued again", base)
            return 0
        return count


def record_node_restart(cmd: RecordNodeRestart, *, uow: UnitOfWork, clock: Clock) -> None:
    with uow:
        uow.evidence.append(audit_record("cluster", {"restart": [cmd.host, cmd.outcome[:300]]},
                                         actor=Actor(cmd.actor, cmd.ip), at=clock.now(),
                                         summary=f"restart {cmd.host}"))
        uow.commit()


HANDLERS: dict[type[Command], Any] = {
    GetClusterSettings: get_cluster_settings,
    SaveClusterSettings: save_cluster_settings,
    NotifyNodeDown: notify_node_down,
    RecordNodeRestart: record_node_restart,
}
