"""Storage administration shared by the console and the CLI: turning submitted settings into
sealed StorageSettings, the connection test, configure, verify and migrate, wired to a Platform.

The rules live in the use cases (``esign_core.services.storage``); this module only builds their
ports.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from esign_adapters.bootstrap import Platform
from esign_adapters.storage.journal import FileMigrationJournal
from esign_adapters.storage.registry import (
    BUILTIN_STORES,
    SECRET_SUFFIX,
    ConfigField,
    available_backends,
    config_fields,
    is_secret,
    seal_secrets,
    store_class,
)
from esign_core.errors import ConfigurationError, EsignError, InvalidValue
from esign_core.model.policy import StorageSettings
from esign_core.services import storage as use_cases

JOURNAL_FILE = "storage-migrate.journal"
Step = tuple[str, bool, str]


def backends() -> list[str]:
    return available_backends(BUILTIN_STORES)


def describe(backend: str) -> tuple[tuple[ConfigField, ...], bool]:
    """A backend's console form fields and whether it is for testing only (imports only it)."""
    cls = store_class(backend, fallback=BUILTIN_STORES)
    return config_fields(cls), bool(getattr(cls, "for_testing_only", False))


def parse_assignments(items: tuple[str, ...] | list[str]) -> dict[str, str]:
    """``key=value`` pairs from the command line."""
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InvalidValue("config", f"{item!r} is not key=value")
        out[key.strip()] = value
    return out


def build_settings(platform: Platform, backend: str, submitted: Mapping[str, Any]) -> StorageSettings:
    """StorageSettings from submitted values: for the current backend, unset values keep their saved
    value (so a secret need not be typed again); secrets are sealed; blank values are dropped."""
    cls = store_class(backend, fallback=BUILTIN_STORES)
    current = platform.storage_settings()
    config: dict[str, Any] = dict(current.config) if current.backend == backend else {}
    for key, value in submitted.items():
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        if is_secret(key, cls) and not key.endswith(SECRET_SUFFIX):
            config.pop(key + SECRET_SUFFIX, None)
        config[key] = value.strip() if isinstance(value, str) else value
    return StorageSettings(backend=backend, config=seal_secrets(config, kind=backend, secrets=platform.secrets,
                                                                cls=cls))


def test_connection(platform: Platform, settings: StorageSettings) -> list[Step]:
    """The console's 「测试连接」: build the store, then write, read back and delete a probe."""
    try:
        store = platform.storage(settings)
    except EsignError as exc:
        return [("configuration", False, exc.message)]
    return [("configuration", True, f"{settings.backend} settings accepted"), *store.check()]


def configure(platform: Platform, settings: StorageSettings, *, actor: Any = None) -> use_cases.ConfigureResult:
    """Test, check the stored files are all there, then save (see ``configure_storage``)."""
    try:
        store = platform.storage(settings)
    except EsignError as exc:
        return use_cases.ConfigureResult((("configuration", False, exc.message),), saved=False)
    result = use_cases.configure_storage(settings, store=store, references=platform.blob_references(),
                                         uow=platform.uow(), actor=actor, at=platform.clock.now())
    if result.saved:
        platform.storage_changed()
    return use_cases.ConfigureResult((("configuration", True, f"{settings.backend} settings accepted"),
                                      *result.steps), result.saved)


def verify(platform: Platform, *, repair: bool = False, progress: use_cases.Progress | None = None
           ) -> use_cases.StorageReport:
    return use_cases.verify_storage(store=platform.blob_store, references=platform.blob_references(),
                                    repair=repair, progress=progress)


def journal_for(platform: Platform, target: StorageSettings) -> FileMigrationJournal:
    return FileMigrationJournal(platform.settings.data_dir / JOURNAL_FILE, source=platform.storage_settings(),
                                target=target)


def migrate(platform: Platform, target: StorageSettings, *, progress: use_cases.Progress | None = None,
            journal: FileMigrationJournal | None = None) -> use_cases.MigrationReport:
    """Copy every referenced object to ``target`` (resumable), then switch. The target must pass
    the connection test first."""
    target_store = platform.storage(target)
    steps = target_store.check()
    failed = [s for s in steps if not s[1]]
    if failed:
        raise ConfigurationError(f"target storage {target.backend} failed its test at '{failed[0][0]}': "
                                 f"{failed[0][2]}", backend=target.backend)
    journal = journal or journal_for(platform, target)
    try:
        report = use_cases.migrate_storage(source=platform.blob_store, target=target_store, target_settings=target,
                                           references=platform.blob_references(), journal=journal,
                                           uow=platform.uow(), progress=progress)
    finally:
        journal.close()
    if report.switched:
        platform.storage_changed()
    return report
