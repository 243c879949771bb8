"""The resumable state of ``esign storage migrate``: a small append-only file under the data
directory listing the keys already copied and verified on the target. Each line is flushed and
fsync-ed, so a killed run loses at most the object it was copying."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from esign_adapters.storage.registry import SECRET_SUFFIX
from esign_core.model.policy import StorageSettings


def target_fingerprint(settings: StorageSettings) -> str:
    """Identifies a target backend across runs (sealed secrets differ per sealing, so they are left out)."""
    plain = {k: v for k, v in settings.config.items() if not k.endswith(SECRET_SUFFIX)}
    text = json.dumps({"backend": settings.backend, "config": plain}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class FileMigrationJournal:
    """Journal of a migration from ``source`` to ``target``; a journal left by a migration to
    another target is discarded."""

    def __init__(self, path: str | os.PathLike[str], *, source: StorageSettings, target: StorageSettings) -> None:
        self.path = Path(path)
        self.header: dict[str, Any] = {"source": target_fingerprint(source), "target": target_fingerprint(target),
                                       "target_backend": target.backend}
        self.done: set[str] = set()
        self.resumed = False
        if self.path.exists():
            lines = self.path.read_text("utf-8").splitlines()
            try:
                header = json.loads(lines[0]) if lines else None
            except ValueError:
                header = None
            if header == self.header:
                self.done = {line.strip() for line in lines[1:] if line.strip()}
                self.resumed = True
        if not self.resumed:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text(json.dumps(self.header) + "\n", "utf-8")
        self._fh = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - kept for the run

    def is_done(self, key: str) -> bool:
        return key in self.done

    def record(self, key: str) -> None:
        self._fh.write(key + "\n")
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self.done.add(key)

    def finish(self) -> None:
        self.close()
        self.path.unlink(missing_ok=True)

    def close(self) -> None:
        if not self._fh.closed:
            self._fh.close()
