"""The sealed paper recorded on a physical-seal application (AddSealUsedFile) with the fakes:
images merged into one PDF in order, a PDF kept as it is, the type/empty/state/scope refusals,
and storage failing leaves the application unchanged."""

from __future__ import annotations

import pytest

from esign_core.errors import InvalidTransition, InvalidValue, NotFoundError, PermissionDenied, StorageError
from esign_core.model.seal_apply import UsedFileKind
from esign_core.services.seal_used_files import AddSealUsedFile, GetSealUsedFile, UsedUpload
from esign_core.testing import InMemoryBlobReferences
from tests.unit.conftest import make_init_command
from tests.unit.seal_world import SealWorld, make_world

PDF = b"%PDF-1.7\n/Type /Page\n/Type /Page\n%%EOF\n"


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> SealWorld:
    return make_world(monkeypatch, make_init_command)


def _add(world: SealWorld, business_id: int, kind: UsedFileKind, *uploads: tuple[str, bytes], **extra: object):  # type: ignore[no-untyped-def]
    return world.platform.bus.handle(AddSealUsedFile(
        business_id=business_id, title="盖章页", kind=kind, uploads=tuple(UsedUpload(n, d) for n, d in uploads),
        **extra))  # type: ignore[arg-type]


def test_images_become_one_pdf_and_a_pdf_is_kept(world: SealWorld) -> None:
    app = world.apply()
    used = _add(world, app.id, UsedFileKind.IMAGES, ("a.png", b"png"), ("b.JPEG", b"jpg"), ("c.tif", b"tif"),
                node_id="n1")
    assert used.pages == 3 and used.node_id == "n1"
    assert [c for c in world.platform.converter.calls if c[0] == "to_pdf"] == [
        ("to_pdf", "png"), ("to_pdf", "jpeg"), ("to_pdf", "tiff")]
    _add(world, app.id, UsedFileKind.FILE, ("scan.pdf", PDF))
    stored = world.application(app.id).used_files
    assert [(u.kind, u.pages) for u in stored] == [(UsedFileKind.IMAGES, 3), (UsedFileKind.FILE, 2)]
    _, data = world.platform.bus.handle(GetSealUsedFile(app.id, 2))
    assert data == PDF and stored[1].blob.size == len(PDF)
    with pytest.raises(NotFoundError):
        world.platform.bus.handle(GetSealUsedFile(app.id, 3))
    pointers = [r for _, r in InMemoryBlobReferences(world.platform.uow.db).blob_refs()]
    assert stored[0].blob in pointers and stored[1].blob in pointers  # storage verify keeps them


def test_refusals(world: SealWorld) -> None:
    app = world.apply()
    with pytest.raises(InvalidValue, match="notes.txt"):
        _add(world, app.id, UsedFileKind.IMAGES, ("a.png", b"png"), ("notes.txt", b"x"))
    with pytest.raises(InvalidValue, match="a.png"):
        _add(world, app.id, UsedFileKind.FILE, ("a.png", b"png"))
    with pytest.raises(InvalidValue, match="images is required"):
        _add(world, app.id, UsedFileKind.IMAGES)
    with pytest.raises(InvalidValue, match="empty"):
        _add(world, app.id, UsedFileKind.IMAGES, ("a.png", b""))
    with pytest.raises(NotFoundError):
        _add(world, 999, UsedFileKind.FILE, ("a.pdf", PDF))
    with pytest.raises(PermissionDenied):
        _add(world, app.id, UsedFileKind.FILE, ("a.pdf", PDF), tenant_id=world.org_id + 12345)
    pending = world.apply(approvers=("13600136000",))
    with pytest.raises(InvalidTransition):
        _add(world, pending.id, UsedFileKind.FILE, ("a.pdf", PDF))
    assert world.application(app.id).used_files == ()


def test_storage_down_leaves_the_application_unchanged(world: SealWorld) -> None:
    app = world.apply()
    world.platform.blobs.unavailable = True
    with pytest.raises(StorageError):
        _add(world, app.id, UsedFileKind.FILE, ("a.pdf", PDF))
    assert world.application(app.id).used_files == ()
