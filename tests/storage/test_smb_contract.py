"""The BlobStore contract against a real Samba ``smbd`` (integrations.md §1), plus what only SMB has:
SMB3 encryption, logon failures, temporary files and settings."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from esign_adapters.security import AesGcmSecretBox
from esign_adapters.storage.registry import BUILTIN_STORES, load_store, seal_secrets
from esign_adapters.testing.blobstore_contract import (
    BlobStoreContract,
    BlobStoreDownContract,
    MiB,
    Tamper,
    pattern,
    reason_of,
)
from esign_core.errors import ConfigurationError, StorageError
from esign_core.ports.storage import blob_key
from esign_core.values import BlobRef, Digest
from tests.conftest import service_unavailable
from tests.storage.smb_server import HOST, PASSWORD, USER, SambaServer, free_port, missing_requirement

try:
    from esign_adapters.storage.smb import TEMP_PREFIX, SmbBlobStore
except ImportError as exc:  # the `smb` extra (smbprotocol) is not installed
    SMB_IMPORT_ERROR: str | None = f"smbprotocol is not installed (pip install 'esign[smb]'): {exc}"
else:
    SMB_IMPORT_ERROR = None


@pytest.fixture(scope="session")
def samba(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SambaServer]:
    if SMB_IMPORT_ERROR:
        service_unavailable(SMB_IMPORT_ERROR)
    why = missing_requirement()
    if why:
        service_unavailable(why)
    server = SambaServer(tmp_path_factory.mktemp("samba"))
    try:
        server.start()
    except (OSError, RuntimeError, subprocess.SubprocessError) as exc:
        server.stop()
        service_unavailable(f"could not start smbd: {exc}")
    yield server
    server.stop()


def make_store(samba: SambaServer, *, share: str = "esign", root: str | None = None, **kw: Any) -> SmbBlobStore:
    options: dict[str, Any] = {"port": samba.port, "username": USER, "password": PASSWORD} | kw
    return SmbBlobStore(HOST, share, root=root or f"t-{uuid.uuid4().hex[:12]}", **options)


@pytest.fixture
def smb_store(samba: SambaServer) -> Iterator[SmbBlobStore]:
    """A store on a fresh root folder of the ``esign`` share; the folder is removed afterwards."""
    store = make_store(samba)
    yield store
    store.close()
    shutil.rmtree(samba.share_dirs["esign"] / store.root, ignore_errors=True)


def on_disk(samba: SambaServer, store: SmbBlobStore, share: str = "esign") -> Path:
    """The share's backing directory for ``store``'s root, on this machine."""
    return samba.share_dirs[share] / store.root.replace("\\", "/")


def temp_files(root: Path) -> list[Path]:
    return [p for p in root.rglob(f"{TEMP_PREFIX}*")] if root.exists() else []


class TestSmbContract(BlobStoreContract):
    @pytest.fixture
    def blob_store(self, smb_store: SmbBlobStore) -> SmbBlobStore:
        return smb_store

    @pytest.fixture
    def blob_tamper(self, samba: SambaServer, blob_store: SmbBlobStore) -> Tamper:
        def tamper(key: str, data: bytes) -> None:
            (on_disk(samba, blob_store) / key).write_bytes(data)  # behind smbd's back

        return tamper


class TestDownSmbContract(BlobStoreDownContract):
    down_timeout = 10.0

    @pytest.fixture
    def down_blob_store(self) -> SmbBlobStore:
        if SMB_IMPORT_ERROR:
            service_unavailable(SMB_IMPORT_ERROR)
        return SmbBlobStore(HOST, "esign", port=free_port(), username=USER, password=PASSWORD, timeout=3)


# -- SMB-specific behaviour ---------------------------------------------------------------------------
def test_encrypted_session_round_trips_on_a_share_that_requires_encryption(samba: SambaServer) -> None:
    store = make_store(samba, share="secure", encrypt=True)
    try:
        data = pattern(2 * MiB + 5)
        ref = store.put([data])
        assert store.read(ref) == data
        assert list(store.keys()) == [(ref.key, len(data))]
        # smbd's own view: every tree connect to the share is encrypted
        status = subprocess.run(["smbstatus", "-s", str(samba.conf), "-S"], capture_output=True, text=True,
                                timeout=30, check=True).stdout
        rows = [line for line in status.splitlines() if line.startswith("secure ")]
        assert rows and all("AES" in row for row in rows), status
    finally:
        store.close()


def test_wrong_password_is_denied_for_every_operation(samba: SambaServer) -> None:
    store = make_store(samba, password="not-the-password")
    digest = Digest(hashlib.sha256(b"x").hexdigest())
    ref = BlobRef(store.name, blob_key(digest), 1, digest)
    for attempt in (lambda: store.put([b"payload"]), lambda: store.read(ref), lambda: store.exists(ref),
                    lambda: list(store.keys())):
        with pytest.raises(StorageError) as err:
            attempt()
        assert reason_of(err.value) == "denied", err.value
    steps = store.check()
    assert steps[0][:2] == ("write", False) and "denied" in steps[0][2]


def test_unknown_share_is_a_clear_error_not_a_missing_object(samba: SambaServer) -> None:
    store = make_store(samba, share="no-such-share")
    with pytest.raises(StorageError) as err:
        store.put([b"payload"])
    assert reason_of(err.value) == "other"
    assert "BadNetworkName" in str(err.value)


def test_chunk_stream_failing_midway_leaves_nothing_behind(samba: SambaServer, smb_store: SmbBlobStore) -> None:
    def broken() -> Iterator[bytes]:
        yield pattern(MiB)
        raise RuntimeError("upload connection dropped")

    with pytest.raises(RuntimeError, match="upload connection dropped"):
        smb_store.put(broken())
    assert list(smb_store.keys()) == []
    assert temp_files(on_disk(samba, smb_store)) == []
    assert smb_store.stale_temp_files() == []


class _FailingReader:
    """A staged upload whose bytes stop coming after the first chunk (a dying spool disk)."""

    def __init__(self) -> None:
        self.calls = 0

    def read(self, n: int = -1) -> bytes:
        self.calls += 1
        if self.calls > 1:
            raise RuntimeError("spool read failed")
        return b"\0" * min(n, MiB)


def test_write_failing_after_the_first_chunk_on_the_share_removes_its_temp_file(
        samba: SambaServer, smb_store: SmbBlobStore) -> None:
    key = blob_key(Digest(hashlib.sha256(b"never completed").hexdigest()))
    with pytest.raises(RuntimeError, match="spool read failed"):
        smb_store._write(key, _FailingReader(), 3 * MiB)  # type: ignore[arg-type]
    directory = on_disk(samba, smb_store) / key.rsplit("/", 1)[0]
    assert directory.is_dir(), "the write did reach the share"
    assert list(directory.iterdir()) == []
    assert list(smb_store.keys()) == []


def test_leftover_temp_files_are_not_listed_as_objects_but_are_reported(samba: SambaServer,
                                                                        smb_store: SmbBlobStore) -> None:
    ref = smb_store.put([b"kept"])
    planted = on_disk(samba, smb_store) / ref.key.rsplit("/", 1)[0] / f"{TEMP_PREFIX}crashed"
    planted.write_bytes(b"half an upload")
    assert list(smb_store.keys()) == [(ref.key, 4)]
    assert [p.rsplit("\\", 1)[1] for p in smb_store.stale_temp_files()] == [planted.name]


def test_concurrent_puts_of_the_same_content_store_it_once(smb_store: SmbBlobStore) -> None:
    # Eight threads at once: each gets its own connection (no competing for SMB credits), the
    # handshakes are serialised (Samba hangs on simultaneous ones), and renames racing onto the
    # same name all end with one object and no temporary files.
    for round_ in range(3):
        data, refs, errors = pattern(3 * MiB, seed=b"race%d" % round_), [], []

        def put(data: bytes = data, refs: list[BlobRef] = refs, errors: list[Exception] = errors) -> None:
            try:
                refs.append(smb_store.put([data]))
            except Exception as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(exc)

        threads = [threading.Thread(target=put) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert errors == []
        assert len(refs) == 8 and len(set(refs)) == 1
        assert (refs[0].key, len(data)) in list(smb_store.keys())
    assert len(list(smb_store.keys())) == 3
    assert smb_store.stale_temp_files() == []


def test_objects_land_under_the_root_folder_of_the_share(samba: SambaServer) -> None:
    store = make_store(samba, root="tenant-a/objects")
    try:
        ref = store.put([b"confined"])
        assert (samba.share_dirs["esign"] / "tenant-a" / "objects" / ref.key).read_bytes() == b"confined"
    finally:
        store.close()
        shutil.rmtree(samba.share_dirs["esign"] / "tenant-a", ignore_errors=True)


def test_store_reconnects_after_close(smb_store: SmbBlobStore) -> None:
    ref = smb_store.put([b"before"])
    smb_store.close()
    assert smb_store.read(ref) == b"before"


def test_server_going_down_midway_is_unavailable_and_the_store_recovers_after_restart(
        samba: SambaServer, tmp_path: Path) -> None:
    own = SambaServer(tmp_path / "own-samba").start()  # not the shared server: this one gets stopped
    try:
        store = make_store(own, timeout=3)
        ref = store.put([pattern(3 * MiB)])
        stream = store.open(ref)
        next(stream)
        own.stop()
        started = time.monotonic()
        for attempt in (lambda: b"".join(stream), lambda: store.exists(ref), lambda: store.put([b"more"])):
            with pytest.raises(StorageError) as err:
                attempt()
            assert reason_of(err.value) == "unavailable", err.value
        assert time.monotonic() - started < 5
        own.start()  # same port, same share
        assert store.read(ref) == pattern(3 * MiB)
        store.close()
    finally:
        own.stop()


def test_unreachable_server_is_unavailable_within_the_timeout() -> None:
    if SMB_IMPORT_ERROR:
        service_unavailable(SMB_IMPORT_ERROR)
    store = SmbBlobStore("192.0.2.1", "esign", username=USER, password=PASSWORD, timeout=1)  # TEST-NET-1
    started = time.monotonic()
    with pytest.raises(StorageError) as err:
        store.put([b"payload"])
    assert reason_of(err.value) == "unavailable"
    assert time.monotonic() - started < 5


# -- settings -----------------------------------------------------------------------------------------
@pytest.fixture
def secret_box() -> AesGcmSecretBox:
    return AesGcmSecretBox(os.urandom(32))


def test_registry_builds_the_store_from_console_settings_with_the_password_sealed(
        samba: SambaServer, secret_box: AesGcmSecretBox) -> None:
    root = f"t-{uuid.uuid4().hex[:12]}"
    typed = {"server": HOST, "share": "secure", "port": str(samba.port), "username": USER, "password": PASSWORD,
             "root": root, "encrypt": "true", "timeout": "5"}  # as the console form sends them
    stored = seal_secrets(typed, kind="smb", secrets=secret_box)
    assert "password" not in stored and stored["password_secret_ref"].startswith("v1.")
    store = load_store("smb", stored, secrets=secret_box, name="archive", fallback=BUILTIN_STORES)
    assert isinstance(store, SmbBlobStore)
    try:
        assert (store.port, store.encrypt, store.timeout) == (samba.port, True, 5.0)
        ref = store.put([b"configured"])
        assert ref.backend == "archive"
        assert store.read(ref) == b"configured"
    finally:
        store.close()
        shutil.rmtree(samba.share_dirs["secure"] / root, ignore_errors=True)


def test_builds_without_touching_the_network() -> None:
    if SMB_IMPORT_ERROR:
        service_unavailable(SMB_IMPORT_ERROR)
    started = time.monotonic()
    SmbBlobStore.from_config({"server": "192.0.2.1", "share": "esign", "username": USER, "password": "x"},
                             name="smb", secrets=None)
    assert time.monotonic() - started < 0.5


@pytest.mark.parametrize(("change", "message"), [
    ({"bucket": "x"}, "unknown setting"),
    ({"server": None}, "missing"),
    ({"password": "also"}, "exactly one"),
    ({"password_secret_ref": None}, "exactly one"),
    ({"port": "44.5"}, "port"),
    ({"port": "http"}, "port"),
    ({"port": 70000}, "port"),
    ({"port": 0}, "port"),
    ({"encrypt": "maybe"}, "encrypt"),
    ({"root": "../etc"}, "root"),
    ({"root": "a/../../b"}, "root"),
    ({"root": "/abs"}, "root"),
    ({"share": "esign\\..\\c$"}, "share"),
    ({"server": "host\\share"}, "server"),
    ({"timeout": 0}, "timeout"),
])
def test_bad_settings_are_refused(secret_box: AesGcmSecretBox, change: dict[str, Any], message: str) -> None:
    if SMB_IMPORT_ERROR:
        service_unavailable(SMB_IMPORT_ERROR)
    config: dict[str, Any] = {"server": "files.example", "share": "esign", "username": USER,
                              "password_secret_ref": secret_box.seal(b"pw", purpose="storage.smb.password")}
    config |= change
    config = {k: v for k, v in config.items() if v is not None}
    with pytest.raises(ConfigurationError, match=message):
        SmbBlobStore.from_config(config, name="smb", secrets=secret_box)


def test_empty_console_fields_take_the_defaults() -> None:
    if SMB_IMPORT_ERROR:
        service_unavailable(SMB_IMPORT_ERROR)
    store = SmbBlobStore.from_config({"server": "files.example", "share": "esign", "username": USER, "password": "pw",
                                      "port": "", "root": "", "encrypt": "", "timeout": None}, name="smb")
    assert (store.port, store.root, store.encrypt, store.timeout) == (445, "esign", False, 10)


def test_password_sealed_for_another_purpose_is_refused(secret_box: AesGcmSecretBox) -> None:
    if SMB_IMPORT_ERROR:
        service_unavailable(SMB_IMPORT_ERROR)
    config = {"server": "files.example", "share": "esign", "username": USER,
              "password_secret_ref": secret_box.seal(b"pw", purpose="mail.password")}
    with pytest.raises(ConfigurationError):
        SmbBlobStore.from_config(config, name="smb", secrets=secret_box)


def test_password_never_appears_in_repr_or_errors(samba: SambaServer) -> None:
    secret = "Sup3r-Secret-Value"
    store = make_store(samba, password=secret)
    assert secret not in repr(store)
    with pytest.raises(StorageError) as err:
        store.put([b"x"])
    assert secret not in str(err.value) and secret not in repr(err.value.fields)
