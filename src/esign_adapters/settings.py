"""Deployment settings: where data lives, which database, ports, keys.

Precedence: environment variables (``ESIGN_*``) over ``<data_dir>/esign.toml`` over defaults.
Secrets (session key, key-encryption key) live in files under the data directory with mode
0600, or come from the environment; never from the database.
"""

from __future__ import annotations

import base64
import os
import secrets
import tempfile
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import attrs
import tomli_w

from esign_core.errors import ConfigurationError

DEFAULT_PORT = 9181
DEFAULT_OPEN_PORT = 9182
CONFIG_FILE = "esign.toml"


def write_atomic(path: Path, data: bytes, *, mode: int = 0o600) -> None:
    """Write via a temp file, fsync and rename, so a crash never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def read_or_create_text(path: Path, make: Callable[[], str], *, mode: int = 0o600) -> str:
    """The stripped text of a file that is created once with ``make()`` and never rewritten:
    O_EXCL makes concurrent first starts agree on one value; the new file is fsync-ed."""
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    value = make()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(value + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    return value


def _read_or_create_secret(path: Path, nbytes: int) -> bytes:
    """A random secret kept in a file (base64); created once."""
    return base64.b64decode(read_or_create_text(path, lambda: base64.b64encode(secrets.token_bytes(nbytes)).decode()))


def mask_url(url: str) -> str:
    if "://" in url and "@" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        user = creds.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}" if ":" in creds else url
    return url


@attrs.frozen
class Settings:
    data_dir: Path
    database_url: str = attrs.field(repr=mask_url)
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    open_port: int | None = None
    licence_public_key: str | None = attrs.field(default=None, repr=False)
    language: str = "zh_CN"
    worker: bool = True
    file_values: Mapping[str, Any] = attrs.field(factory=dict, repr=False)
    #: reverse proxies whose ``X-Forwarded-For`` is believed (addresses / CIDR blocks);
    #: ``ESIGN_TRUSTED_PROXIES`` (comma-separated) or ``[server] trusted_proxies``. Empty: none.
    trusted_proxies: tuple[str, ...] = ()

    @classmethod
    def load(cls, data_dir: str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None) -> Settings:
        """Read settings; ``data_dir`` defaults to ``$ESIGN_DATA_DIR`` or ``./esign-data``."""
        env = os.environ if env is None else env
        root = Path(data_dir or env.get("ESIGN_DATA_DIR") or "esign-data").resolve()
        file_values: dict[str, Any] = {}
        cfg = root / CONFIG_FILE
        if cfg.exists():
            try:
                file_values = tomllib.loads(cfg.read_text(encoding="utf-8"))
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
                raise ConfigurationError(f"{cfg} is not valid TOML: {exc}", path=str(cfg)) from None
        db = file_values.get("database", {})
        server = file_values.get("server", {})
        lic = file_values.get("licence", {})
        try:
            port = int(env.get("ESIGN_PORT") or server.get("port") or DEFAULT_PORT)
            open_port_raw = env.get("ESIGN_OPEN_PORT") or server.get("open_port")
            open_port = int(open_port_raw) if open_port_raw else None
        except ValueError as exc:
            raise ConfigurationError(f"port must be a number: {exc}") from None
        return cls(
            data_dir=root,
            database_url=env.get("ESIGN_DATABASE_URL") or db.get("url") or f"sqlite:///{root / 'esign.db'}",
            host=env.get("ESIGN_HOST") or server.get("host") or "127.0.0.1",
            port=port,
            open_port=open_port,
            licence_public_key=env.get("ESIGN_LICENCE_PUBLIC_KEY")
            or lic.get("public_key")
            or _default_public_key(root),
            language=env.get("ESIGN_LANGUAGE") or server.get("language") or "zh_CN",
            worker=(env.get("ESIGN_WORKER", str(server.get("worker", "1"))).lower() not in ("0", "false", "no")),
            file_values=file_values,
            trusted_proxies=_trusted_proxies(env.get("ESIGN_TRUSTED_PROXIES"), server.get("trusted_proxies")),
        )

    # -- files under the data directory ----------------------------------------------------
    @property
    def config_dir(self) -> Path:
        """Where the offline token file and LICENSE.png go (manual 一.1, step 6)."""
        return self.data_dir / "config"

    @property
    def files_dir(self) -> Path:
        return self.data_dir / "files"

    def session_secret(self) -> bytes:
        return _read_or_create_secret(self.data_dir / "secret.key", 32)

    def key_encryption_key(self) -> bytes:
        """32-byte KEK from ``$ESIGN_KEK`` (base64) or ``$ESIGN_KEK_FILE`` or ``<data_dir>/kek.key``."""
        raw = os.environ.get("ESIGN_KEK")
        if raw is None and os.environ.get("ESIGN_KEK_FILE"):
            raw = Path(os.environ["ESIGN_KEK_FILE"]).read_text().strip()
        if raw is not None:
            try:
                key = base64.b64decode(raw, validate=True)
            except ValueError:
                key = b""
            if len(key) != 32:
                raise ConfigurationError("ESIGN_KEK must be 32 bytes, base64-encoded")
            return key
        return _read_or_create_secret(self.data_dir / "kek.key", 32)

    def save(self, **sections: dict[str, Any]) -> Settings:
        """Merge ``sections`` into esign.toml atomically and return the reloaded settings."""
        merged = {k: dict(v) for k, v in self.file_values.items() if isinstance(v, dict)}
        for name, values in sections.items():
            merged.setdefault(name, {}).update(values)
        write_atomic(self.data_dir / CONFIG_FILE, tomli_w.dumps(merged).encode())
        return Settings.load(self.data_dir)


def _trusted_proxies(env_value: str | None, file_value: Any) -> tuple[str, ...]:
    """Addresses or CIDR blocks, from the environment (comma-separated) or esign.toml (a list or
    a comma-separated string); ConfigurationError for an entry that is neither."""
    import ipaddress

    raw = env_value if env_value is not None else file_value
    if raw is None:
        return ()
    entries = raw.split(",") if isinstance(raw, str) else [str(e) for e in raw]
    out = []
    for entry in (e.strip() for e in entries):
        if not entry:
            continue
        try:
            out.append(str(ipaddress.ip_network(entry, strict=False)))
        except ValueError:
            raise ConfigurationError(f"trusted_proxies: {entry!r} is not an IP address or CIDR block") from None
    return tuple(out)


def _default_public_key(root: Path) -> str | None:
    path = root / "licence-vendor.pub"
    return str(path) if path.exists() else None
