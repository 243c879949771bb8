"""Task state and run history on SQL (``scheduled_tasks``, ``task_runs``).

An occurrence is claimed by inserting its ``(task, occurrence)`` row: the unique key lets exactly
one node succeed, whatever the number of workers; that node runs it. A manual run (运行一次) is
queued as a row in status ``queued`` and taken by a compare-and-set update to ``running``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

import attrs
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from esign_adapters.db import tables as t
from esign_adapters.db.errors import translate_error
from esign_core.errors import NotFoundError

TASKS, RUNS = t.scheduled_tasks, t.task_runs
MAX_OUTPUT = 4000
QUEUED, RUNNING, SUCCEEDED, FAILED = "queued", "running", "succeeded", "failed"


@attrs.frozen
class TaskRow:
    name: str
    enabled: bool
    schedule: str
    since: datetime


@attrs.frozen
class RunRow:
    id: int
    task: str
    occurrence: datetime
    cause: str
    status: str
    node: str | None
    started_at: datetime | None
    finished_at: datetime | None
    output: str | None


def truncate(text: str, limit: int = MAX_OUTPUT) -> str:
    marker = "\n… (output truncated)"
    return text if len(text) <= limit else text[: limit - len(marker)] + marker


class SqlTaskStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def _run(self, fn: Any) -> Any:
        try:
            with self.engine.begin() as conn:
                return fn(conn)
        except sa.exc.SQLAlchemyError as exc:
            raise translate_error(exc) from exc

    # -- tasks ----------------------------------------------------------------------------------
    def ensure(self, defaults: Mapping[str, str], now: datetime) -> None:
        """Give each installed task (name → default schedule) its row when it has none: enabled,
        its default schedule, due from ``now``."""
        existing = {r.name for r in self.tasks()}
        for name, schedule in defaults.items():
            if name in existing:
                continue
            try:
                self._run(lambda c, n=name, s=schedule: c.execute(sa.insert(TASKS).values(
                    name=n, enabled=True, schedule=s, since=now, version=1)))
            except Exception:  # noqa: BLE001, S110 - another node inserted it first
                pass

    def tasks(self) -> list[TaskRow]:
        rows = self._run(lambda c: c.execute(sa.select(TASKS).order_by(TASKS.c.name)).mappings().all())
        return [TaskRow(r["name"], bool(r["enabled"]), r["schedule"], r["since"]) for r in rows]

    def task(self, name: str) -> TaskRow:
        for row in self.tasks():
            if row.name == name:
                return row
        raise NotFoundError(f"no scheduled task named {name!r}", field="name")

    def change(self, name: str, *, now: datetime, enabled: bool | None = None, schedule: str | None = None) -> None:
        """Enable/disable or reschedule; occurrences are counted again from ``now`` (so a change
        never fires a backlog). Raises NotFoundError."""
        values: dict[str, Any] = {"since": now, "version": TASKS.c.version + 1}
        if enabled is not None:
            values["enabled"] = enabled
        if schedule is not None:
            values["schedule"] = schedule
        done = self._run(lambda c: c.execute(sa.update(TASKS).where(TASKS.c.name == name).values(**values)).rowcount)
        if done != 1:
            raise NotFoundError(f"no scheduled task named {name!r}", field="name")

    # -- runs -----------------------------------------------------------------------------------
    def claim(self, task: str, occurrence: datetime, *, run_id: int, node: str, now: datetime) -> bool:
        """Insert the occurrence's run as ``running`` on ``node``; False when another node (or an
        earlier tick) already has it."""
        c = RUNS.c
        seen = self._run(lambda conn: conn.execute(
            sa.select(c.id).where(c.task == task, c.occurrence == occurrence)).first())
        if seen is not None:
            return False
        try:
            with self.engine.begin() as conn:
                conn.execute(sa.insert(RUNS).values(id=run_id, task=task, occurrence=occurrence, cause="schedule",
                                                    status=RUNNING, node=node, started_at=now))
        except IntegrityError:
            return False
        except sa.exc.SQLAlchemyError as exc:
            raise translate_error(exc) from exc
        return True

    def queue(self, task: str, *, run_id: int, now: datetime, cause: str = "manual") -> None:
        self._run(lambda c: c.execute(sa.insert(RUNS).values(id=run_id, task=task, occurrence=now, cause=cause,
                                                              status=QUEUED)))

    def take_queued(self, *, node: str, now: datetime) -> list[RunRow]:
        c = RUNS.c
        rows = self._run(lambda conn: conn.execute(
            sa.select(RUNS).where(c.status == QUEUED).order_by(c.occurrence)).mappings().all())
        taken = []
        for r in rows:
            moved = self._run(lambda conn, rid=r["id"]: conn.execute(
                sa.update(RUNS).where(c.id == rid, c.status == QUEUED).values(status=RUNNING, node=node,
                                                                               started_at=now)).rowcount)
            if moved == 1:
                taken.append(_run_row({**r, "status": RUNNING, "node": node, "started_at": now}))
        return taken

    def start_now(self, task: str, *, run_id: int, node: str, now: datetime, cause: str) -> None:
        self._run(lambda c: c.execute(sa.insert(RUNS).values(id=run_id, task=task, occurrence=now, cause=cause,
                                                              status=RUNNING, node=node, started_at=now)))

    def finish(self, run_id: int, *, status: str, output: str, now: datetime) -> None:
        self._run(lambda c: c.execute(sa.update(RUNS).where(RUNS.c.id == run_id).values(
            status=status, output=truncate(output), finished_at=now)))

    def abandon_stale(self, *, now: datetime, older_than: timedelta) -> int:
        """Runs still ``running`` long after they started (their node died) become ``failed``."""
        c = RUNS.c
        return int(self._run(lambda conn: conn.execute(
            sa.update(RUNS).where(c.status == RUNNING, c.started_at < now - older_than).values(
                status=FAILED, finished_at=now, output="abandoned: the node running it stopped")).rowcount))

    def history(self, task: str | None = None, *, limit: int = 50) -> list[RunRow]:
        stmt = sa.select(RUNS).order_by(RUNS.c.occurrence.desc(), RUNS.c.id.desc()).limit(limit)
        if task:
            stmt = stmt.where(RUNS.c.task == task)
        return [_run_row(r) for r in self._run(lambda c: c.execute(stmt).mappings().all())]

    def runs_of(self, task: str, occurrences: Iterable[datetime]) -> list[RunRow]:
        wanted = list(occurrences)
        stmt = sa.select(RUNS).where(RUNS.c.task == task, RUNS.c.occurrence.in_(wanted))
        return [_run_row(r) for r in self._run(lambda c: c.execute(stmt).mappings().all())]


def _run_row(r: Mapping[str, Any]) -> RunRow:
    return RunRow(int(r["id"]), r["task"], r["occurrence"], r["cause"], r["status"], r["node"], r["started_at"],
                  r["finished_at"], r["output"])
