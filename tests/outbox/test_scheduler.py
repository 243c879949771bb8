"""The scheduler on every SQL backend: occurrences claimed once, nothing fired from before a task
existed or was rescheduled, manual runs queued and taken once, output kept and truncated."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from esign_adapters.db import tables as t
from esign_adapters.scheduling.schedule import Schedule
from esign_adapters.scheduling.scheduler import Scheduler
from esign_adapters.scheduling.store import MAX_OUTPUT, SqlTaskStore
from esign_core.errors import InvalidValue, NotFoundError
from esign_core.testing import FixedClock, SequentialIds

T0 = datetime(2026, 3, 1, 8, 3, 20, tzinfo=UTC)


class Counting:
    name = "counting"
    description = "counts its runs"
    default_schedule = "every 5m"

    def __init__(self) -> None:
        self.runs: list[datetime] = []

    def run(self, context: Any) -> str:
        self.runs.append(context.occurrence)
        context.print("line one")
        return "x" * (MAX_OUTPUT + 100) if len(self.runs) == 3 else "ok"


class Failing:
    name = "failing"
    description = "always fails"
    default_schedule = "every 1m"

    def run(self, context: Any) -> None:
        raise RuntimeError("disk full for 13812345678")


@pytest.fixture(params=["sqlite", "postgresql", "mysql"])
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    if request.param != "sqlite":
        request.applymarker(pytest.mark.services)
    engine: Engine = request.getfixturevalue(f"{request.param}_engine")
    with engine.begin() as conn:
        for table in (t.task_runs, t.scheduled_tasks):
            conn.execute(table.delete())
    yield engine


def scheduler(engine: Engine, clock: FixedClock, tasks: dict[str, Any], node: str) -> Scheduler:
    return Scheduler(store=SqlTaskStore(engine), platform=None, clock=clock, ids=SequentialIds(
        start=1_000_000 + hash(node) % 1000 * 10_000), node=node, tasks=lambda: tasks)


def test_each_occurrence_runs_once_across_nodes(engine: Engine) -> None:
    task = Counting()
    clock = FixedClock(T0)
    a = scheduler(engine, clock, {"counting": task}, "a")
    b = scheduler(engine, clock, {"counting": task}, "b")
    assert a.tick() == [] and b.tick() == []  # installed at 08:03:20: 08:00 is before it existed
    clock.advance(minutes=2)  # 08:05:20
    ran = a.tick() + b.tick() + a.tick()
    assert [r.occurrence for r in ran] == [datetime(2026, 3, 1, 8, 5, tzinfo=UTC)]
    clock.advance(minutes=30)  # a pause: only the newest missed occurrence runs, once
    ran = b.tick() + a.tick()
    assert [(r.node, r.occurrence) for r in ran] == [("b", datetime(2026, 3, 1, 8, 35, tzinfo=UTC))]
    clock.advance(minutes=5)
    a.tick()
    history = a.history("counting")
    assert [h.status for h in history] == ["succeeded"] * 3
    assert len(history[0].output or "") <= MAX_OUTPUT and history[0].output.endswith("(output truncated)")
    assert history[1].output == "line one\nok"


def test_disabled_and_rescheduled_tasks(engine: Engine) -> None:
    task = Counting()
    clock = FixedClock(T0)
    s = scheduler(engine, clock, {"counting": task}, "a")
    s.installed()
    s.enable("counting", False)
    clock.advance(minutes=10)
    assert s.tick() == []
    s.enable("counting", True)  # counted again from now: no backlog
    assert s.tick() == []
    s.reschedule("counting", "*/2 * * * *")
    clock.advance(minutes=2)
    assert [r.occurrence.minute for r in s.tick()] == [14]  # rescheduled at 08:13:20, now 08:15:20
    [view] = s.views()
    assert (view.schedule, view.enabled, view.next_run) == ("*/2 * * * *", True,
                                                            datetime(2026, 3, 1, 8, 16, tzinfo=UTC))
    with pytest.raises(InvalidValue):
        s.reschedule("counting", "every day")
    with pytest.raises(NotFoundError):
        s.enable("nope")


def test_a_manual_run_is_taken_by_one_node_and_failures_are_recorded(engine: Engine) -> None:
    clock = FixedClock(T0)
    tasks = {"failing": Failing()}
    a, b = scheduler(engine, clock, tasks, "a"), scheduler(engine, clock, tasks, "b")
    a.installed()
    a.queue_run("failing")
    ran = a.tick() + b.tick()
    assert [(r.cause, r.status) for r in ran] == [("manual", "failed")]
    assert "138****5678" in (ran[0].output or "") and "13812345678" not in (ran[0].output or "")


def test_schedules() -> None:
    every = Schedule.parse(" Every  15M ")
    assert every.interval == 900 and every.latest(T0) == datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    assert every.next_after(T0) == datetime(2026, 3, 1, 8, 15, tzinfo=UTC)
    cron = Schedule.parse("10 2 * * *")
    assert cron.latest(T0) == datetime(2026, 3, 1, 2, 10, tzinfo=UTC)
    assert cron.latest(datetime(2026, 3, 1, 2, 10, tzinfo=UTC)) == datetime(2026, 3, 1, 2, 10, tzinfo=UTC)
    assert cron.next_after(T0) == datetime(2026, 3, 2, 2, 10, tzinfo=UTC)
    for bad in ("", "every 0s", "every 5 weeks", "61 * * * *", "* * * *", "rm -rf /"):
        with pytest.raises(InvalidValue):
            Schedule.parse(bad)


def test_a_run_left_running_by_a_dead_node_is_marked_abandoned(engine: Engine) -> None:
    clock = FixedClock(T0)
    s = scheduler(engine, clock, {"counting": Counting()}, "a")
    s.installed()
    s.store.claim("counting", T0, run_id=42, node="dead-node", now=T0)  # claimed, then the node died
    clock.advance(hours=7)
    s.tick()
    [run] = [r for r in s.history("counting") if r.id == 42]
    assert (run.status, run.output) == ("failed", "abandoned: the node running it stopped")
