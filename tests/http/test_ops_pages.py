"""服务管理 pages (manual 四.2.1–2.3): every request of the console, portal and open API lands in
the system logs (masked, no query strings) and is found by time, level, area, actor, request id
and text; the cluster page lists each service's nodes with their health and keeps the downtime
notice settings (audited); the restart action needs its own permission."""

from __future__ import annotations

from datetime import timedelta

import pytest
from http_flows import ADMIN_USER, activate, csrf_of, login

from esign_adapters.db.cluster_nodes import SqlClusterNodes
from esign_core.model.audit import AuditQuery
from esign_core.model.cluster import ClusterNode, ClusterSettings
from esign_core.model.system_log import LogQuery
from esign_core.model.user import AdminAccount, Permission, Role
from esign_core.services.cluster import GetClusterSettings

LOGS, CLUSTER = "/console/services/logs", "/console/services/cluster"


@pytest.fixture
def logged_in(client, platform, licence_for):  # type: ignore[no-untyped-def]
    if platform.engine is None:
        pytest.skip("the cluster and the system logs are kept in the SQL database")
    activate(client, platform, licence_for(platform.product_code))
    assert login(client).status_code == 302
    return client


def _flushed(platform):  # type: ignore[no-untyped-def]
    assert platform.log_writer.flush(10)
    return platform.system_log


def test_requests_are_logged_and_found_by_each_criterion(logged_in, platform) -> None:  # type: ignore[no-untyped-def]
    mine = logged_in.get("/console", headers={"x-request-id": "trace-console-0001"})
    assert mine.headers["x-request-id"] == "trace-console-0001"
    logged_in.get("/portal/sign", params={"token": "SIGNLINKSECRET123"})
    assert logged_in.get("/open/contract/categories").status_code == 401
    logged_in.get("/console/no-such-page/13812345678")
    store = _flushed(platform)
    assert store.search(LogQuery(text="SIGNLINKSECRET")).total == 0  # query strings are never logged
    assert store.search(LogQuery(text="13812345678")).total == 0
    assert store.search(LogQuery(text="/console/no-such-page/138****5678")).total == 1

    def rows(**params: str) -> str:
        r = logged_in.get(LOGS, params=params)
        assert r.status_code == 200
        return r.text.split('id="logs"', 1)[1]

    assert "trace-console-0001" in rows(request_id="trace-console-0001")
    assert "/console/no-such-page" not in rows(request_id="trace-console-0001")
    found = rows(area="open")
    assert "/open/contract/categories" in found and "/portal/sign" not in found
    assert "/portal/sign" in rows(area="portal")
    assert "/open/contract/categories" in rows(level="WARNING") and "trace-console-0001" not in rows(level="WARNING")
    assert "trace-console-0001" in rows(actor=ADMIN_USER) and "/open/contract" not in rows(actor=ADMIN_USER)
    assert "no-such-page" in rows(text="NO-SUCH")
    now = platform.clock.now()
    assert "trace-console-0001" not in rows(since=(now + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    assert "trace-console-0001" in rows(since=(now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
                                        until=(now + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    assert logged_in.get(LOGS, params={"since": "yesterday"}).status_code == 422


def test_logs_are_paginated(logged_in, platform) -> None:  # type: ignore[no-untyped-def]
    for i in range(60):
        logged_in.get("/console/settings/unknown-" + str(i))
    _flushed(platform)
    first = logged_in.get(LOGS, params={"text": "unknown-"})
    assert "共 60 条" in first.text and 'id="next-page"' in first.text
    second = logged_in.get(LOGS, params={"text": "unknown-", "page": "2"})
    assert second.text.count("<code>GET /console/settings/unknown-") == 10 and 'id="prev-page"' in second.text


def test_cluster_page_lists_the_nodes_of_each_service(logged_in, platform) -> None:  # type: ignore[no-untyped-def]
    store = SqlClusterNodes(platform.engine)
    old = platform.clock.now() - timedelta(minutes=10)
    store.register(ClusterNode(id="far:77:ab/worker", service="worker", version="0.9", host="far-host",
                               address="10.1.2.3", pid=77, started_at=old, heartbeat_at=old))
    page = logged_in.get(CLUSTER)
    assert page.status_code == 200
    web = page.text.split('id="service-web"', 1)[1].split("</section>", 1)[0]
    assert "node-up" in web  # this very process, heartbeating as a web node
    worker = page.text.split('id="service-worker"', 1)[1].split("</section>", 1)[0]
    assert "far-host" in worker and "10.1.2.3" in worker and "node-down" in worker and "宕机" in worker


def test_downtime_notice_settings_are_saved_and_audited(logged_in, platform) -> None:  # type: ignore[no-untyped-def]
    token = csrf_of(logged_in.get(CLUSTER).text.split('id="notice-form"', 1)[1])
    r = logged_in.post(f"{CLUSTER}/notice", data={"_csrf_token": token, "notify_admins": ADMIN_USER,
                                                  "notify_emails": "ops@example.com, oncall@example.com",
                                                  "late_after": "30", "down_after": "90",
                                                  "log_retention_days": "14"})
    assert r.status_code == 200 and "已保存" in r.text
    saved = platform.handle(GetClusterSettings())
    assert saved == ClusterSettings(notify_admins=(ADMIN_USER,),
                                    notify_emails=("ops@example.com", "oncall@example.com"),
                                    notify_recovery=False, late_after=30, down_after=90, log_retention_days=14)
    (entry,) = [e for e in platform.search_audit(AuditQuery()) if e.section == "cluster"]
    assert entry.actor == ADMIN_USER and entry.changes["down_after"] == [120, 90]
    bad = logged_in.post(f"{CLUSTER}/notice", data={"_csrf_token": token, "notify_admins": "nobody"})
    assert bad.status_code == 422 and platform.handle(GetClusterSettings()) == saved


def test_cluster_actions_need_their_permissions(logged_in, platform) -> None:  # type: ignore[no-untyped-def]
    with platform.uow() as uow:
        admin = uow.admins.list()[0]
        role = Role(id=platform.ids.next_id(), name="监控查看",
                    permissions=frozenset({Permission.SERVICES_CLUSTER_VIEW}))
        uow.roles.add(role)
        uow.admins.add(AdminAccount(id=platform.ids.next_id(), username="watcher", display_name="watcher",
                                    password_hash=platform.hasher.hash("Passw0rd-2026"), role_ids=frozenset({role.id}),
                                    password_changed_at=admin.password_changed_at))
        uow.commit()
    logged_in.cookies.clear()
    assert login(logged_in, username="watcher").status_code == 302
    page = logged_in.get(CLUSTER)
    assert page.status_code == 200 and 'id="notice-form"' not in page.text and 'id="ssh-form"' not in page.text
    token = csrf_of(logged_in.get("/console/account").text)
    for action in ("notice", "ssh", "restart"):
        assert logged_in.post(f"{CLUSTER}/{action}", data={"_csrf_token": token, "host": "x"}).status_code == 403
    assert logged_in.get(LOGS).status_code == 403


def test_the_retention_and_watch_tasks_run_on_the_platform(platform) -> None:  # type: ignore[no-untyped-def]
    from esign_adapters.scheduling.tasks import TaskContext, load_tasks
    from esign_core.model.system_log import LogEntry

    if platform.engine is None:
        pytest.skip("the tasks work on the SQL database")
    platform.migrate()
    tasks = load_tasks()  # installed through the esign.tasks entry points
    now = platform.clock.now()
    platform.system_log.write_many([LogEntry(at=now - timedelta(days=40), level="INFO", area="console", message="old"),
                                    LogEntry(at=now, level="INFO", area="console", message="new")])
    out = tasks["system-log-retention"].run(TaskContext(platform, now))
    assert out.startswith("1 log entr") and [e.message for e in platform.system_log.search(LogQuery()).entries] == [
        "new"]
    assert tasks["cluster-watch"].run(TaskContext(platform, now)).startswith("0 node(s) declared down")
