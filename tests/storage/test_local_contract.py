"""The BlobStore contract run against the POSIX backends (local, NAS on a temporary directory) and
the in-memory fake."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from esign_adapters.storage.local import LocalBlobStore, NasBlobStore
from esign_adapters.testing.blobstore_contract import BlobStoreContract, BlobStoreDownContract, Tamper
from esign_core.testing import InMemoryBlobStore


def file_tamper(root: Path) -> Tamper:
    def tamper(key: str, data: bytes) -> None:
        path = root / key
        path.chmod(0o600)
        path.write_bytes(data)

    return tamper


class TestLocalBlobStore(BlobStoreContract):
    @pytest.fixture
    def blob_store(self, tmp_path: Path) -> LocalBlobStore:
        return LocalBlobStore(tmp_path / "a" / "b" / "store")

    @pytest.fixture
    def blob_tamper(self, blob_store: LocalBlobStore) -> Tamper:
        return file_tamper(blob_store.root)


class TestNasBlobStore(BlobStoreContract):
    @pytest.fixture
    def blob_store(self, tmp_path: Path) -> NasBlobStore:
        (tmp_path / "nas").mkdir()
        return NasBlobStore(tmp_path / "nas", require_mount=False)

    @pytest.fixture
    def blob_tamper(self, blob_store: NasBlobStore) -> Tamper:
        return file_tamper(blob_store.root)


class TestInMemoryBlobStore(BlobStoreContract):
    streaming_memory_limit = None  # the objects live in this process by design

    @pytest.fixture
    def blob_store(self) -> InMemoryBlobStore:
        return InMemoryBlobStore()

    @pytest.fixture
    def blob_tamper(self, blob_store: InMemoryBlobStore) -> Tamper:
        return blob_store.tamper


class TestUnmountedNasBlobStore(BlobStoreDownContract):
    @pytest.fixture
    def down_blob_store(self, tmp_path: Path) -> NasBlobStore:
        mount = tmp_path / "nas"
        mount.mkdir()
        store = NasBlobStore(mount, require_mount=False)
        shutil.rmtree(mount)  # the share went away after start-up
        return store


class TestUnavailableInMemoryBlobStore(BlobStoreDownContract):
    @pytest.fixture
    def down_blob_store(self) -> InMemoryBlobStore:
        store = InMemoryBlobStore()
        store.unavailable = True
        return store

