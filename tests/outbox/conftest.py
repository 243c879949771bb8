"""PostgreSQL (and other SQL) fixtures for the outbox and scheduler tests, plus worker
processes started as ``esign worker`` would be."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from esign_adapters.db import tables as t
from esign_adapters.db.engine import make_engine
from esign_adapters.db.migrate import upgrade
from esign_adapters.db.uow import SqlUnitOfWork
from esign_adapters.system import SnowflakeIds, SystemClock
from esign_core.model.outbox import MessageStatus, OutboxQuery
from esign_core.services.outbox import enqueue
from tests.db.conftest import drop_everything, reachable_url

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def pg_url() -> str:
    return reachable_url("postgresql")


@pytest.fixture(scope="session")
def pg_migrated(pg_url: str) -> Iterator[Engine]:
    engine = make_engine(pg_url)
    drop_everything(engine)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def pg_engine(pg_migrated: Engine) -> Engine:
    with pg_migrated.begin() as conn:
        for table in (t.outbox_messages, t.task_runs, t.scheduled_tasks):
            conn.execute(table.delete())
    return pg_migrated


def enqueue_webhooks(engine: Engine, url: str, keys: list[str]) -> None:
    uow, ids, clock = SqlUnitOfWork(engine), SnowflakeIds(), SystemClock()
    with uow:
        for key in keys:
            enqueue(uow, ids=ids, clock=clock, kind="webhook", topic="test.event",
                    payload={"url": url, "data": {"key": key}}, idempotency_key=key)
        uow.commit()


def statuses(engine: Engine) -> dict[str, int]:
    with SqlUnitOfWork(engine) as uow:
        return {s.value: n for s, n in uow.outbox.counts().items()}


def messages(engine: Engine) -> list[Any]:
    with SqlUnitOfWork(engine) as uow:
        return list(uow.outbox.search(OutboxQuery(limit=1000)))


def wait_for(condition: Callable[[], bool], *, timeout: float = 90.0, what: str = "condition") -> None:
    """Poll until ``condition()`` (a deadline against a hung test, not a timing assertion)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"gave up waiting for {what}")


def all_delivered(engine: Engine) -> Callable[[], bool]:
    def check() -> bool:
        with engine.connect() as conn:
            left = conn.execute(sa.select(sa.func.count()).select_from(t.outbox_messages).where(
                t.outbox_messages.c.status != MessageStatus.DELIVERED.value)).scalar_one()
        return left == 0
    return check


class WorkerProcesses:
    def __init__(self, tmp_path: Path, url: str, secret: str) -> None:
        self.tmp_path, self.url, self.secret = tmp_path, url, secret
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self, *args: str, **env: str) -> subprocess.Popen[bytes]:
        n = len(self.procs)
        data_dir = self.tmp_path / f"worker-{n}"
        data_dir.mkdir(exist_ok=True)
        full_env = {**os.environ, "ESIGN_DATA_DIR": str(data_dir), "ESIGN_DATABASE_URL": self.url,
                    "ESIGN_WEBHOOK_SECRETS": self.secret, "ESIGN_WEBHOOK_ALLOW": "127.0.0.1/32",
                    "ESIGN_WORKER_POLL_SECONDS": "0.05", "ESIGN_NODE_ID": str(100 + n), **env}
        log = (data_dir / "worker.log").open("wb")
        proc = subprocess.Popen([sys.executable, "-m", "tests.outbox.worker_main", "worker", *args], cwd=ROOT,
                                env=full_env, stdout=log, stderr=subprocess.STDOUT)
        self.procs.append(proc)
        return proc

    def log(self, n: int) -> str:
        return (self.tmp_path / f"worker-{n}" / "worker.log").read_text(errors="replace")

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture
def workers(tmp_path: Path, pg_url: str) -> Iterator[Callable[[str], WorkerProcesses]]:
    made: list[WorkerProcesses] = []

    def make(secret: str) -> WorkerProcesses:
        w = WorkerProcesses(tmp_path, pg_url, secret)
        made.append(w)
        return w

    yield make
    for w in made:
        w.stop_all()


# The SQL engines of the repository suite (wiped and migrated once per session).
from tests.db.conftest import mysql_engine, postgresql_engine, sqlite_engine  # noqa: E402, F401
