"""Worker processes on PostgreSQL delivering to a local webhook receiver: two workers never
deliver a message twice; a worker killed mid-delivery loses nothing; a failing receiver gets the
message once it recovers; a scheduled task runs once per occurrence with two workers."""

from __future__ import annotations

import signal
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from esign_adapters.outbox.webhook import new_secret
from tests.outbox.conftest import all_delivered, enqueue_webhooks, messages, statuses, wait_for
from tests.outbox.sink import Sink

pytestmark = pytest.mark.services


def test_two_workers_deliver_each_message_exactly_once(pg_engine: Engine, workers) -> None:  # type: ignore[no-untyped-def]
    secret = new_secret()
    keys = [f"two-{i}" for i in range(300)]
    with Sink(secret) as sink:
        enqueue_webhooks(pg_engine, sink.url, keys)
        procs = workers(secret)
        procs.start("--no-scheduler", "--concurrency", "2")
        procs.start("--no-scheduler", "--concurrency", "2")
        wait_for(all_delivered(pg_engine), what="all messages delivered")
        procs.stop_all()
        counts = sink.counts()
    assert sink.bad_signatures == 0
    assert set(counts) == set(keys)
    assert max(counts.values()) == 1, [k for k, n in counts.items() if n > 1]
    assert all(m.attempts == 1 for m in messages(pg_engine))
    assert [p.returncode for p in procs.procs] == [0, 0]  # SIGTERM: a graceful exit


def test_a_worker_killed_mid_delivery_loses_nothing(pg_engine: Engine, workers) -> None:  # type: ignore[no-untyped-def]
    secret = new_secret()
    with Sink(secret) as sink:
        enqueue_webhooks(pg_engine, sink.url, ["kill-1"])
        sink.block.clear()  # the receiver holds the first request
        procs = workers(secret)
        first = procs.start("--no-scheduler", ESIGN_WORKER_LEASE_SECONDS="3")
        assert sink.blocked.wait(60), procs.log(0)
        first.send_signal(signal.SIGKILL)  # dies after sending, before recording the outcome
        first.wait(10)
        assert statuses(pg_engine)["delivering"] == 1
        sink.block.set()
        procs.start("--no-scheduler", ESIGN_WORKER_LEASE_SECONDS="3")
        wait_for(all_delivered(pg_engine), what="the message delivered by the second worker")
        counts = sink.counts()
    [message] = messages(pg_engine)
    assert message.attempts == 2  # the lease expired, the second worker sent it again
    # at least once: the receiver saw the same webhook-id twice and keeps one (dedupe by id)
    assert counts == Counter({"kill-1": 2}) and len(set(sink.arrivals)) == 1


def test_a_failing_receiver_gets_the_message_after_retries(pg_engine: Engine, workers) -> None:  # type: ignore[no-untyped-def]
    secret = new_secret()
    with Sink(secret) as sink:
        sink.fail_next = 3
        enqueue_webhooks(pg_engine, sink.url, ["flaky-1"])
        procs = workers(secret)
        procs.start("--no-scheduler", ESIGN_WORKER_BACKOFF_SECONDS="0.2", ESIGN_WORKER_BACKOFF_CAP_SECONDS="1")
        wait_for(all_delivered(pg_engine), what="delivery after the receiver recovered")
        arrivals = list(sink.arrivals)
    [message] = messages(pg_engine)
    assert message.attempts == 4 and message.last_error is None
    assert arrivals == ["flaky-1"] * 4  # three refused, one accepted: one effective delivery


def test_a_scheduled_task_runs_once_per_occurrence_with_two_workers(pg_engine: Engine, workers,  # type: ignore[no-untyped-def]
                                                                    tmp_path: Path) -> None:
    record = tmp_path / "occurrences.txt"
    record.touch()
    procs = workers(new_secret())
    env = {"ESIGN_TEST_TASK_FILE": str(record), "ESIGN_WORKER_TICK_SECONDS": "0.1"}
    procs.start(**env)
    procs.start(**env)

    def lines() -> list[str]:
        return record.read_text().splitlines()

    wait_for(lambda: len(lines()) >= 4, what="four occurrences of the test task")
    procs.stop_all()
    occurrences = Counter(line.split()[0] for line in lines())
    assert max(occurrences.values()) == 1, occurrences
    with pg_engine.connect() as conn:
        import sqlalchemy as sa

        from esign_adapters.db import tables as t

        runs = conn.execute(sa.select(t.task_runs.c.occurrence, t.task_runs.c.status).where(
            t.task_runs.c.task == "test-recorder")).all()
    assert len(runs) == len({r.occurrence for r in runs}) >= len(occurrences)
    assert {r.status for r in runs} <= {"succeeded", "running"}
