"""``esign sync configure|run|reports`` against the e-cology HrmService test server, and the daily
``org-sync`` task (02:10 China time) running the same sync through the scheduler's task context."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from esign_adapters.bootstrap import Platform
from esign_adapters.scheduling.org_sync_task import OrgSyncTask
from esign_adapters.scheduling.schedule import Schedule
from esign_adapters.scheduling.tasks import TaskContext, load_tasks
from esign_adapters.settings import Settings
from esign_adapters.testing.hrm_soap_server import HrmSoapServer, sample_organization
from tests.cli.conftest import init_args


def test_configure_run_and_reports(run, data_dir: Path, licence_for) -> None:  # type: ignore[no-untyped-def]
    assert run(*init_args(data_dir, licence_for(data_dir))).exit_code == 0
    d = ["--data-dir", str(data_dir)]
    with HrmSoapServer(sample_organization(2, 2, 3)) as oa:
        nothing = run(*d, "sync", "run")
        assert nothing.exit_code != 0 and "no system is chosen for member sync" in nothing.output
        bad = run(*d, "sync", "configure", "ecology", "--set", "address=ftp://x")
        assert bad.exit_code != 0 and "http(s) URL" in bad.output
        ok = run(*d, "sync", "configure", "ecology", "--set", f"address={oa.address}", "--company", "1",
                 "--company", "2:201")
        assert ok.exit_code == 0, ok.output
        assert "2 companies chosen" in ok.output
        first = run(*d, "sync", "run", "--source", "ecology")
        assert first.exit_code == 0, first.output
        assert "SUCCEEDED" in first.output and "members_created: 9" in first.output
        again = run(*d, "sync", "run")
        assert again.exit_code == 0 and "members_created" not in again.output and "unchanged: 9" in again.output
        listed = run(*d, "sync", "reports")
        assert listed.output.count("report ") == 2
    down = run(*d, "sync", "run")
    assert down.exit_code == 1 and "INTERRUPTED" in down.output and "cannot connect" in down.output


def test_daily_task_is_registered_at_0210_china_time(run, data_dir: Path, licence_for) -> None:  # type: ignore[no-untyped-def]
    assert "org-sync" in load_tasks()
    nxt = Schedule.parse(OrgSyncTask.default_schedule).next_after(datetime(2026, 3, 1, 12, 0, tzinfo=UTC))
    assert nxt == datetime(2026, 3, 1, 18, 10, tzinfo=UTC)  # = 2026-03-02 02:10 in Beijing
    assert run(*init_args(data_dir, licence_for(data_dir))).exit_code == 0
    platform = Platform.from_settings(Settings.load(data_dir=data_dir))
    try:
        assert "nothing to do" in OrgSyncTask().run(TaskContext(platform, nxt))
        with HrmSoapServer(sample_organization(1, 1, 2)) as oa:
            from esign_core.model.org_sync import SyncScope

            platform.configure_org_sync("ecology", {"address": oa.address}, scopes=(SyncScope(company_id="1"),))
            out = OrgSyncTask().run(TaskContext(platform, nxt))
        assert "ecology: SUCCEEDED" in out and "members_created=2" in out
        with platform.org_sync_store() as store:
            assert store.reports("ecology")[0].trigger == "schedule"
    finally:
        platform.close()
