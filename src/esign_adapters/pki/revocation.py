"""Revocation state of the internal CA: which serials are revoked, when and why.

Kept behind :class:`JsonRevocationStore` (a small JSON file in the PKI directory, written atomically)
so that it can later move to the database-backed certificate repository: the CA only uses
``revoke``, ``lookup``, ``entries`` and ``revision``.
"""

from __future__ import annotations

import fcntl
import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import attrs
from cryptography import x509

from esign_adapters.settings import write_atomic
from esign_core.errors import ConfigurationError, InvalidValue

_REASONS: dict[str, x509.ReasonFlags] = {
    "unspecified": x509.ReasonFlags.unspecified,
    "keycompromise": x509.ReasonFlags.key_compromise,
    "cacompromise": x509.ReasonFlags.ca_compromise,
    "affiliationchanged": x509.ReasonFlags.affiliation_changed,
    "superseded": x509.ReasonFlags.superseded,
    "cessationofoperation": x509.ReasonFlags.cessation_of_operation,
    "privilegewithdrawn": x509.ReasonFlags.privilege_withdrawn,
    "aacompromise": x509.ReasonFlags.aa_compromise,
}


def parse_reason(reason: str) -> x509.ReasonFlags:
    """Map a reason text to an RFC 5280 reason code.

    The RFC names are accepted in any spelling (``keyCompromise``, ``key_compromise``, ``KEY-COMPROMISE``);
    any other free text (what an operator typed in the console) becomes ``unspecified`` and is kept
    verbatim in the store. Raises InvalidValue for ``certificateHold`` / ``removeFromCRL``: revocation
    here is permanent, a hold could never be lifted.
    """
    key = re.sub(r"[\s_\-]", "", reason or "").lower()
    if key in ("certificatehold", "removefromcrl"):
        raise InvalidValue("reason", "certificate hold is not supported: revocation is permanent")
    return _REASONS.get(key, x509.ReasonFlags.unspecified)


@attrs.frozen
class RevocationEntry:
    serial: int
    reason: x509.ReasonFlags
    revoked_at: datetime
    text: str = ""


class RevocationStore(Protocol):
    """What the CA needs from wherever revocations are kept."""

    def revoke(self, serial: int, *, reason: str, at: datetime) -> bool:
        """Record a revocation; False (and no change) when the serial is already revoked."""

    def lookup(self, serial: int) -> RevocationEntry | None: ...

    def entries(self) -> list[RevocationEntry]: ...

    @property
    def revision(self) -> object:
        """Changes whenever the set of revocations changes (cache key for CRLs)."""


class JsonRevocationStore:
    """Revocations in ``<pki>/revocations.json``.

    Several processes (web workers, ``esign worker``) may share the directory: writers take an
    exclusive ``flock`` on a side lock file and re-read before writing; readers reload when the
    file's modification stamp changed, so a revocation made elsewhere is seen on the next lookup.
    Raises ConfigurationError when the file exists but is not ours.
    """

    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = threading.Lock()
        self._stamp: tuple[int, int, int] | None = None
        self._entries: dict[int, RevocationEntry] = {}

    def __repr__(self) -> str:
        return f"JsonRevocationStore({str(self._path)!r})"

    # -- reading -------------------------------------------------------------------------------
    def _file_stamp(self) -> tuple[int, int, int] | None:
        try:
            st = self._path.stat()
        except FileNotFoundError:
            return None
        # every write is a rename onto the path, so the inode changes even when mtime granularity is coarse
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def _refresh(self) -> None:
        stamp = self._file_stamp()
        if stamp == self._stamp:
            return
        self._entries = self._read() if stamp is not None else {}
        self._stamp = stamp

    def _read(self) -> dict[int, RevocationEntry]:
        try:
            doc = json.loads(self._path.read_text(encoding="utf-8"))
            return {
                int(serial, 16): RevocationEntry(
                    serial=int(serial, 16),
                    reason=x509.ReasonFlags(item["reason"]),
                    revoked_at=datetime.fromisoformat(item["at"]).astimezone(UTC),
                    text=item.get("text", ""),
                )
                for serial, item in doc["revoked"].items()
            }
        except FileNotFoundError:
            return {}
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ConfigurationError(f"{self._path} is not a valid revocation list: {exc}",
                                     path=str(self._path)) from None

    def lookup(self, serial: int) -> RevocationEntry | None:
        with self._lock:
            self._refresh()
            return self._entries.get(serial)

    def entries(self) -> list[RevocationEntry]:
        with self._lock:
            self._refresh()
            return sorted(self._entries.values(), key=lambda e: (e.revoked_at, e.serial))

    @property
    def revision(self) -> object:
        with self._lock:
            self._refresh()
            return self._stamp

    # -- writing -------------------------------------------------------------------------------
    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        lock_path = self._path.with_name(self._path.name + ".lock")
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        with open(lock_path, "a+b") as fh:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)

    def revoke(self, serial: int, *, reason: str, at: datetime) -> bool:
        """Raises InvalidValue for a naive ``at`` or an unsupported reason."""
        if at.tzinfo is None:
            raise InvalidValue("at", "revocation time must be timezone-aware")
        flag = parse_reason(reason)
        with self._lock, self._exclusive():
            entries = self._read()
            if serial in entries:
                return False
            entries[serial] = RevocationEntry(serial, flag, at.astimezone(UTC), text=(reason or "").strip()[:100])
            doc = {
                "version": 1,
                "revoked": {
                    format(e.serial, "x"): {"reason": e.reason.value, "at": e.revoked_at.isoformat(), "text": e.text}
                    for e in entries.values()
                },
            }
            write_atomic(self._path, json.dumps(doc, ensure_ascii=False, indent=1).encode(), mode=0o644)
            self._entries, self._stamp = entries, self._file_stamp()
            return True
