"""``esign worker`` (outbox delivery and scheduled tasks in a process of its own) and
``esign outbox list|show|resend``."""

from __future__ import annotations

import json
import logging
import signal
from typing import Any

import click

from esign_cli.context import load_platform
from esign_core.model.outbox import MessageKind, MessageStatus, OutboxQuery
from esign_core.services.outbox import GetOutboxMessage, ListOutboxMessages, ResendOutboxMessage, mask_text


@click.command("worker")
@click.option("--concurrency", type=click.IntRange(min=1, max=64), default=None,
              help="Delivery threads (default [worker] concurrency, 1; SQLite always 1).")
@click.option("--no-scheduler", is_flag=True, help="Deliver the outbox only; run no scheduled tasks.")
@click.option("--once", is_flag=True, help="Run one delivery round (and one scheduler tick) and exit.")
@click.pass_context
def worker(ctx: click.Context, concurrency: int | None, no_scheduler: bool, once: bool) -> None:
    """Deliver outbox messages and run scheduled tasks until SIGTERM/SIGINT (graceful: the message
    being sent is finished, the rest handed back). Run as many as needed, on any node."""
    from esign_adapters.outbox.worker import Worker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    for noisy in ("httpx", "httpcore", "alembic"):  # a line per request / migration step is not liveness
        logging.getLogger(noisy).setLevel(logging.WARNING)
    platform = load_platform(ctx)
    if not platform.schema_ready():
        platform.migrate()
    w = Worker.for_platform(platform, concurrency=concurrency, scheduler=not no_scheduler)
    if platform.engine is not None and not once:  # warnings and errors go to the system logs too (ADR 0045)
        from esign_adapters.ops.heartbeat import node_address
        from esign_adapters.ops.log_writer import install_handler

        install_handler(platform.log_writer, area="worker", node=node_address(platform.settings))
    if once:
        result = w.run_once()
        click.echo(f"claimed {result.claimed}, delivered {result.delivered}, retried {result.retried}, "
                   f"dead-lettered {result.dead}")
        for run in w.tick_once():
            click.echo(f"task {run.task}: {run.status}")
        return

    def on_signal(signum: int, _frame: Any) -> None:
        logging.getLogger("esign.worker").info("signal %d: stopping", signum)
        w.stopping.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    w.run_until_stopped()


@click.group("outbox")
def outbox_group() -> None:
    """Outgoing messages (SMS, e-mail, webhooks, MQ, push): inspect and resend."""


def _kind(value: str | None) -> MessageKind | None:
    return MessageKind(value) if value else None


@outbox_group.command("list")
@click.option("--status", type=click.Choice([s.value for s in MessageStatus]))
@click.option("--kind", type=click.Choice([k.value for k in MessageKind]))
@click.option("--topic")
@click.option("--key", help="Idempotency key prefix.")
@click.option("--limit", type=click.IntRange(1, 1000), default=50, show_default=True)
@click.pass_context
def list_messages(ctx: click.Context, status: str | None, kind: str | None, topic: str | None, key: str | None,
                  limit: int) -> None:
    """Newest first: id, status, kind, topic, attempts, next attempt, idempotency key."""
    query = OutboxQuery(status=MessageStatus(status) if status else None, kind=_kind(kind), topic=topic, key=key,
                        limit=limit)
    result = load_platform(ctx).handle(ListOutboxMessages(query=query))
    click.echo("counts: " + ", ".join(f"{s.value} {n}" for s, n in result.counts.items()))
    for m in result.messages:
        nxt = m.next_attempt_at.isoformat(timespec="seconds") if m.next_attempt_at else "-"
        click.echo("\t".join([str(m.id), m.status.value, m.kind.value, m.topic, str(m.attempts), nxt,
                              mask_text(m.idempotency_key)]))


@outbox_group.command("show")
@click.argument("message_id", type=int)
@click.pass_context
def show(ctx: click.Context, message_id: int) -> None:
    """One message as JSON (phone numbers masked)."""
    m = load_platform(ctx).handle(GetOutboxMessage(message_id=message_id))
    data = {"id": str(m.id), "kind": m.kind.value, "topic": m.topic, "status": m.status.value,
            "attempts": m.attempts, "idempotency_key": m.idempotency_key, "created_at": m.created_at.isoformat(),
            "next_attempt_at": m.next_attempt_at.isoformat() if m.next_attempt_at else None,
            "delivered_at": m.delivered_at.isoformat() if m.delivered_at else None, "last_error": m.last_error,
            "payload": m.payload}
    click.echo(mask_text(json.dumps(data, ensure_ascii=False, indent=2)))


@outbox_group.command("resend")
@click.argument("message_id", type=int)
@click.pass_context
def resend(ctx: click.Context, message_id: int) -> None:
    """Give a dead-lettered message a fresh round of attempts."""
    m = load_platform(ctx).handle(ResendOutboxMessage(message_id=message_id))
    click.echo(f"message {m.id} queued again")
