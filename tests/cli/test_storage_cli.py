"""`esign storage` against a real activated installation (SQLite, local and NAS directories)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from esign_adapters.bootstrap import Platform
from esign_adapters.settings import Settings
from esign_core.model.document import Document
from tests.cli.conftest import init_args


def _platform(data_dir: Path) -> Platform:
    return Platform.from_settings(Settings.load(data_dir))


def _add_documents(data_dir: Path, *contents: bytes) -> list[Document]:
    platform = _platform(data_dir)
    docs = []
    with platform.uow() as uow:
        for i, data in enumerate(contents):
            ref = platform.blob_store.put([data])
            doc = Document(id=platform.ids.next_id(), title=f"合同{i}.pdf", original=ref, current=ref, pages=1,
                           created_at=datetime.now(UTC))
            uow.documents.add(doc)
            docs.append(doc)
        uow.commit()
    return docs


def _activated(run, data_dir, licence_for) -> None:  # type: ignore[no-untyped-def]
    result = run(*init_args(data_dir, licence_for(data_dir)))
    assert result.exit_code == 0, result.output


def test_default_storage_is_local_under_the_data_dir_and_warned_as_testing_only(run, data_dir, licence_for):
    _activated(run, data_dir, licence_for)
    shown = run("--data-dir", str(data_dir), "storage", "show")
    assert shown.exit_code == 0
    assert json.loads(shown.stdout)["backend"] == "local"
    assert "for testing only" in shown.output
    tested = run("--data-dir", str(data_dir), "storage", "test")
    assert tested.exit_code == 0, tested.output
    for step in ("configuration", "write", "read back", "delete"):
        assert f"ok   {step}" in tested.output
    assert _platform(data_dir).blob_store.root == (data_dir / "files").resolve()


def test_storage_test_of_a_bad_configuration_reports_the_step_and_exits_1(run, data_dir, licence_for, tmp_path):
    _activated(run, data_dir, licence_for)
    result = run("--data-dir", str(data_dir), "storage", "test", "--backend", "nas",
                 "--set", f"mount_path={tmp_path / 'not-mounted'}")
    assert result.exit_code == 1
    assert "FAIL configuration" in result.output and "does not exist" in result.output
    unknown = run("--data-dir", str(data_dir), "storage", "test", "--backend", "tape")
    assert unknown.exit_code == 6 and "unknown storage backend 'tape'" in unknown.output


def test_generic_settings_command_cannot_switch_storage(run, data_dir, licence_for):
    _activated(run, data_dir, licence_for)
    result = run("--data-dir", str(data_dir), "settings", "set", "storage", "backend=nas")
    assert result.exit_code == 3
    assert "esign storage configure" in result.output
    assert _platform(data_dir).storage_settings().backend == "local"


def test_verify_reports_orphans_and_missing_files_and_repair_removes_orphans(run, data_dir, licence_for):
    _activated(run, data_dir, licence_for)
    docs = _add_documents(data_dir, b"%PDF-1.7 one", b"%PDF-1.7 two")
    clean = run("--data-dir", str(data_dir), "storage", "verify")
    assert clean.exit_code == 0, clean.output
    assert "2 referenced, 2 stored" in clean.output and "0 unresolved" in clean.output

    platform = _platform(data_dir)
    orphan = platform.blob_store.put([b"uploaded, then the process died before commit"])
    found = run("--data-dir", str(data_dir), "storage", "verify")
    assert found.exit_code == 1
    assert f"problem orphan {orphan.key}" in found.output and "--repair" in found.output

    repaired = run("--data-dir", str(data_dir), "storage", "verify", "--repair")
    assert repaired.exit_code == 0, repaired.output
    assert f"repaired orphan {orphan.key}" in repaired.output
    assert not platform.blob_store.exists(orphan)

    platform.blob_store.delete(docs[0].current)
    missing = run("--data-dir", str(data_dir), "storage", "verify", "--repair")
    assert missing.exit_code == 1
    assert f"problem missing {docs[0].current.key}" in missing.output
    assert f"documents {docs[0].id} current" in missing.output


def test_configure_refuses_a_backend_that_lacks_the_stored_files(run, data_dir, licence_for, tmp_path):
    _activated(run, data_dir, licence_for)
    _add_documents(data_dir, b"%PDF-1.7 kept")
    nas = tmp_path / "nas"
    nas.mkdir()
    result = run("--data-dir", str(data_dir), "storage", "configure", "nas", f"mount_path={nas}", "require_mount=false")
    assert result.exit_code == 1
    assert "FAIL existing files" in result.output and "migrate" in result.output
    assert _platform(data_dir).storage_settings().backend == "local"


def test_configure_saves_a_tested_backend_when_nothing_is_stored_yet(run, data_dir, licence_for, tmp_path):
    _activated(run, data_dir, licence_for)
    nas = tmp_path / "nas"
    nas.mkdir()
    result = run("--data-dir", str(data_dir), "storage", "configure", "nas", f"mount_path={nas}", "require_mount=false")
    assert result.exit_code == 0, result.output
    assert "ok   save" in result.output
    settings = _platform(data_dir).storage_settings()
    assert (settings.backend, settings.config["mount_path"]) == ("nas", str(nas))


def test_migrate_copies_every_file_verifies_and_switches(run, data_dir, licence_for, tmp_path):
    _activated(run, data_dir, licence_for)
    docs = _add_documents(data_dir, b"%PDF-1.7 a", b"%PDF-1.7 b", b"%PDF-1.7 c")
    nas = tmp_path / "nas"
    nas.mkdir()
    result = run("--data-dir", str(data_dir), "storage", "migrate", "--to", "nas", "--set", f"mount_path={nas}",
                 "--set", "require_mount=false")
    assert result.exit_code == 0, result.output
    assert "3 objects: 3 copied" in result.output and "switched" in result.output
    platform = _platform(data_dir)
    assert platform.storage_settings().backend == "nas"
    assert [platform.blob_store.read(d.current) for d in docs] == [b"%PDF-1.7 a", b"%PDF-1.7 b", b"%PDF-1.7 c"]
    assert not (data_dir / "storage-migrate.journal").exists()
    assert run("--data-dir", str(data_dir), "storage", "verify").exit_code == 0
