"""Task plugins. A task is any object (or class, instantiated without arguments) with:

- ``name``: unique, 1-100 characters (``[a-z0-9._-]``);
- ``description``: one line for the console;
- ``default_schedule``: ``every 5m`` or a cron expression (UTC), until an admin changes it;
- ``run(context) -> str | None``: does the work; what it returns or ``context.print``-s is kept
  (truncated) as the run's output; an exception marks the run failed.

Tasks are installed Python packages that declare an entry point in the group ``esign.tasks``
(built-in tasks use the same group). Code uploaded through the console is never executed.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Callable
from datetime import datetime
from importlib.metadata import entry_points
from typing import Any, Protocol

from esign_core.errors import ConfigurationError

log = logging.getLogger(__name__)
GROUP = "esign.tasks"
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,99}$")
#: Tasks registered in-process (tests, embedding applications), besides the entry points.
_REGISTERED: dict[str, Any] = {}


class ScheduledTask(Protocol):
    name: str
    description: str
    default_schedule: str

    def run(self, context: TaskContext) -> str | None: ...


class TaskContext:
    """What a running task gets: the platform (``handle(command)`` runs a use case), the
    occurrence it runs for, and ``print`` for its output."""

    def __init__(self, platform: Any, occurrence: datetime) -> None:
        self.platform = platform
        self.occurrence = occurrence
        self._out = io.StringIO()

    def handle(self, command: Any) -> Any:
        return self.platform.handle(command)

    def print(self, *parts: Any) -> None:
        self._out.write(" ".join(str(p) for p in parts) + "\n")

    @property
    def output(self) -> str:
        return self._out.getvalue()


def register_task(task: Any) -> Callable[[], None]:
    """Add a task in this process (without an entry point); returns a function that removes it."""
    task = _instance(task)
    _REGISTERED[task.name] = task
    return lambda: _REGISTERED.pop(task.name, None)  # type: ignore[func-returns-value]


def _instance(obj: Any) -> Any:
    task = obj() if isinstance(obj, type) else obj
    for attr in ("name", "description", "default_schedule", "run"):
        if not hasattr(task, attr):
            raise ConfigurationError(f"task plugin {obj!r} has no {attr}", field=attr)
    if not _NAME.match(str(task.name)):
        raise ConfigurationError(f"task name {task.name!r} must match [a-z0-9][a-z0-9._-]*", field="name")
    return task


def load_tasks() -> dict[str, Any]:
    """Every installed task by name; a plugin that fails to load is logged and left out."""
    found: dict[str, Any] = {}
    for ep in entry_points(group=GROUP):
        try:
            task = _instance(ep.load())
        except Exception as exc:  # noqa: BLE001 - one broken plugin must not stop the others
            log.warning("task plugin %s could not be loaded: %s", ep.name, exc)
            continue
        found.setdefault(task.name, task)
    found.update(_REGISTERED)
    return found
