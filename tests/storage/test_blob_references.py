"""Where the database points into storage: every BlobRef column quartet of every table, paged,
skipping rows whose files were destroyed on purpose; and the in-memory twin."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import attrs
import sqlalchemy as sa

from esign_adapters.db.blob_refs import SqlBlobReferences, blob_columns
from esign_adapters.db.engine import make_engine
from esign_adapters.db.migrate import upgrade
from esign_adapters.db.tables import metadata
from esign_adapters.db.uow import SqlUnitOfWork
from esign_core.model.document import Document
from esign_core.ports.storage import blob_key
from esign_core.testing import InMemoryBlobReferences, InMemoryDatabase, InMemoryUnitOfWork
from esign_core.values import BlobRef, Digest


def ref(n: int) -> BlobRef:
    digest = Digest(f"{n:064x}")
    return BlobRef("local", blob_key(digest), n, digest)


def document(doc_id: int, original: BlobRef, current: BlobRef) -> Document:
    return Document(id=doc_id, title="合同.pdf", original=original, current=current, pages=1,
                    created_at=datetime.now(UTC))


def test_documents_and_seals_are_pointer_tables() -> None:
    found = {t.name: blob_columns(t) for t in metadata.sorted_tables if blob_columns(t)}
    assert found["documents"] == ["current", "original"]
    assert found["seals"] == ["image"]


def test_sql_references_list_every_pointer_across_pages(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'esign.db'}")
    upgrade(engine)
    with SqlUnitOfWork(engine) as uow:
        for i in range(1, 6):
            uow.documents.add(document(i, ref(i), ref(100 + i) if i % 2 else ref(i)))
        uow.commit()
    found = list(SqlBlobReferences(engine, page=2).blob_refs())
    owners = {owner for owner, _ in found}
    assert {"documents 1 original", "documents 1 current", "documents 5 current"} <= owners
    documents = [(o, r) for o, r in found if o.startswith("documents ")]
    assert len(documents) == 10
    assert ("documents 3 current", ref(103)) in documents


def test_rows_whose_files_were_destroyed_are_not_live_pointers(tmp_path: Path) -> None:
    schema = sa.MetaData()
    def cols() -> list[sa.Column[object]]:
        return [sa.Column(f"file_{p}", t) for p, t in (("backend", sa.String), ("key", sa.String),
                                                       ("size", sa.BigInteger), ("digest", sa.String))]

    parent = sa.Table("docs", schema, sa.Column("id", sa.Integer, primary_key=True),
                      sa.Column("destroyed", sa.Boolean, nullable=False), *cols())
    child = sa.Table("revisions", schema, sa.Column("id", sa.Integer, primary_key=True),
                     sa.Column("doc_id", sa.ForeignKey("docs.id")), *cols())
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    schema.create_all(engine)

    def row(n: int) -> dict[str, object]:
        r = ref(n)
        return {"file_backend": r.backend, "file_key": r.key, "file_size": r.size,
                "file_digest": f"sha256:{r.digest.hex}"}

    with engine.begin() as conn:
        conn.execute(parent.insert(), [{"id": 1, "destroyed": False, **row(1)}, {"id": 2, "destroyed": True, **row(2)}])
        conn.execute(child.insert(), [{"id": 1, "doc_id": 1, **row(11)}, {"id": 2, "doc_id": 2, **row(12)}])
    found = sorted(owner for owner, _ in SqlBlobReferences(engine, schema=schema).blob_refs())
    assert found == ["docs 1 file", "revisions 1 file"]


def test_in_memory_references_follow_every_blobref_attribute() -> None:
    db = InMemoryDatabase()
    with InMemoryUnitOfWork(db) as uow:
        uow.documents.add(document(1, ref(1), ref(2)))
        uow.commit()
    assert sorted(InMemoryBlobReferences(db).blob_refs()) == [("documents 1 current", ref(2)),
                                                              ("documents 1 original", ref(1))]
    doc = db.tables["documents"][1]
    if any(f.name == "destroyed" for f in attrs.fields(type(doc))):
        doc.destroyed = True
        assert list(InMemoryBlobReferences(db).blob_refs()) == []


def test_seal_photos_and_used_files_in_json_are_pointers(tmp_path: Path) -> None:
    """A seal application keeps its stamp photos and used files inside JSON columns; they are
    pointers too, or ``verify --repair`` would delete them as orphans."""
    from esign_core.model.seal_apply import UsedFile, UsedFileKind
    from tests.db import samples
    from tests.db.test_seal_devices_repository import application

    engine = make_engine(f"sqlite:///{tmp_path / 'esign.db'}")
    upgrade(engine)
    app = application(used=2, photos=2)
    app.add_used_file(UsedFile("盖章页", UsedFileKind.IMAGES, ref(7), 2, samples.T0))
    with SqlUnitOfWork(engine) as uow:
        uow.seal_applications.add(app)
        uow.commit()
    found = [(o, r) for o, r in SqlBlobReferences(engine, page=1).blob_refs() if o.startswith("seal_applications")]
    assert found == [(f"seal_applications {app.id} photo pk0", samples.blob(1)),
                     (f"seal_applications {app.id} photo pk1", samples.blob(2)),
                     (f"seal_applications {app.id} used_file 1", ref(7))]
