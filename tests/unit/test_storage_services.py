"""Storage use cases over the in-memory fakes: verify (and repair), configure, migrate."""

from __future__ import annotations

import pytest

from esign_core.errors import DomainError, StorageError
from esign_core.model.policy import StorageSettings
from esign_core.services.storage import configure_storage, migrate_storage, verify_storage
from esign_core.testing import (
    InMemoryBlobStore,
    InMemoryDatabase,
    InMemoryMigrationJournal,
    InMemoryUnitOfWork,
    StaticBlobReferences,
)
from esign_core.values import BlobRef, Digest

NAS = StorageSettings(backend="nas", config={"mount_path": "/mnt/nas"})


def _stored(store: InMemoryBlobStore, *contents: bytes) -> tuple[list[BlobRef], StaticBlobReferences]:
    refs = [store.put([c]) for c in contents]
    return refs, StaticBlobReferences([(f"documents {i} current", r) for i, r in enumerate(refs)])


class CrashingStore(InMemoryBlobStore):
    """A target that dies after ``limit`` writes (a migration killed half-way)."""

    def __init__(self, limit: int) -> None:
        super().__init__("nas")
        self.limit = limit

    def put(self, chunks):  # type: ignore[no-untyped-def]
        if self.puts >= self.limit:
            raise KeyboardInterrupt("killed")
        return super().put(chunks)


# -- verify ---------------------------------------------------------------------------------------
def test_verify_of_a_consistent_store_finds_nothing() -> None:
    store = InMemoryBlobStore()
    _, refs = _stored(store, b"a", b"b")
    report = verify_storage(store=store, references=refs)
    assert report.ok and (report.referenced, report.stored, report.checked_bytes) == (2, 2, 2)


def test_verify_reports_missing_corrupt_orphan_and_invalid_pointers() -> None:
    store = InMemoryBlobStore()
    (gone, bad, _), refs = _stored(store, b"gone", b"bad!", b"fine")
    store.delete(gone)
    store.tamper(bad.key, b"BAD!")
    orphan = store.put([b"nobody points here"])
    refs.refs.append(("seals 9 image", BlobRef("memory", "../../etc/passwd", 1, Digest("0" * 64))))
    report = verify_storage(store=store, references=refs)
    kinds = {p.kind: p for p in report.problems}
    assert set(kinds) == {"missing", "corrupt", "orphan", "invalid"}
    assert kinds["missing"].key == gone.key and kinds["missing"].owners == ("documents 0 current",)
    assert kinds["corrupt"].key == bad.key
    assert kinds["orphan"].key == orphan.key
    assert kinds["invalid"].owners == ("seals 9 image",)
    assert not report.ok


def test_verify_repair_deletes_orphans_only() -> None:
    store = InMemoryBlobStore()
    (kept,), refs = _stored(store, b"kept")
    orphan = store.put([b"left by a crash before commit"])
    report = verify_storage(store=store, references=refs, repair=True)
    assert report.ok and report.count("orphan") == 1 and report.problems[0].repaired
    assert not store.exists(orphan) and store.exists(kept)


def test_verify_repair_keeps_an_orphan_whose_pointer_was_committed_meanwhile() -> None:
    store = InMemoryBlobStore()
    late = store.put([b"committed while verify ran"])

    class LateCommit:
        calls = 0

        def blob_refs(self):  # type: ignore[no-untyped-def]
            LateCommit.calls += 1
            return iter([] if LateCommit.calls == 1 else [("documents 1 current", late)])

    report = verify_storage(store=store, references=LateCommit(), repair=True)
    assert store.exists(late) and report.ok


def test_verify_repair_cannot_repair_missing_or_corrupt_objects() -> None:
    store = InMemoryBlobStore()
    (bad,), refs = _stored(store, b"evidence")
    store.tamper(bad.key, b"forgery!")
    report = verify_storage(store=store, references=refs, repair=True)
    assert [p.kind for p in report.remaining] == ["corrupt"]
    assert store.objects[bad.key] == b"forgery!", "a corrupt copy is evidence: repair does not delete it"


def test_verify_of_an_unavailable_store_raises_storage_error() -> None:
    store = InMemoryBlobStore()
    store.unavailable = True
    with pytest.raises(StorageError) as err:
        verify_storage(store=store, references=StaticBlobReferences())
    assert err.value.fields["reason"] == "unavailable"


# -- configure ------------------------------------------------------------------------------------
def test_configure_saves_only_after_the_connection_test_passes() -> None:
    db = InMemoryDatabase()
    down = InMemoryBlobStore("nas")
    down.unavailable = True
    result = configure_storage(NAS, store=down, references=StaticBlobReferences(), uow=InMemoryUnitOfWork(db))
    assert not result.saved and result.steps[0][:2] == ("write", False)
    assert "storage" not in db.settings

    result = configure_storage(NAS, store=InMemoryBlobStore("nas"), references=StaticBlobReferences(),
                               uow=InMemoryUnitOfWork(db))
    assert result.saved and [s[0] for s in result.steps][-1] == "save"
    assert db.settings["storage"] == NAS


def test_configure_refuses_a_store_without_the_referenced_files() -> None:
    db = InMemoryDatabase()
    _, refs = _stored(InMemoryBlobStore(), b"contract")
    result = configure_storage(NAS, store=InMemoryBlobStore("nas"), references=refs, uow=InMemoryUnitOfWork(db))
    assert not result.saved
    assert result.steps[-1][0] == "existing files" and "migrate" in result.steps[-1][2]


# -- migrate --------------------------------------------------------------------------------------
def test_migrate_copies_verifies_and_switches() -> None:
    db = InMemoryDatabase()
    source, target, journal = InMemoryBlobStore(), InMemoryBlobStore("nas"), InMemoryMigrationJournal()
    refs, pointers = _stored(source, b"a", b"bb", b"ccc")
    seen = []
    report = migrate_storage(source=source, target=target, target_settings=NAS, references=pointers,
                             journal=journal, uow=InMemoryUnitOfWork(db), progress=lambda d, t, k: seen.append(d))
    assert report.switched and (report.copied, report.skipped, report.bytes_copied) == (3, 0, 6)
    assert [target.read(r) for r in refs] == [b"a", b"bb", b"ccc"]
    assert db.settings["storage"] == NAS and journal.finished
    assert seen[-1] == 6 and source.objects, "the source is left as it was"


def test_migrate_killed_half_way_resumes_without_copying_again() -> None:
    db = InMemoryDatabase()
    source, journal = InMemoryBlobStore(), InMemoryMigrationJournal()
    refs, pointers = _stored(source, *[bytes([i]) * (i + 1) for i in range(10)])
    crashing = CrashingStore(limit=4)
    with pytest.raises(KeyboardInterrupt):
        migrate_storage(source=source, target=crashing, target_settings=NAS, references=pointers, journal=journal,
                        uow=InMemoryUnitOfWork(db))
    assert len(journal.done) == 4 and "storage" not in db.settings, "no switch before every object is verified"

    crashing.limit = 100
    report = migrate_storage(source=source, target=crashing, target_settings=NAS, references=pointers,
                             journal=journal, uow=InMemoryUnitOfWork(db))
    assert (report.skipped, report.copied, report.switched) == (4, 6, True)
    assert crashing.puts == 10, "each object written exactly once over both runs"
    assert all(crashing.read(r) for r in refs)


def test_migrate_refuses_to_switch_when_a_source_object_is_corrupt_or_missing() -> None:
    db = InMemoryDatabase()
    source, target = InMemoryBlobStore(), InMemoryBlobStore("nas")
    (bad, gone, _), pointers = _stored(source, b"bad", b"gone", b"fine")
    source.tamper(bad.key, b"BAD")
    source.delete(gone)
    report = migrate_storage(source=source, target=target, target_settings=NAS, references=pointers,
                             journal=InMemoryMigrationJournal(), uow=InMemoryUnitOfWork(db))
    assert not report.switched and "storage" not in db.settings
    assert sorted(p.kind for p in report.failures) == ["corrupt", "missing"]
    assert not target.exists(bad), "a corrupt object never lands on the target"


def test_migrate_picks_up_pointers_committed_while_copying() -> None:
    db = InMemoryDatabase()
    source, target = InMemoryBlobStore(), InMemoryBlobStore("nas")
    (first,), pointers = _stored(source, b"first")
    late = source.put([b"uploaded during the migration"])

    def progress(done: int, total: int, key: str) -> None:
        if len(pointers.refs) == 1:
            pointers.refs.append(("documents 7 current", late))

    report = migrate_storage(source=source, target=target, target_settings=NAS, references=pointers,
                             journal=InMemoryMigrationJournal(), uow=InMemoryUnitOfWork(db), progress=progress)
    assert report.switched and report.objects == 2 and target.exists(late)


def test_migrate_stops_when_the_target_is_unavailable() -> None:
    db = InMemoryDatabase()
    source, target, journal = InMemoryBlobStore(), InMemoryBlobStore("nas"), InMemoryMigrationJournal()
    _, pointers = _stored(source, b"x")
    target.unavailable = True
    with pytest.raises(StorageError):
        migrate_storage(source=source, target=target, target_settings=NAS, references=pointers, journal=journal,
                        uow=InMemoryUnitOfWork(db))
    assert "storage" not in db.settings


def test_migrate_to_the_storage_in_use_is_refused() -> None:
    db = InMemoryDatabase()
    store = InMemoryBlobStore()
    with pytest.raises(DomainError):
        migrate_storage(source=store, target=store, target_settings=StorageSettings(),
                        references=StaticBlobReferences(), journal=InMemoryMigrationJournal(),
                        uow=InMemoryUnitOfWork(db))


def test_storage_settings_hide_secrets_and_refuse_clear_ones() -> None:
    settings = StorageSettings(backend="s3", config={"bucket": "b", "secret_key_secret_ref": "TOKEN"})
    assert "TOKEN" not in repr(settings) and "bucket" in repr(settings)
    with pytest.raises(Exception) as err:
        StorageSettings(backend="s3", config={"secret_key": "clear"})
    assert "secret_key_secret_ref" in str(err.value)
    assert StorageSettings().for_testing_only and not settings.for_testing_only
