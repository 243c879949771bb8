"""``python -m tests.outbox.worker_main worker …``: the esign CLI with a test task registered
through the in-process registry hook (when ESIGN_TEST_TASK_FILE is set), as an integrator's
plugin would be through its entry point."""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any


class RecordingTask:
    """Appends the occurrence it runs for to a file (O_APPEND: one line per run, any process)."""

    name = "test-recorder"
    description = "records its occurrences"
    default_schedule = "every 1s"

    def run(self, context: Any) -> str:
        occurrence: datetime = context.occurrence
        with open(os.environ["ESIGN_TEST_TASK_FILE"], "a", encoding="utf-8") as fh:
            fh.write(f"{occurrence.isoformat()} {os.getpid()}\n")
        return "recorded"


if __name__ == "__main__":
    if os.environ.get("ESIGN_TEST_TASK_FILE"):
        from esign_adapters.scheduling.tasks import register_task

        register_task(RecordingTask)
    from esign_cli.main import main

    main()
