"""Figures next to their raw baselines, measured in the same run (reusing benchmarks/):
signing engine in process (signatures/s, one core), openpyxl's own iteration (import rows/s),
raw file writes/reads (storage MB/s)."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any


def engine_baseline(site: Any, seconds: float) -> dict[str, float]:
    """Signatures/s of the signing engine in this process (event certificate + PAdES B-T with a
    visible seal, per signature), and its per-signature time."""
    from benchmarks.bench_contracts_http import contract_pdf, engine_contracts_per_minute

    per_minute = engine_contracts_per_minute(site.platform(), contract_pdf(), seconds=seconds)
    sig_per_s = per_minute * 2 / 60
    return {"signatures_per_second": sig_per_s, "ms_per_signature": 1000 / sig_per_s}


def import_figures(rows: int) -> dict[str, float]:
    import os

    os.environ["ESIGN_BENCH_IMPORT_ROWS"] = str(rows)
    from benchmarks import bench_import

    bench_import.ROWS = rows
    with tempfile.TemporaryDirectory(prefix="esign-campaign-import-") as tmp:
        path = Path(tmp) / "members.xlsx"
        bench_import.make_file(path, rows)
        raw = bench_import._child("--child-raw", str(path), env={"ESIGN_BENCH_IMPORT_ROWS": str(rows)})
        data_dir = Path(tmp) / "data"
        bench_import._initialise(data_dir, {})
        ours = bench_import._child("--child-import", str(path), str(data_dir),
                                   env={"ESIGN_BENCH_IMPORT_ROWS": str(rows)})
    return {"rows": rows, "rows_per_second": ours["rows"] / ours["seconds"],
            "raw_rows_per_second": raw["rows"] / raw["seconds"], "peak_rss_mb": ours["peak_mb"]}


def storage_figures(size_mb: int, reps: int) -> dict[str, float]:
    from benchmarks.bench_storage import MB, _local, measure

    with tempfile.TemporaryDirectory(prefix="esign-campaign-storage-") as tmp:
        store, raw = _local(Path(tmp))
        t = measure(store, raw, size_mb * MB, reps)
    return {"object_mb": size_mb, "put_mb_s": size_mb / t["put"], "raw_put_mb_s": size_mb / t["raw_put"],
            "get_mb_s": size_mb / t["get"], "raw_get_mb_s": size_mb / t["raw_get"]}


def now() -> float:
    return time.perf_counter()
