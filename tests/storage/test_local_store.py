"""What the POSIX backends promise beyond the shared contract: atomic, durable writes confined to
the root, and a NAS store that refuses to run on a missing or unmounted share."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from esign_adapters.storage.local import LocalBlobStore, NasBlobStore
from esign_adapters.testing.blobstore_contract import HOSTILE_KEYS, ref_with_key
from esign_core.errors import ConfigurationError, StorageError
from esign_core.ports.storage import blob_key
from esign_core.testing import XorSecretBox
from esign_core.values import Digest


def test_hostile_keys_touch_nothing_outside_the_root(tmp_path: Path) -> None:
    root = tmp_path / "a" / "b" / "store"
    canary = tmp_path / "a" / "etc" / "passwd"
    canary.parent.mkdir(parents=True)
    canary.write_text("root:x:0:0")
    store = LocalBlobStore(root)
    store.put([b"x"])
    for _, key in HOSTILE_KEYS:
        with pytest.raises(StorageError):
            store.delete(ref_with_key(key))
    assert canary.read_text() == "root:x:0:0"


def test_symlink_planted_inside_the_root_cannot_lead_out(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    store = LocalBlobStore(tmp_path / "store")
    ref = store.put([b"x"])
    (tmp_path / "store" / "sha256" / ref.key.split("/")[1]).rename(tmp_path / "moved")
    os.symlink(outside, tmp_path / "store" / "sha256" / ref.key.split("/")[1])
    with pytest.raises(StorageError) as err:
        store.put([b"x"])
    assert err.value.fields["reason"] == "invalid_key"
    assert list(outside.iterdir()) == []


def test_objects_are_read_only_and_no_temporary_file_is_left(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "store")
    ref = store.put([b"contract"])
    path = store.root / ref.key
    assert stat.S_IMODE(path.stat().st_mode) == 0o400
    assert os.listdir(path.parent) == [path.name]


def test_failed_write_leaves_no_temporary_file_and_no_object(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = LocalBlobStore(tmp_path / "store")

    def full(*_a: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full)
    with pytest.raises(StorageError) as err:
        store.put([b"contract"])
    assert err.value.fields["reason"] == "unavailable" and "No space left" in str(err.value)
    monkeypatch.undo()
    assert list(store.keys()) == []
    assert [p for p in (tmp_path / "store").rglob("*") if p.is_file()] == []


def test_temporary_files_of_a_crashed_write_are_not_listed_but_found_as_stale(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "store")
    ref = store.put([b"x"])
    leftover = store.root / os.path.dirname(ref.key) / ".tmp-crashed"
    leftover.write_bytes(b"half")
    os.utime(leftover, (0, 0))
    assert list(store.keys()) == [(ref.key, 1)]
    assert store.stale_temp_files() == [str(leftover)]


def test_permission_denied_is_reported_as_denied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = LocalBlobStore(tmp_path / "store")

    def refused(*_a: object, **_k: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("tempfile.mkstemp", refused)
    with pytest.raises(StorageError) as err:
        store.put([b"y"])
    assert err.value.fields["reason"] == "denied"


def test_nas_refuses_to_start_without_its_mount(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="does not exist; mount the NAS first"):
        NasBlobStore(tmp_path / "missing")
    (tmp_path / "file").write_text("")
    with pytest.raises(ConfigurationError, match="not a directory"):
        NasBlobStore(tmp_path / "file")
    (tmp_path / "dir").mkdir()
    with pytest.raises(ConfigurationError, match="not a mount point"):
        NasBlobStore(tmp_path / "dir")
    with pytest.raises(ConfigurationError, match="absolute"):
        NasBlobStore("relative/path")


def test_nas_that_is_unmounted_after_start_is_unavailable_not_silently_local(tmp_path: Path) -> None:
    mount = tmp_path / "nas"
    mount.mkdir()
    store = NasBlobStore(mount, require_mount=False)
    ref = store.put([b"x"])
    store.require_mount = True  # as configured in production; tmp_path is no mount point
    with pytest.raises(StorageError) as err:
        store.exists(ref)
    assert err.value.fields["reason"] == "unavailable" and "not mounted" in str(err.value)


def test_from_config_validates_settings(tmp_path: Path) -> None:
    secrets = XorSecretBox()
    store = NasBlobStore.from_config({"mount_path": str(tmp_path), "require_mount": "false"}, name="nas",
                                     secrets=secrets)
    assert store.for_testing_only is False and store.name == "nas"
    assert LocalBlobStore.from_config({"root": str(tmp_path)}, name="local", secrets=secrets).for_testing_only
    with pytest.raises(ConfigurationError, match="unknown setting"):
        LocalBlobStore.from_config({"root": str(tmp_path), "rot": "x"}, name="local", secrets=secrets)
    with pytest.raises(ConfigurationError, match="mount_path"):
        NasBlobStore.from_config({}, name="nas", secrets=secrets)


def test_store_is_created_lazily(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "later")
    assert not (tmp_path / "later").exists()
    assert store.exists(ref_with_key(blob_key(Digest("a" * 64)))) is False
    assert list(store.keys()) == []
    store.put([b"now"])
    assert (tmp_path / "later").is_dir()
