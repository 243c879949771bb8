"""Building an :class:`~esign.EsignPlatform`: from the deployment settings (a data directory and
its ``esign.toml``, ``ESIGN_*`` variables), from a dict, or in memory — then replacing any port
with an explicit instance."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import attrs

from esign._platform import EsignPlatform
from esign_core.errors import ConfigurationError

#: Ports that can be given explicitly, by the name the use cases know them by (esign_core.bus).
#: Constructor arguments of the composition root …
_CTOR_PORTS = ("clock", "ids", "hasher", "licences", "secrets")
#: … and adapters it builds lazily (port name → attribute).
_LAZY_PORTS = {"ca": "ca", "signer": "signer", "validator": "validator", "screener": "screener",
               "blobs": "blob_store", "renderer": "seal_renderer", "converter": "converter",
               "template_renderer": "template_renderer"}
PORT_NAMES: tuple[str, ...] = ("uow", *_CTOR_PORTS, *_LAZY_PORTS)
#: Top-level keys of a dict config that map to Settings fields; every other key is a section of
#: ``esign.toml`` (``pki``, ``tsa``, …).
_SETTINGS_KEYS = ("data_dir", "database_url", "host", "port", "open_port", "licence_public_key", "language",
                  "worker")


def open_platform(config: str | os.PathLike[str] | Mapping[str, Any] | None = None, *, memory: bool = False,
                  **adapters: Any) -> EsignPlatform:
    """Open an esign platform inside this process.

    ``config`` is one of:

    * ``None`` — the deployment settings: ``$ESIGN_DATA_DIR`` (default ``./esign-data``), its
      ``esign.toml`` and the ``ESIGN_*`` environment variables, exactly as ``esign serve`` reads them;
    * a path — a data directory, or the ``esign.toml`` inside one;
    * a dict — ``data_dir``, ``database_url``, ``language``, … and sections such as
      ``{"tsa": {"url": …}}``; environment variables are not read (only the key-encryption key
      may still come from ``ESIGN_KEK``/``ESIGN_KEK_FILE``).

    ``memory=True`` keeps the database and the files in memory and everything else (the CA, the
    KEK) in a temporary directory removed by :meth:`EsignPlatform.close`: real signatures, nothing
    left behind. It is for scripts, examples and tests — one thread at a time, gone when closed.

    ``adapters`` replace ports by name: ``uow`` (a UnitOfWork, or a callable making one per
    command), ``clock``, ``ids``, ``hasher``, ``licences``, ``secrets``, ``ca``, ``signer``,
    ``validator``, ``screener``, ``blobs``, ``renderer``, ``converter``, ``template_renderer`` —
    for example the in-memory fakes of :mod:`esign_core.testing`.

    Raises ConfigurationError for an unreadable configuration or an unknown adapter name; the
    database is migrated only when asked (:meth:`EsignPlatform.migrate`).
    """
    unknown = sorted(set(adapters) - set(PORT_NAMES))
    if unknown:
        raise ConfigurationError(f"unknown adapter name(s) {', '.join(unknown)}; known: {', '.join(PORT_NAMES)}")
    if memory:
        if config is not None:
            raise ConfigurationError("give either a configuration or memory=True, not both")
        return _memory_platform(adapters)
    from esign_adapters.bootstrap import Platform

    settings = _settings(config)
    uow = adapters.pop("uow", None)
    platform = Platform.from_settings(settings) if uow is None else _bare(settings, uow)
    return _wrap(platform, adapters)


def _settings(config: str | os.PathLike[str] | Mapping[str, Any] | None) -> Any:
    from esign_adapters.settings import CONFIG_FILE, Settings

    if config is None:
        return Settings.load()
    if isinstance(config, Mapping):
        return _settings_from_dict(config)
    path = Path(config)
    if path.is_file() or path.suffix == ".toml":
        if path.name != CONFIG_FILE:
            raise ConfigurationError(f"{path}: the configuration file is named {CONFIG_FILE}, inside the data "
                                     "directory; give the directory or a dict", path=str(path))
        path = path.parent
    return Settings.load(path)


def _settings_from_dict(config: Mapping[str, Any]) -> Any:
    from esign_adapters.settings import Settings

    data_dir = config.get("data_dir")
    if not data_dir:
        raise ConfigurationError("a dict configuration needs data_dir (where keys and the CA are kept)",
                                 field="data_dir")
    settings = Settings.load(str(data_dir), env={})
    fields = {k: config[k] for k in _SETTINGS_KEYS if k in config and k != "data_dir"}
    sections = {k: v for k, v in config.items() if k not in _SETTINGS_KEYS}
    bad = [k for k, v in sections.items() if not isinstance(v, Mapping)]
    if bad:
        raise ConfigurationError(f"unknown configuration key(s) {', '.join(sorted(bad))}: top-level keys are "
                                 f"{', '.join(_SETTINGS_KEYS)}; other keys are esign.toml sections (tables)")
    try:
        return attrs.evolve(settings, **fields, file_values={**settings.file_values, **sections})
    except (TypeError, ValueError) as exc:
        raise ConfigurationError(f"invalid configuration: {exc}") from None


def _bare(settings: Any, uow: Any) -> Any:
    """A Platform over an explicit unit of work (no SQL engine)."""
    from esign_adapters.bootstrap import Platform
    from esign_adapters.licensing import Ed25519LicenceVerifier
    from esign_adapters.security import AesGcmSecretBox, Argon2PasswordHasher
    from esign_adapters.system import SnowflakeIds, SystemClock

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    factory: Callable[[], Any] = uow if callable(uow) and not hasattr(uow, "commit") else (lambda: uow)
    return Platform(settings, uow_factory=factory, clock=SystemClock(), ids=SnowflakeIds(),
                    hasher=Argon2PasswordHasher(),
                    licences=Ed25519LicenceVerifier.from_source(settings.licence_public_key),
                    secrets=AesGcmSecretBox(settings.key_encryption_key()))


def _wrap(platform: Any, adapters: Mapping[str, Any], *, cleanup: Callable[[], None] | None = None,
          licence_key: Any = None) -> EsignPlatform:
    for name, value in adapters.items():
        if name in _CTOR_PORTS:
            setattr(platform, name, value)
        elif name in _LAZY_PORTS:
            # the Platform builds these lazily (cached properties): an instance attribute wins
            setattr(platform, _LAZY_PORTS[name], value)
    return EsignPlatform(platform, cleanup=cleanup, licence_key=licence_key)


def _memory_platform(adapters: dict[str, Any]) -> EsignPlatform:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from esign_adapters.licensing import Ed25519LicenceVerifier
    from esign_adapters.settings import Settings
    from esign_core.testing import InMemoryBlobStore, InMemoryDatabase, InMemoryUnitOfWork

    tmp = tempfile.TemporaryDirectory(prefix="esign-memory-")
    try:
        settings = Settings.load(tmp.name, env={})
        database = InMemoryDatabase()
        uow = adapters.pop("uow", None) or (lambda: InMemoryUnitOfWork(database))
        platform = _bare(settings, uow)
        vendor_key = Ed25519PrivateKey.generate()  # a throw-away vendor: initialize() licenses itself
        platform.licences = Ed25519LicenceVerifier(vendor_key.public_key())
        adapters.setdefault("blobs", InMemoryBlobStore("memory"))
        wrapped = _wrap(platform, adapters, cleanup=tmp.cleanup, licence_key=vendor_key)
        if "ca" not in adapters and not platform.ca.is_initialized():
            platform.ca.init(at=platform.clock.now())
        return wrapped
    except BaseException:
        tmp.cleanup()
        raise

