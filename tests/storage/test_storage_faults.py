"""Faults at the storage boundaries with real processes and files (security.md §4): a process
killed with SIGKILL mid-rename or between writing an object and committing its pointer leaves no
dangling pointer, and ``verify --repair`` removes what it left; a migration killed half-way
resumes without copying again; a backend that is down fails clearly and nothing points at a file
that was never written."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from esign_adapters.db.blob_refs import SqlBlobReferences
from esign_adapters.db.engine import make_engine
from esign_adapters.db.migrate import upgrade
from esign_adapters.db.uow import SqlUnitOfWork
from esign_adapters.storage.journal import FileMigrationJournal
from esign_adapters.storage.local import LocalBlobStore, NasBlobStore
from esign_core.errors import StorageError
from esign_core.model.document import Document
from esign_core.model.policy import StorageSettings
from esign_core.services.storage import migrate_storage, verify_storage
from esign_core.values import BlobRef

_CHILD = """
import os, signal, sys
from datetime import UTC, datetime
from esign_adapters.db.engine import make_engine
from esign_adapters.db.uow import SqlUnitOfWork
from esign_adapters.storage.local import LocalBlobStore
from esign_core.model.document import Document

root, url, boundary = sys.argv[1:4]
store = LocalBlobStore(root)
if boundary == "rename":
    real = os.replace
    def die(*a, **k):
        os.kill(os.getpid(), signal.SIGKILL)
    os.replace = die
ref = store.put([b"%PDF-1.7 signed contract"])
print(ref.key, flush=True)
if boundary == "commit":
    os.kill(os.getpid(), signal.SIGKILL)  # after the object is written, before its pointer commits
with SqlUnitOfWork(make_engine(url)) as uow:
    uow.documents.add(Document(id=42, title="x.pdf", original=ref, current=ref, pages=1,
                               created_at=datetime.now(UTC)))
    uow.commit()
"""


@pytest.fixture
def database(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'esign.db'}"
    upgrade(make_engine(url))
    return url


def _kill_child(root: Path, url: str, boundary: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(_CHILD), str(root), url, boundary],
                          capture_output=True, text=True, timeout=60)


def test_sigkill_between_object_write_and_pointer_commit_leaves_an_orphan_that_repair_removes(
        tmp_path: Path, database: str) -> None:
    root = tmp_path / "files"
    child = _kill_child(root, database, "commit")
    assert child.returncode == -signal.SIGKILL, child.stderr
    store, refs = LocalBlobStore(root), SqlBlobReferences(make_engine(database))
    assert list(refs.blob_refs()) == [], "no pointer was committed"

    found = verify_storage(store=store, references=refs)
    assert [(p.kind, p.key) for p in found.problems] == [("orphan", child.stdout.strip())]
    repaired = verify_storage(store=store, references=refs, repair=True)
    assert repaired.ok and list(store.keys()) == []
    assert verify_storage(store=store, references=refs).problems == ()


def test_sigkill_during_rename_leaves_no_object_under_its_key(tmp_path: Path, database: str) -> None:
    root = tmp_path / "files"
    child = _kill_child(root, database, "rename")
    assert child.returncode == -signal.SIGKILL, child.stderr
    store = LocalBlobStore(root)
    assert list(store.keys()) == [], "a half-written object is never visible under a key"
    assert len(store.stale_temp_files(older_than=-1)) == 1
    assert verify_storage(store=store, references=SqlBlobReferences(make_engine(database))).ok


def test_completed_upload_has_its_pointer_and_object(tmp_path: Path, database: str) -> None:
    child = _kill_child(tmp_path / "files", database, "none")
    assert child.returncode == 0, child.stderr
    references = SqlBlobReferences(make_engine(database))
    report = verify_storage(store=LocalBlobStore(tmp_path / "files"), references=references)
    assert report.ok and report.referenced == 1


def test_backend_down_raises_unavailable_and_no_pointer_is_committed(tmp_path: Path, database: str) -> None:
    mount = tmp_path / "nas"
    mount.mkdir()
    store = NasBlobStore(mount, require_mount=False)
    mount.rmdir()  # the share is gone
    engine = make_engine(database)
    with pytest.raises(StorageError) as err, SqlUnitOfWork(engine) as uow:
        ref = store.put([b"%PDF-1.7"])  # the write protocol: object first, pointer after
        uow.documents.add(Document(id=1, title="x.pdf", original=ref, current=ref, pages=1,
                                   created_at=datetime.now(UTC)))
        uow.commit()
    assert err.value.fields["reason"] == "unavailable" and err.value.fields["backend"] == "nas"
    assert list(SqlBlobReferences(engine).blob_refs()) == []


def _documents(engine: sa.Engine, store: LocalBlobStore, n: int) -> list[BlobRef]:
    refs = []
    with SqlUnitOfWork(engine) as uow:
        for i in range(n):
            ref = store.put([f"%PDF-1.7 contract {i} ".encode() * (i + 1)])
            uow.documents.add(Document(id=100 + i, title=f"{i}.pdf", original=ref, current=ref, pages=1,
                                       created_at=datetime.now(UTC)))
            refs.append(ref)
        uow.commit()
    return refs


class CountingNas(NasBlobStore):
    """Counts objects written; raises after ``limit`` of them, as if the migration were killed."""

    writes = 0
    limit = 10**9

    def put(self, chunks):  # type: ignore[no-untyped-def]
        if CountingNas.writes >= CountingNas.limit:
            raise KeyboardInterrupt("killed half-way")
        CountingNas.writes += 1
        return super().put(chunks)


def test_migration_killed_half_way_resumes_from_its_journal_and_switches(tmp_path: Path, database: str) -> None:
    engine = make_engine(database)
    source = LocalBlobStore(tmp_path / "files")
    refs = _documents(engine, source, 8)
    (tmp_path / "nas").mkdir()
    target_settings = StorageSettings(backend="nas", config={"mount_path": str(tmp_path / "nas"),
                                                             "require_mount": False})
    journal_path = tmp_path / "storage-migrate.journal"

    def run() -> object:
        journal = FileMigrationJournal(journal_path, source=StorageSettings(), target=target_settings)
        try:
            return migrate_storage(source=source, target=CountingNas(tmp_path / "nas", require_mount=False),
                                   target_settings=target_settings, references=SqlBlobReferences(engine),
                                   journal=journal, uow=SqlUnitOfWork(engine))
        finally:
            journal.close()

    CountingNas.writes, CountingNas.limit = 0, 3
    with pytest.raises(KeyboardInterrupt):
        run()
    with SqlUnitOfWork(engine) as uow:
        assert uow.settings.get(StorageSettings).backend == "local", "not switched before every object verified"
    assert len(journal_path.read_text().splitlines()) == 1 + 3

    CountingNas.limit = 10**9
    report = run()
    assert (report.skipped, report.copied, report.switched) == (3, 5, True)  # type: ignore[attr-defined]
    assert CountingNas.writes == 8, "no object was copied twice"
    assert not journal_path.exists()
    with SqlUnitOfWork(engine) as uow:
        assert uow.settings.get(StorageSettings) == target_settings
    target = NasBlobStore(tmp_path / "nas", require_mount=False)
    assert verify_storage(store=target, references=SqlBlobReferences(engine)).ok
    assert [target.read(r) for r in refs] == [source.read(r) for r in refs]


def test_journal_of_a_migration_to_another_target_is_not_reused(tmp_path: Path) -> None:
    path = tmp_path / "j"
    a = StorageSettings(backend="nas", config={"mount_path": "/a"})
    b = StorageSettings(backend="nas", config={"mount_path": "/b"})
    first = FileMigrationJournal(path, source=StorageSettings(), target=a)
    first.record("sha256/aa/bb/" + "aabb" + "0" * 60)
    first.close()
    assert FileMigrationJournal(path, source=StorageSettings(), target=a).resumed
    other = FileMigrationJournal(path, source=StorageSettings(), target=b)
    assert not other.resumed and other.done == set()
