"""The daily directory sync (manual 二.1.1 ③ 注1: "每天凌晨02:10自动同步"), as an ``esign.tasks``
plugin. Schedules are in UTC: 02:10 China Standard Time is 18:10 UTC the day before."""

from __future__ import annotations

from esign_adapters.scheduling.tasks import TaskContext
from esign_core.model.org_sync import SyncStatus

#: 02:10 Asia/Shanghai (UTC+8, no daylight saving) as a UTC cron expression.
DAILY_0210_CST = "10 18 * * *"


class OrgSyncTask:
    """Sync the member-sync source's chosen companies and departments (a no-op when none is set up)."""

    name = "org-sync"
    description = "组织成员同步：每天 02:10（北京时间）从 OA 同步组织架构和成员 / daily OA directory sync"
    default_schedule = DAILY_0210_CST

    def run(self, context: TaskContext) -> str:
        platform = context.platform
        if getattr(platform, "engine", None) is None:
            return "directory sync needs the SQL database: nothing to do"
        with platform.org_sync_store() as store:
            source = next((s for s in store.sources() if s.member_sync and s.scopes), None)
        if source is None:
            return "no member-sync source with chosen companies: nothing to do"
        report = platform.sync_directory(source.source, trigger="schedule")
        summary = ", ".join(f"{k}={v}" for k, v in report.counts.items() if v)
        if report.status is SyncStatus.INTERRUPTED:
            raise RuntimeError(f"{source.source} sync interrupted: {report.message}")
        return f"{source.source}: {report.status.value} ({summary or 'no changes'}; {report.error_count} error(s))"
