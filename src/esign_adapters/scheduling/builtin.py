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
