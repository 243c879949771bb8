"""Built-in tasks, registered through the ``esign.tasks`` entry points like any plugin."""

from __future__ import annotations

from esign_adapters.scheduling.tasks import TaskContext
from esign_core.services.contract_ending import ExpireContracts
from esign_core.services.notifications import SendExpiryReminders


class Heartbeat:
    """Proves the scheduler runs: records the node and time of each occurrence."""

    name = "heartbeat"
    description = "心跳：记录调度器在运行（演示任务） / scheduler heartbeat (demo task)"
    default_schedule = "every 1h"

    def run(self, context: TaskContext) -> str:
        return f"alive at {context.occurrence.isoformat()}"


class ContractExpiry:
    """SIGNING contracts whose expiry time has passed become EXPIRED."""

    name = "contract-expiry"
    description = "合同过期：签署中的合同到期后置为已过期 / expire overdue contracts"
    default_schedule = "every 5m"

    def run(self, context: TaskContext) -> str:
        return f"{context.handle(ExpireContracts())} contract(s) expired"


class ExpiryReminders:
    """Remind the signatories of contracts about to expire (签署设置: 到期提醒), once each."""

    name = "expiry-reminders"
    description = "到期提醒：提醒待签署方合同即将到期 / remind signers of contracts about to expire"
    default_schedule = "0 * * * *"

    def run(self, context: TaskContext) -> str:
        return f"{context.handle(SendExpiryReminders())} reminder(s) queued"


class ClusterWatchTask:
    """宕机通知: declare silent nodes down and queue each downtime episode's notices once (ADR 0046)."""

    name = "cluster-watch"
    description = "服务监控：节点心跳超时即通知所选管理员（短信/邮件） / notify admins when a node stops heartbeating"
    default_schedule = "every 1m"

    def run(self, context: TaskContext) -> str:
        from esign_adapters.ops.cluster_watch import ClusterWatch

        result = ClusterWatch.for_platform(context.platform).check()
        return (f"{len(result.declared_down)} node(s) declared down, {len(result.recovered)} recovered, "
                f"{result.queued} notice(s) queued")


class SystemLogRetention:
    """系统日志保留期: delete system log entries older than the retention period, and cluster nodes
    stopped (or down and notified) for as long (ADR 0045)."""

    name = "system-log-retention"
    description = "系统日志清理：删除超过保留天数的系统日志和已停止的节点 / purge old system logs and stopped nodes"
    default_schedule = "17 3 * * *"

    def run(self, context: TaskContext) -> str:
        from datetime import timedelta

        from esign_adapters.db.cluster_nodes import SqlClusterNodes
        from esign_core.services.cluster import GetClusterSettings

        platform = context.platform
        days = context.handle(GetClusterSettings()).log_retention_days
        before = platform.clock.now() - timedelta(days=days)
        purged = platform.system_log.purge(before)
        pruned = SqlClusterNodes(platform.engine).prune(before) if platform.engine is not None else 0
        return f"{purged} log entr(ies) older than {days} day(s) deleted, {pruned} node(s) pruned"
