"""Storage backends are plugins: found through the ``esign.storage`` entry-point group (the
built-ins are registered there too), imported only when selected.

The convention every backend follows (built-in or third-party)::

    class MyBlobStore(StagedBlobStore):          # or any class keeping the BlobStore port
        for_testing_only: ClassVar[bool] = False
        config_fields: ClassVar[tuple[ConfigField, ...]] = (...)   # optional: the console form
        secret_settings: ClassVar[frozenset[str]] = frozenset()    # optional: extra secret names

        @classmethod
        def from_config(cls, config: Mapping[str, Any], *, name: str, secrets: SecretBox) -> BlobStore:
            ...

``from_config`` validates the settings (ConfigurationError naming the setting when one is missing,
wrong or unknown) and builds the store **without blocking on the network** (the console's "test
connection" calls ``check()`` for that). A secret setting ``password`` arrives either as
``password_secret_ref`` (a SecretBox token sealed with purpose ``storage.<kind>.password``, see
:func:`secret_purpose`, as stored in the database) or in clear as ``password`` (a one-off test from
the command line); read it with :func:`reveal`. A setting is secret when its
name matches :data:`~esign_core.model.policy.SECRET_SETTING` or is listed in ``secret_settings``.

Register it in ``pyproject.toml``::

    [project.entry-points."esign.storage"]
    mystore = "my_package.storage:MyBlobStore"
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from esign_adapters.plugin_loader import load_plugin_class, plugin_names
from esign_core.errors import ConfigurationError
from esign_core.model.policy import SECRET_SETTING, STORAGE_BACKENDS, StorageSettings
from esign_core.ports.storage import BlobStore
from esign_core.ports.system import SecretBox

ENTRY_POINT_GROUP = "esign.storage"
SECRET_SUFFIX = "_secret_ref"

#: The built-in backends, as registered in pyproject.toml. Used as a fallback when the installed
#: distribution's metadata predates a backend (a source checkout not reinstalled yet).
BUILTIN_STORES: Mapping[str, str] = {
    "local": "esign_adapters.storage.local:LocalBlobStore",
    "nas": "esign_adapters.storage.local:NasBlobStore",
    "smb": "esign_adapters.storage.smb:SmbBlobStore",
    "s3": "esign_adapters.storage.s3:S3BlobStore",
    "hdfs": "esign_adapters.storage.hdfs:HdfsBlobStore",
    "fastdfs": "esign_adapters.storage.fastdfs:FastDfsBlobStore",
}
#: The pip extra that brings a built-in backend's client library.
EXTRAS: Mapping[str, str] = {"smb": "smb", "s3": "s3", "hdfs": "hdfs"}


@attrs.frozen
class ConfigField:
    """One setting of a backend as the console shows it."""

    name: str
    label: str
    required: bool = False
    secret: bool = False
    default: str = ""
    help: str = ""


def available_backends(fallback: Mapping[str, str] | None = None) -> list[str]:
    """Backend names: the manual's six first, then plugins, without importing any of them."""
    return plugin_names(ENTRY_POINT_GROUP, fallback or {}, first=STORAGE_BACKENDS)


def store_class(kind: str, *, fallback: Mapping[str, str] | None = None) -> type[Any]:
    """Import only the class of backend ``kind``. ConfigurationError when it is unknown or its
    client library is missing (with the ``pip install`` hint)."""
    return load_plugin_class(ENTRY_POINT_GROUP, kind, fallback or {}, what="storage backend", key="backend",
                             extras=EXTRAS, first=STORAGE_BACKENDS)


def load_store(kind: str, config: Mapping[str, Any], *, secrets: SecretBox, name: str | None = None,
               fallback: Mapping[str, str] | None = None) -> BlobStore:
    """Build the configured store of backend ``kind`` (named ``name``, default ``kind``)."""
    cls = store_class(kind, fallback=fallback)
    try:
        return cls.from_config(dict(config), name=name or kind, secrets=secrets)  # type: ignore[no-any-return]
    except ConfigurationError:
        raise
    except (TypeError, ValueError, KeyError) as exc:
        raise ConfigurationError(f"storage backend {kind!r}: invalid settings: {exc}", backend=kind) from exc


def load_configured(settings: StorageSettings, *, secrets: SecretBox,
                    fallback: Mapping[str, str] | None = None) -> BlobStore:
    return load_store(settings.backend, settings.config, secrets=secrets, fallback=fallback)


def is_secret(key: str, cls: type[Any] | None = None) -> bool:
    return bool(SECRET_SETTING.search(key)) or key in getattr(cls, "secret_settings", ())


def secret_purpose(kind: str, key: str) -> str:
    """The SecretBox purpose a backend's secret setting is sealed with: ``storage.<kind>.<key>``."""
    return f"storage.{kind}.{key}"


def reveal(config: Mapping[str, Any], key: str, *, secrets: SecretBox, kind: str, name: str = "",
           required: bool = False) -> str:
    """A secret setting in clear: opened from ``<key>_secret_ref`` or taken from ``<key>``."""
    token = config.get(key + SECRET_SUFFIX)
    if token:
        return secrets.open(str(token), purpose=secret_purpose(kind, key)).decode()
    value = config.get(key)
    if value in (None, "") and required:
        name = name or kind
        raise ConfigurationError(f"{name} storage: `{key}` is required", backend=name, field=key)
    return "" if value is None else str(value)


def seal_secrets(config: Mapping[str, Any], *, kind: str, secrets: SecretBox,
                 cls: type[Any] | None = None) -> dict[str, Any]:
    """The settings as they may be stored: every clear secret replaced by ``<key>_secret_ref``."""
    out: dict[str, Any] = {}
    for key, value in config.items():
        if key.endswith(SECRET_SUFFIX) or not is_secret(key, cls):
            out[key] = value
        elif value not in (None, ""):
            out[key + SECRET_SUFFIX] = secrets.seal(str(value).encode(), purpose=secret_purpose(kind, key))
    return out


def config_fields(cls: type[Any]) -> tuple[ConfigField, ...]:
    """The console form of a backend: its declared fields, else none (a free key=value form)."""
    return tuple(getattr(cls, "config_fields", ()))

