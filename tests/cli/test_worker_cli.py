"""``esign worker --once``, ``esign outbox list|show|resend`` and ``esign tasks …`` on the
embedded SQLite database."""

from __future__ import annotations

from pathlib import Path

import pytest

from esign_adapters.db.engine import make_engine
from esign_adapters.db.migrate import upgrade
from esign_adapters.db.uow import SqlUnitOfWork
from esign_adapters.outbox.webhook import new_secret
from esign_adapters.system import SnowflakeIds, SystemClock
from esign_core.services.outbox import enqueue
from tests.outbox.sink import Sink


def _enqueue(data_dir: Path, url: str, key: str) -> None:
    engine = make_engine(f"sqlite:///{data_dir / 'esign.db'}")
    upgrade(engine)
    with SqlUnitOfWork(engine) as uow:
        enqueue(uow, ids=SnowflakeIds(), clock=SystemClock(), kind="webhook", topic="test.cli",
                payload={"url": url, "data": {"mobile": "13812345678"}}, idempotency_key=key)
        uow.commit()
    engine.dispose()


def test_a_refused_webhook_is_dead_lettered_then_resent_once_allowed(run, data_dir: Path,  # type: ignore[no-untyped-def]
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    secret = new_secret()
    monkeypatch.setenv("ESIGN_WEBHOOK_SECRETS", secret)
    monkeypatch.setenv("ESIGN_WEBHOOK_ALLOW", "")
    d = ["--data-dir", str(data_dir)]
    with Sink(secret) as sink:
        _enqueue(data_dir, sink.url, "cli-1")
        once = run(*d, "worker", "--once", "--no-scheduler")
        assert "dead-lettered 1" in once.output, once.output
        listed = run(*d, "outbox", "list", "--status", "dead")
        assert "dead 1" in listed.output and "cli-1" in listed.output
        message_id = listed.output.splitlines()[1].split("\t")[0]
        shown = run(*d, "outbox", "show", message_id)
        assert "loopback" in shown.output and "138****5678" in shown.output and "13812345678" not in shown.output
        monkeypatch.setenv("ESIGN_WEBHOOK_ALLOW", "127.0.0.1")
        assert run(*d, "outbox", "resend", message_id).exit_code == 0
        assert "delivered 1" in run(*d, "worker", "--once", "--no-scheduler").output
        again = run(*d, "outbox", "resend", message_id)
    assert again.exit_code == 3  # only a dead message can be resent
    assert sink.arrivals == ["cli-1"]


def test_tasks_can_be_listed_disabled_rescheduled_and_run(run, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    d = ["--data-dir", str(data_dir)]
    listed = run(*d, "tasks", "list")
    assert {"heartbeat", "contract-expiry", "expiry-reminders"} <= {
        line.split("\t")[0] for line in listed.output.splitlines()}
    assert run(*d, "tasks", "disable", "heartbeat").exit_code == 0
    assert "heartbeat\tdisabled" in run(*d, "tasks", "list").output
    assert run(*d, "tasks", "schedule", "heartbeat", "*/10 * * * *").exit_code == 0
    assert run(*d, "tasks", "schedule", "heartbeat", "sometimes").exit_code == 2
    assert run(*d, "tasks", "enable", "heartbeat").exit_code == 0
    ran = run(*d, "tasks", "run", "heartbeat")
    assert "alive at" in ran.output and "heartbeat: succeeded" in ran.output
    history = run(*d, "tasks", "history", "heartbeat")
    assert "\tcli\tsucceeded\t" in history.output
    assert run(*d, "tasks", "run", "no-such-task").exit_code == 4
