"""A development push sender: each push is appended as one JSON line to a file (and logged),
never sent to a device. It keeps the PushSender port exercised until a real provider plugin
(APNs, FCM, a Chinese vendor push service) is installed."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from esign_core.errors import ConfigurationError, PortError
from esign_core.ports.system import SecretBox

log = logging.getLogger(__name__)


class LogPushSender:
    label: ClassVar[str] = "开发用推送（写入文件）"

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    @classmethod
    def from_config(cls, config: Mapping[str, Any], *, secrets: SecretBox) -> LogPushSender:
        path = config.get("path")
        if not path:
            raise ConfigurationError("log push: `path` is required", field="path")
        return cls(Path(str(path)))

    def push(self, *, user_id: int, title: str, body: str) -> None:
        line = json.dumps({"user_id": str(user_id), "title": title, "body": body}, ensure_ascii=False)
        try:
            with self._lock, self.path.open("a", encoding="utf-8") as fh:
                fh.write(line + "\n")
        except OSError as exc:
            raise PortError(f"the development push log {self.path} cannot be written") from exc
        log.info("development push for user %s written to %s, not sent", user_id, self.path)

    def pushed(self) -> list[dict[str, str]]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text(encoding="utf-8").splitlines() if line.strip()]
