"""Console pages of the outbox (list, filter, resend a dead message) and of scheduled tasks
(enable/disable, schedule, run now, history); both need a login with the settings permission."""

from __future__ import annotations

import pytest
from http_flows import activate, csrf_of, login

from esign_adapters.scheduling.scheduler import Scheduler
from esign_core.model.outbox import MessageStatus
from esign_core.services.outbox import GetOutboxMessage, enqueue

OUTBOX, TASKS = "/console/messaging/outbox", "/console/tasks"


@pytest.fixture
def logged_in(client, platform, licence_for):  # type: ignore[no-untyped-def]
    activate(client, platform, licence_for(platform.product_code))
    assert login(client).status_code == 302
    return client


def _post(client, page: str, action: str, **data: str):  # type: ignore[no-untyped-def]
    token = csrf_of(client.get(page).text)
    return client.post(action, data={"_csrf_token": token, **data}, follow_redirects=False)


def _dead_message(platform) -> int:  # type: ignore[no-untyped-def]
    with platform.uow() as uow:
        m = enqueue(uow, ids=platform.ids, clock=platform.clock, kind="mq", topic="contract.signed",
                    payload={"data": {"mobile": "13812345678"}}, idempotency_key="console-1")
        uow.commit()
    from esign_adapters.outbox.worker import deliver_now

    assert deliver_now(platform).dead == 1  # no MQ publisher on this platform: dead-lettered
    return m.id


def test_pages_need_a_login(client, platform, licence_for) -> None:  # type: ignore[no-untyped-def]
    activate(client, platform, licence_for(platform.product_code))
    for path in (OUTBOX, TASKS):
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 302 and r.headers["location"].startswith("/console/login")


def test_a_dead_message_is_listed_and_can_be_resent(logged_in, platform) -> None:  # type: ignore[no-untyped-def]
    message_id = _dead_message(platform)
    page = logged_in.get(OUTBOX, params={"status": "dead"})
    assert page.status_code == 200 and f'id="message-{message_id}"' in page.text
    assert "port.configuration" in page.text or "no mq channel" in page.text
    r = _post(logged_in, OUTBOX, f"{OUTBOX}/{message_id}/resend")
    assert r.status_code == 200 and "已重新排队发送" in r.text
    assert platform.handle(GetOutboxMessage(message_id=message_id)).status is MessageStatus.PENDING
    again = _post(logged_in, OUTBOX, f"{OUTBOX}/{message_id}/resend")
    assert again.status_code == 409
    assert logged_in.get(OUTBOX, params={"status": "bogus"}).status_code == 400


def test_tasks_can_be_disabled_rescheduled_and_queued(logged_in, platform) -> None:  # type: ignore[no-untyped-def]
    page = logged_in.get(TASKS)
    assert page.status_code == 200 and 'id="task-heartbeat"' in page.text
    assert _post(logged_in, TASKS, f"{TASKS}/heartbeat/disable").status_code == 200
    bad = _post(logged_in, TASKS, f"{TASKS}/heartbeat/schedule", schedule="whenever")
    assert bad.status_code == 422
    assert _post(logged_in, TASKS, f"{TASKS}/heartbeat/schedule", schedule="every 2h").status_code == 200
    queued = _post(logged_in, TASKS, f"{TASKS}/heartbeat/run")
    assert queued.status_code == 200 and "已提交" in queued.text
    scheduler = Scheduler.for_platform(platform)
    [view] = [v for v in scheduler.views() if v.name == "heartbeat"]
    assert (view.enabled, view.schedule) == (False, "every 2h")
    ran = scheduler.tick()  # a worker's tick takes the queued run (even though the task is disabled)
    assert [(r.task, r.cause, r.status) for r in ran] == [("heartbeat", "manual", "succeeded")]
    history = logged_in.get(TASKS, params={"task": "heartbeat"})
    assert "alive at" in history.text
