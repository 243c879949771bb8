"""System logs (ADR 0045) on every backend: searched by time range, level, area, actor, request
id and text, paginated newest first, purged after the retention period; the batch writer never
blocks, counts what it drops when its queue is full and retries a batch the database refused."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from esign_adapters.db.system_log import SqlSystemLog
from esign_adapters.ops.log_writer import BatchLogWriter, DatabaseLogHandler
from esign_core.errors import DatabaseError, InvalidValue
from esign_core.model.system_log import LogEntry, LogQuery, mask_log_text
from esign_core.testing.fake_system_log import InMemorySystemLog

T0 = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


@pytest.fixture(params=["memory", "sqlite", "postgresql", "mysql"])
def store(request: pytest.FixtureRequest) -> Any:
    if request.param == "memory":
        return InMemorySystemLog()
    if request.param != "sqlite":
        request.applymarker(pytest.mark.services)
    engine: Engine = request.getfixturevalue(f"{request.param}_engine")
    from esign_adapters.db import tables as t

    with engine.begin() as conn:
        conn.execute(t.system_logs.delete())
    return SqlSystemLog(engine)


def _entries() -> list[LogEntry]:
    return [
        LogEntry(at=T0, level="INFO", area="console", actor="admin", request_id="req-aaaa0001", method="GET",
                 path="/console/services/logs", status=200, duration_ms=12, logger="esign.request",
                 message="GET /console/services/logs 200 12 ms"),
        LogEntry(at=T0 + timedelta(minutes=1), level="WARNING", area="portal", request_id="req-bbbb0002",
                 method="POST", path="/portal/sms/send", status=429, duration_ms=3, logger="esign.request",
                 message="too many codes for 13812345678"),
        LogEntry(at=T0 + timedelta(minutes=2), level="INFO", area="open", actor="app:OA", request_id="req-cccc0003",
                 method="POST", path="/open/contract/create", status=200, duration_ms=80, logger="esign.request",
                 message="POST /open/contract/create 200"),
        LogEntry(at=T0 + timedelta(minutes=3), level="ERROR", area="app", request_id="req-cccc0003",
                 logger="esign.signing", message="Signing failed: TSA unreachable"),
    ]


def _found(store: Any, **filters: Any) -> list[str]:
    return [e.request_id + ":" + e.level for e in store.search(LogQuery(**filters)).entries]


def test_logs_are_found_by_each_criterion(store: Any) -> None:
    store.write_many(_entries())
    assert len(_found(store)) == 4
    assert _found(store, since=T0 + timedelta(minutes=1), until=T0 + timedelta(minutes=3)) == [
        "req-cccc0003:INFO", "req-bbbb0002:WARNING"]
    assert _found(store, level="ERROR") == ["req-cccc0003:ERROR"]
    assert _found(store, level="warning") == ["req-bbbb0002:WARNING"]
    assert _found(store, area="open") == ["req-cccc0003:INFO"]
    assert _found(store, actor="admin") == ["req-aaaa0001:INFO"]
    assert _found(store, request_id="req-cccc0003") == ["req-cccc0003:ERROR", "req-cccc0003:INFO"]
    assert _found(store, text="tsa UNREACHABLE") == ["req-cccc0003:ERROR"]
    assert _found(store, text="/portal/sms") == ["req-bbbb0002:WARNING"]
    assert _found(store, text="100%") == []  # LIKE wildcards are taken literally
    assert _found(store, area="console", level="ERROR") == []


def test_pages_come_newest_first_with_the_total(store: Any) -> None:
    store.write_many([LogEntry(at=T0 + timedelta(seconds=i), level="INFO", area="console", request_id=f"r{i:03d}",
                               message=f"entry {i}") for i in range(23)])
    first = store.search(LogQuery(per_page=10))
    third = store.search(LogQuery(per_page=10, page=3))
    assert (first.total, first.pages, third.page) == (23, 3, 3)
    assert [e.request_id for e in first.entries][:2] == ["r022", "r021"]
    assert [e.request_id for e in third.entries] == ["r002", "r001", "r000"]


def test_old_entries_are_purged(store: Any) -> None:
    store.write_many(_entries())
    assert store.purge(T0 + timedelta(minutes=2)) == 2
    assert sorted(_found(store)) == ["req-cccc0003:ERROR", "req-cccc0003:INFO"]
    assert store.purge(T0) == 0


def test_entries_are_stored_masked(store: Any) -> None:
    store.write_many([LogEntry(at=T0, level="WARNING", area="app", actor="13812345678",
                               path="/console/users/110101199003074477",
                               message="login of 13812345678 id 110101199003074477 password=hunter2 "
                                       "url postgresql://esign:s3cret@db/esign Authorization: Bearer abcdefghijkl")])
    (e,) = store.search(LogQuery()).entries
    text = f"{e.actor} {e.path} {e.message}"
    for secret in ("13812345678", "110101199003074477", "hunter2", "s3cret", "abcdefghijkl"):
        assert secret not in text
    assert "138****5678" in e.actor and "110*************77" in e.path and "password=******" in e.message


def test_masking_keeps_ordinary_numbers() -> None:
    assert mask_log_text("order 20261130080000123 took 12 ms") == "order 20261130080000123 took 12 ms"
    assert mask_log_text("+8613812345678") == "+86138****5678"
    assert mask_log_text("token: abc.def") == "token: ******"


def test_unknown_level_or_area_is_refused() -> None:
    with pytest.raises(InvalidValue):
        LogQuery(level="LOUD")
    with pytest.raises(InvalidValue):
        LogQuery(area="elsewhere")
    with pytest.raises(InvalidValue):
        LogQuery(per_page=1000)


def _entry(i: int) -> LogEntry:
    return LogEntry(at=T0, level="INFO", area="console", request_id=f"q{i}", message=str(i))


def test_a_full_queue_drops_and_counts_without_blocking() -> None:
    written: list[LogEntry] = []
    gate = threading.Event()

    def slow_sink(entries: Any) -> None:
        gate.wait(10)  # the database is stuck: nothing leaves the queue
        written.extend(entries)

    writer = BatchLogWriter(slow_sink, capacity=5, batch=1, interval=0.01)
    try:
        accepted = [writer.submit(_entry(i)) for i in range(50)]
        assert accepted.count(False) >= 44  # at most 5 queued + 1 being written
        assert writer.stats()["dropped"] == accepted.count(False)
        gate.set()
        assert writer.flush(10)
        assert len(written) == accepted.count(True)
    finally:
        gate.set()
        writer.close()


def test_a_refused_batch_is_retried_not_lost() -> None:
    store = InMemorySystemLog()
    failures = [2]

    def flaky(entries: Any) -> None:
        if failures[0]:
            failures[0] -= 1
            raise DatabaseError("the database is restarting")
        store.write_many(entries)

    writer = BatchLogWriter(flaky, capacity=100, batch=10, interval=0.01, max_backoff=0.05)
    try:
        for i in range(7):
            assert writer.submit(_entry(i))
        assert writer.flush(10)
        assert store.search(LogQuery()).total == 7
        assert writer.stats()["failures"] == 2 and writer.stats()["dropped"] == 0
    finally:
        writer.close()


def test_application_warnings_become_masked_entries(store: Any) -> None:
    import logging

    writer = BatchLogWriter(store.write_many, interval=0.01)
    handler = DatabaseLogHandler(writer, area="worker", node="n1")
    logger = logging.getLogger("esign.test.ops")
    logger.addHandler(handler)
    try:
        logger.info("not stored: below WARNING")
        logger.warning("sms to %s failed", "13812345678")
        assert writer.flush(10)
    finally:
        logger.removeHandler(handler)
        writer.close()
    (e,) = store.search(LogQuery(area="worker")).entries
    assert (e.level, e.logger, e.node, e.message) == ("WARNING", "esign.test.ops", "n1", "sms to 138****5678 failed")
