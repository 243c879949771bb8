"""SMS records and in-site messages on every backend (the in-memory fakes included): idempotent
by key, searchable by mobile, statistics per channel and per month, unread counts."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from esign_adapters.db.message_log import SqlInbox, SqlSmsRecords
from esign_core.model.message_log import SmsRecord, SmsStatus
from esign_core.testing.fake_messaging import InMemoryInbox, InMemorySmsRecords

AT = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


@pytest.fixture
def records(backend, request):  # type: ignore[no-untyped-def]
    if backend == "memory":
        return InMemorySmsRecords()
    from tests.db.conftest import delete_rows

    engine = request.getfixturevalue(f"{backend}_engine")
    delete_rows(engine)
    return SqlSmsRecords(engine)


@pytest.fixture
def inbox(backend, request):  # type: ignore[no-untyped-def]
    if backend == "memory":
        return InMemoryInbox()
    from tests.db.conftest import delete_rows

    engine = request.getfixturevalue(f"{backend}_engine")
    delete_rows(engine)
    return SqlInbox(engine)


def _record(key: str, mobile: str = "13812345678", *, channel: str = "PLATFORM", status: SmsStatus = SmsStatus.SENT,
            at: datetime = AT, **kw) -> SmsRecord:  # type: ignore[no-untyped-def]
    return SmsRecord(key=key, mobile=mobile, event="verification_code", channel=channel, provider="dev",
                     status=status, at=at, **kw)


def test_a_retry_updates_the_record_of_its_key(records):
    records.record(_record("k1", status=SmsStatus.FAILED, error="timeout"))
    records.record(_record("k1", at=AT + timedelta(minutes=1), message_id="biz-1"))
    (found,), total = records.search()
    assert total == 1 and found.status is SmsStatus.SENT and found.attempts == 2
    assert found.message_id == "biz-1" and found.at == AT


def test_search_by_part_of_the_mobile_newest_first_with_paging(records):
    for i in range(5):
        records.record(_record(f"a{i}", "1381234567" + str(i), at=AT + timedelta(minutes=i)))
    records.record(_record("b", "13900000000"))
    page, total = records.search(mobile="138123", limit=2, offset=1)
    assert total == 5 and [r.key for r in page] == ["a3", "a2"]
    assert records.search(mobile="%")[1] == 6  # not a wildcard: no digits means every record
    assert records.search(mobile="139")[1] == 1


def test_statistics_per_channel_and_month(records):
    records.record(_record("1"))
    records.record(_record("2", channel="OWN"))
    records.record(_record("3", channel="OWN", status=SmsStatus.FAILED))
    records.record(_record("4", channel="OWN", at=AT - timedelta(days=31)))
    stats = records.statistics(months=3, until=AT)
    assert stats.total == 3 and stats.by_channel == {"PLATFORM": 1, "OWN": 2}
    assert stats.by_month == (("2026-09", 0), ("2026-10", 1), ("2026-11", 2))


@pytest.mark.server_only  # SQLite serialises writers: the race is exercised on the servers
def test_concurrent_retries_of_one_key_leave_one_record(records, backend):
    barrier = threading.Barrier(6)

    def deliver() -> None:
        barrier.wait()
        records.record(_record("same"))

    threads = [threading.Thread(target=deliver) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    (found,), total = records.search()
    assert total == 1 and found.attempts == 6


def test_inbox_stores_once_per_key_and_counts_unread(inbox):
    first = inbox.deliver(user_id=1, event="seal_apply_approved", title="t", body="b1", key="k1", at=AT)
    assert inbox.deliver(user_id=1, event="seal_apply_approved", title="t", body="b1", key="k1", at=AT) == first
    second = inbox.deliver(user_id=1, event="seal_use_finished", title="t2", body="b2", key="k2",
                           at=AT + timedelta(seconds=1))
    inbox.deliver(user_id=2, event="seal_use_finished", title="t", body="b", key="k3", at=AT)
    assert inbox.unread_count(1) == 2 and [m.id for m in inbox.messages(1)] == [second, first]
    assert inbox.mark_read(1, first, at=AT) and not inbox.mark_read(2, first, at=AT)
    assert inbox.unread_count(1) == 1 and [m.id for m in inbox.messages(1, unread_only=True)] == [second]
    assert inbox.messages(1)[1].read_at == AT
