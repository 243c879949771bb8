"""Batch-import jobs of the console: the upload is saved under the data directory and imported in
a background thread; its progress, summary and error workbook are files next to it, so any worker
process of the same node can answer the progress polls."""

from __future__ import annotations

import json
import secrets
import threading
from pathlib import Path
from typing import Any

from esign_adapters.directory_io import run_import
from esign_core.errors import EsignError
from esign_core.model.import_rows import ImportKind

_JOB_ID_CHARS = set("0123456789abcdef")


def jobs_dir(platform: Any) -> Path:
    path = Path(platform.settings.data_dir) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _job_path(platform: Any, job_id: str) -> Path | None:
    if len(job_id) != 32 or not set(job_id) <= _JOB_ID_CHARS:
        return None
    return jobs_dir(platform) / job_id


def _write_state(folder: Path, state: dict[str, Any]) -> None:
    tmp = folder / "state.json.tmp"
    tmp.write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")
    tmp.replace(folder / "state.json")


def start_job(platform: Any, kind: ImportKind, upload: bytes, *, atomic: bool) -> str:
    """Save the upload and import it in a thread; returns the job id."""
    job_id = secrets.token_hex(16)
    folder = jobs_dir(platform) / job_id
    folder.mkdir()
    (folder / "upload").write_bytes(upload)
    _write_state(folder, {"kind": kind.value, "status": "running", "done": 0, "total": None})
    thread = threading.Thread(target=_run, args=(platform, kind, folder, atomic), name=f"import-{job_id[:8]}",
                              daemon=True)
    thread.start()
    return job_id


def _run(platform: Any, kind: ImportKind, folder: Path, atomic: bool) -> None:
    def progress(done: int, total: int | None) -> None:
        _write_state(folder, {"kind": kind.value, "status": "running", "done": done, "total": total})

    try:
        outcome = run_import(platform, kind, folder / "upload", atomic=atomic, progress=progress)
    except EsignError as exc:
        _write_state(folder, {"kind": kind.value, "status": "failed", "error": exc.message})
        return
    except Exception:  # noqa: BLE001 - the job page must say it failed, not spin forever
        _write_state(folder, {"kind": kind.value, "status": "failed", "error": "internal error"})
        raise
    r = outcome.report
    if outcome.error_workbook is not None:
        (folder / "errors.xlsx").write_bytes(outcome.error_workbook)
    (folder / "upload").unlink(missing_ok=True)
    _write_state(folder, {"kind": kind.value, "status": "done", "done": r.rows, "total": r.rows,
                          "created": r.created, "updated": r.updated, "skipped": r.skipped, "rejected": r.rejected,
                          "applied": r.applied, "has_errors": outcome.error_workbook is not None})


def job_state(platform: Any, job_id: str) -> dict[str, Any] | None:
    folder = _job_path(platform, job_id)
    if folder is None or not (folder / "state.json").is_file():
        return None
    state: dict[str, Any] = json.loads((folder / "state.json").read_text(encoding="utf-8"))
    return state


def job_errors(platform: Any, job_id: str) -> bytes | None:
    folder = _job_path(platform, job_id)
    if folder is None or not (folder / "errors.xlsx").is_file():
        return None
    return (folder / "errors.xlsx").read_bytes()
