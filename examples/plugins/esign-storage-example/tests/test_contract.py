"""The shipped BlobStore contract suite, run against this plugin: ``pytest tests`` here (with
``esign[dev]`` installed). The esign repository's CI runs this very file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from esign_storage_example import SqliteBlobStore

from esign_adapters.storage.registry import load_store
from esign_adapters.testing.blobstore_contract import BlobStoreContract, BlobStoreDownContract, Tamper
from esign_core.testing import XorSecretBox


class TestSqliteBlobStore(BlobStoreContract):
    @pytest.fixture
    def blob_store(self, tmp_path: Path) -> SqliteBlobStore:
        return SqliteBlobStore(tmp_path / "blobs.db")

    @pytest.fixture
    def blob_tamper(self, blob_store: SqliteBlobStore) -> Tamper:
        def tamper(key: str, data: bytes) -> None:
            with sqlite3.connect(blob_store.path) as conn:
                conn.execute(f"UPDATE {blob_store.table} SET data = ? WHERE key = ?", (data, key))  # noqa: S608

        return tamper


class TestSqliteBlobStoreWithoutItsDirectory(BlobStoreDownContract):
    @pytest.fixture
    def down_blob_store(self, tmp_path: Path) -> SqliteBlobStore:
        return SqliteBlobStore(tmp_path / "gone" / "blobs.db")


def test_the_entry_point_builds_the_store_from_its_settings(tmp_path: Path) -> None:
    store = load_store("sqlite", {"path": str(tmp_path / "b.db"), "table": "files"}, secrets=XorSecretBox())
    assert isinstance(store, SqliteBlobStore) and store.table == "files" and store.name == "sqlite"


@pytest.mark.parametrize("config, field", [({}, "path"), ({"path": "relative.db"}, "path"),
                                           ({"path": "/x.db", "table": "no-dash"}, "table"),
                                           ({"path": "/x.db", "bucket": "b"}, "bucket")])
def test_bad_settings_name_the_setting(config: dict[str, str], field: str) -> None:
    from esign_core.errors import ConfigurationError

    with pytest.raises(ConfigurationError) as err:
        SqliteBlobStore.from_config(config, name="sqlite")
    assert err.value.fields["field"] == field
