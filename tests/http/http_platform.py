"""The Platform behind the HTTP tests, switchable with ``ESIGN_TEST_HTTP_BACKEND``.

``sqlite``: ``Platform.from_settings`` on a SQLite file in a temporary data directory (the real
thing). ``memory``: the same Platform class over the in-memory unit of work of
``esign_core.testing``. The default is ``sqlite`` when the SQL adapter is importable.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

from esign_adapters.bootstrap import Platform
from esign_adapters.licensing import Ed25519LicenceVerifier
from esign_adapters.security import AesGcmSecretBox
from esign_adapters.settings import Settings
from esign_adapters.system import SnowflakeIds, SystemClock
from esign_core.testing import InMemoryDatabase, InMemoryUnitOfWork, PlainPasswordHasher


def sql_adapter_available() -> bool:
    try:
        return all(importlib.util.find_spec(m) is not None
                   for m in ("esign_adapters.db.engine", "esign_adapters.db.uow", "esign_adapters.db.migrate"))
    except ModuleNotFoundError:
        return False


def backend() -> str:
    chosen = os.environ.get("ESIGN_TEST_HTTP_BACKEND")
    if chosen:
        return chosen
    return "sqlite" if sql_adapter_available() else "memory"


class InMemoryPlatform(Platform):
    """The real Platform over the in-memory unit of work. Its database step only remembers the
    URL (there is no SQL database to migrate)."""

    def use_database(self, url: str) -> None:
        self.database_urls = [*getattr(self, "database_urls", []), url]


def make_platform(data_dir: Path, public_key: Path) -> Platform:
    data_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy(public_key, data_dir / "licence-vendor.pub")
    settings = Settings.load(data_dir, env={})
    if backend() == "sqlite":
        return Platform.from_settings(settings)
    db, clock, ids = InMemoryDatabase(), SystemClock(), SnowflakeIds(node=1)
    return InMemoryPlatform(settings, uow_factory=lambda: InMemoryUnitOfWork(db, ids=ids, clock=clock), clock=clock,
                            ids=ids, hasher=PlainPasswordHasher(),
                            licences=Ed25519LicenceVerifier.from_source(str(data_dir / "licence-vendor.pub")),
                            secrets=AesGcmSecretBox(settings.key_encryption_key()), engine=None)
