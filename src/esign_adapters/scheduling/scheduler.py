"""The scheduler: on every tick (each worker calls it, every 15 s by default) each enabled task's
newest due occurrence is claimed by inserting its run row — exactly one node wins and runs it —
and queued manual runs are taken. Missed occurrences are not replayed one by one: after a pause
only the newest runs (once), and none from before the task was installed, enabled or rescheduled.
"""

from __future__ import annotations

import logging
import os
import traceback
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

import attrs

from esign_adapters.scheduling.schedule import Schedule
from esign_adapters.scheduling.store import FAILED, SUCCEEDED, RunRow, SqlTaskStore, TaskRow
from esign_adapters.scheduling.tasks import TaskContext, load_tasks
from esign_core.errors import ConfigurationError, EsignError, NotFoundError
from esign_core.services.outbox import mask_text

log = logging.getLogger("esign.scheduler")
#: A run still ``running`` this long after its start is marked failed (its node died).
STALE_AFTER = timedelta(hours=6)


@attrs.frozen
class TaskView:
    """A task as the console and the CLI show it."""

    name: str
    description: str
    schedule: str
    default_schedule: str
    enabled: bool
    installed: bool
    next_run: Any
    last_run: RunRow | None


class Scheduler:
    def __init__(self, *, store: SqlTaskStore, platform: Any, clock: Any, ids: Any, node: str,
                 tasks: Callable[[], Mapping[str, Any]] = load_tasks) -> None:
        self.store = store
        self.platform = platform
        self.clock = clock
        self.ids = ids
        self.node = node
        self._tasks = tasks

    @classmethod
    def for_platform(cls, platform: Any) -> Scheduler:
        from esign_adapters.db.evidence import node_name

        if platform.engine is None:
            raise ConfigurationError("the scheduler needs the SQL database")
        return cls(store=SqlTaskStore(platform.engine), platform=platform, clock=platform.clock, ids=platform.ids,
                   node=f"{node_name()}:{os.getpid()}")

    def installed(self) -> Mapping[str, Any]:
        tasks = self._tasks()
        self.store.ensure({n: str(t.default_schedule) for n, t in tasks.items()}, self.clock.now())
        return tasks

    # -- the tick -------------------------------------------------------------------------------
    def tick(self) -> list[RunRow]:
        """Claim and run what is due on this node; returns the runs made here."""
        tasks = self.installed()
        now = self.clock.now()
        done: list[RunRow] = []
        for row in self.store.tasks():
            task = tasks.get(row.name)
            if task is None or not row.enabled:
                continue
            try:
                occurrence = Schedule.parse(row.schedule).latest(now)
            except EsignError:
                log.warning("task %s has an invalid schedule %r; skipped", row.name, row.schedule)
                continue
            if occurrence < row.since:
                continue
            run_id = self.ids.next_id()
            if self.store.claim(row.name, occurrence, run_id=run_id, node=self.node, now=now):
                done.append(self._execute(task, run_id, occurrence, "schedule"))
        self.store.abandon_stale(now=now, older_than=STALE_AFTER)
        for run in self.store.take_queued(node=self.node, now=now):
            task = tasks.get(run.task)
            if task is None:
                self.store.finish(run.id, status=FAILED, output="task is not installed on this node", now=now)
                continue
            done.append(self._execute(task, run.id, run.occurrence, run.cause))
        return done

    def _execute(self, task: Any, run_id: int, occurrence: Any, cause: str) -> RunRow:
        context = TaskContext(self.platform, occurrence)
        log.info("task %s: running occurrence %s (%s) on %s", task.name, occurrence.isoformat(), cause, self.node)
        try:
            returned = task.run(context)
            status, output = SUCCEEDED, context.output + (str(returned) if returned else "")
        except Exception as exc:  # noqa: BLE001 - a failing task is recorded, the scheduler goes on
            message = exc.message if isinstance(exc, EsignError) else "".join(
                traceback.format_exception_only(type(exc), exc)).strip()
            status, output = FAILED, context.output + f"failed: {message}"
            log.warning("task %s failed: %s", task.name, mask_text(message))
        output = mask_text(output)
        finished = self.clock.now()
        self.store.finish(run_id, status=status, output=output, now=finished)
        return RunRow(run_id, task.name, occurrence, cause, status, self.node, None, finished, output)

    # -- admin ----------------------------------------------------------------------------------
    def views(self) -> list[TaskView]:
        tasks = self.installed()
        now = self.clock.now()
        last = {}
        for run in self.store.history(limit=500):
            last.setdefault(run.task, run)
        out = []
        for row in self.store.tasks():
            task = tasks.get(row.name)
            try:
                nxt = Schedule.parse(row.schedule).next_after(now) if row.enabled else None
            except EsignError:
                nxt = None
            out.append(TaskView(row.name, getattr(task, "description", ""), row.schedule,
                                str(getattr(task, "default_schedule", "")), row.enabled, task is not None, nxt,
                                last.get(row.name)))
        return out

    def _known(self, name: str) -> TaskRow:
        self.installed()
        return self.store.task(name)

    def enable(self, name: str, enabled: bool = True) -> None:
        """Raises NotFoundError."""
        self._known(name)
        self.store.change(name, now=self.clock.now(), enabled=enabled)

    def reschedule(self, name: str, schedule: str) -> None:
        """Raises NotFoundError, InvalidValue."""
        parsed = Schedule.parse(schedule)
        self._known(name)
        self.store.change(name, now=self.clock.now(), schedule=parsed.text)

    def queue_run(self, name: str) -> int:
        """Ask the workers to run the task once now (运行一次); returns the run id."""
        self._known(name)
        run_id = self.ids.next_id()
        self.store.queue(name, run_id=run_id, now=self.clock.now())
        return run_id

    def run_here(self, name: str) -> RunRow:
        """Run the task once now in this process (``esign tasks run``)."""
        task = self.installed().get(name)
        if task is None:
            raise NotFoundError(f"no installed task named {name!r}", field="name")
        run_id, now = self.ids.next_id(), self.clock.now()
        self.store.start_now(name, run_id=run_id, node=self.node, now=now, cause="cli")
        return self._execute(task, run_id, now, "cli")

    def history(self, name: str | None = None, *, limit: int = 50) -> list[RunRow]:
        return self.store.history(name, limit=limit)
