"""A development SMS channel: every message is appended to a file instead of being sent.

NOT for production. Signers would never receive their verification codes; it exists so that the
signing portal can be developed, demonstrated and tested before a real provider is configured.
Real providers (the platform channel and the operator's own, 短信设置 三.6.1) arrive with the
messaging issue. Each message is one line ``<mobile> <code>`` (the ``code`` parameter; else the
``link`` parameter, e.g. a sign link; else the template name), so a tester can read the code the
portal sent or open the link the open API sent.
"""

from __future__ import annotations

import logging
import threading
import uuid
from pathlib import Path

from esign_core.errors import SmsError

log = logging.getLogger(__name__)


class FileSmsChannel:
    """Appends ``<mobile> <code>`` lines to ``path`` (``<data_dir>/dev-sms.log`` by default)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def send(self, *, mobile: str, template: str, params: dict[str, str], idempotency_key: str) -> str:
        """Record the message; returns a message id. Raises SmsError when the file cannot be
        written."""
        text = params.get("code") or params.get("link") or template
        try:
            with self._lock, self.path.open("a", encoding="utf-8") as fh:
                fh.write(f"{mobile} {text}\n")
        except OSError as exc:
            raise SmsError(f"the development SMS log {self.path} cannot be written") from exc
        log.warning("development SMS channel: message for %s written to %s, not sent",
                    mobile[:3] + "****" + mobile[-4:], self.path)
        return idempotency_key or uuid.uuid4().hex

    def last_code(self, mobile: str) -> str | None:
        """The last code written for ``mobile`` (for tests and demonstrations)."""
        if not self.path.exists():
            return None
        found = None
        for line in self.path.read_text(encoding="utf-8").splitlines():
            number, _, code = line.partition(" ")
            if number == mobile:
                found = code
        return found
