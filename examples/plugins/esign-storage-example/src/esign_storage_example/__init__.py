"""An example esign storage plugin: contract files in one SQLite database file."""

from esign_storage_example.sqlite_store import SqliteBlobStore

__all__ = ["SqliteBlobStore"]
