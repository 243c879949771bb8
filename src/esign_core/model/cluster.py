"""Service monitoring and the service cluster (服务监控 / 服务集群, manual 四.2.2–2.3).

Every running service of a process (``web``, ``worker``, ``open``) is a node that heartbeats into
the database. Its health follows from the age of its last heartbeat; a node that stops cleanly is
``stopped``, never ``down``. The downtime notice goes to the admins chosen in
:class:`ClusterSettings`, by SMS (their mobile) and by e-mail, once per downtime episode (ADR 0046).
"""

from __future__ import annotations

import enum
import re
from datetime import datetime, timedelta
from typing import Any, ClassVar

import attrs

from esign_core.errors import InvalidValue
from esign_core.model.policy import Section

SERVICES: tuple[str, ...] = ("web", "open", "worker")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class NodeHealth(enum.Enum):
    UP = "up"  # heartbeat within late_after
    LATE = "late"  # missed a beat or two
    DOWN = "down"  # silent for longer than down_after, or declared down
    STOPPED = "stopped"  # shut down cleanly


def _seconds(low: int, high: int) -> Any:
    def check(instance: Any, attribute: attrs.Attribute, value: int) -> None:  # type: ignore[type-arg]
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise InvalidValue(attribute.name, f"{attribute.name} must be a whole number {low}-{high}")
    return check


def _names(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [v for v in re.split(r"[\s,;，；]+", value) if v]
    return tuple(dict.fromkeys(str(v).strip() for v in value if str(v).strip()))


def _check_emails(instance: Any, attribute: attrs.Attribute, value: tuple[str, ...]) -> None:  # type: ignore[type-arg]
    for address in value:
        if not _EMAIL.match(address) or len(address) > 254:
            raise InvalidValue(attribute.name, f"not an e-mail address: {address!r}")


@attrs.frozen
class ClusterSettings(Section):
    """宕机通知设置 and the heartbeat thresholds. ``notify_admins``: console account names whose
    mobile gets the SMS; ``notify_emails``: addresses that get the e-mail. A node is late after
    ``late_after`` seconds without a heartbeat and down after ``down_after``. System logs are kept
    ``log_retention_days`` days."""

    SECTION: ClassVar[str] = "cluster"
    notify_admins: tuple[str, ...] = attrs.field(default=(), converter=_names)
    notify_emails: tuple[str, ...] = attrs.field(default=(), converter=_names, validator=_check_emails)
    notify_recovery: bool = True
    late_after: int = attrs.field(default=45, validator=_seconds(10, 3600))
    down_after: int = attrs.field(default=120, validator=_seconds(20, 86400))
    log_retention_days: int = attrs.field(default=30, validator=_seconds(1, 3650))

    def __attrs_post_init__(self) -> None:
        if self.down_after <= self.late_after:
            raise InvalidValue("down_after", "down_after must be longer than late_after")

    def to_dict(self) -> dict[str, Any]:
        data = super().to_dict()
        data["notify_admins"] = list(self.notify_admins)
        data["notify_emails"] = list(self.notify_emails)
        return data


@attrs.frozen(kw_only=True)
class ClusterNode:
    """One node as the cluster page shows it."""

    id: str
    service: str
    version: str
    host: str
    address: str
    pid: int
    started_at: datetime
    heartbeat_at: datetime
    stopped_at: datetime | None = None
    down_since: datetime | None = None
    down_episode: int = 0
    snowflake_node: int | None = None

    def health(self, now: datetime, settings: ClusterSettings) -> NodeHealth:
        if self.stopped_at is not None:
            return NodeHealth.STOPPED
        if self.down_since is not None:
            return NodeHealth.DOWN
        age = now - self.heartbeat_at
        if age > timedelta(seconds=settings.down_after):
            return NodeHealth.DOWN
        if age > timedelta(seconds=settings.late_after):
            return NodeHealth.LATE
        return NodeHealth.UP

    @property
    def label(self) -> str:
        """How notices name the node: ``worker@host (10.0.0.5, pid 123)``."""
        return f"{self.service}@{self.host} ({self.address}, pid {self.pid})"
