"""Batch import of 100,000 members from an .xlsx (组织成员数据模板): rows/s and peak RSS of
``esign_adapters.directory_io.run_import`` (safety checks, streaming read, validation, duplicate
checks, bulk writes in one transaction), as a ratio to openpyxl's own read-only iteration over
the same file in the same run (targets: <= 3x its time, peak RSS < 300 MB).

Each side runs in a fresh subprocess, so ``ru_maxrss`` is that side's own peak. SQLite always;
PostgreSQL too when ``ESIGN_BENCH_POSTGRES_URL`` names a database this benchmark may wipe.
``ESIGN_BENCH_IMPORT_ROWS`` changes the row count."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROWS = int(os.environ.get("ESIGN_BENCH_IMPORT_ROWS", "100000"))
PLATFORM = "基准测试集团有限公司"


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def make_file(path: Path, rows: int) -> None:
    from openpyxl import Workbook

    from esign_core.model.import_rows import SPECS, ImportKind

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("成员")
    ws.append(SPECS[ImportKind.MEMBERS].headers)
    for i in range(rows):
        ws.append([f"员工{i}", f"13{i:09d}", f"user{i}@example.com" if i % 3 == 0 else None, None, f"E{i:06d}",
                   PLATFORM])
    wb.save(path)


def child_raw(path: Path) -> dict[str, float]:
    import openpyxl

    start = time.perf_counter()
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    n = sum(1 for _ in wb.worksheets[0].iter_rows(values_only=True))
    wb.close()
    return {"seconds": time.perf_counter() - start, "rows": n - 1, "peak_mb": _peak_mb()}


def child_import(path: Path, data_dir: Path) -> dict[str, float]:
    from esign_adapters.bootstrap import Platform
    from esign_adapters.directory_io import run_import
    from esign_adapters.settings import Settings
    from esign_core.model.import_rows import ImportKind

    platform = Platform.from_settings(Settings.load(data_dir))
    start = time.perf_counter()
    outcome = run_import(platform, ImportKind.MEMBERS, path)
    seconds = time.perf_counter() - start
    r = outcome.report
    assert r.applied and r.created == ROWS and r.rejected == 0, (r.created, r.rejected, list(r.rejections.items())[:3])
    return {"seconds": seconds, "rows": r.created, "peak_mb": _peak_mb()}


def _child(*args: str, env: dict[str, str] | None = None) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-m", "benchmarks.bench_import", *args], check=True, capture_output=True,
                         text=True, env={**os.environ, **(env or {})})
    return json.loads(out.stdout.strip().splitlines()[-1])


def _initialise(data_dir: Path, env: dict[str, str]) -> None:
    from esign_adapters.bootstrap import Platform
    from esign_adapters.licensing import generate_vendor_keys, issue_licence, product_code
    from esign_adapters.settings import Settings
    from esign_core.model.installation import Quotas
    from esign_core.services.commands import InitializePlatform

    keys = generate_vendor_keys(data_dir / "vendor")
    data_dir.mkdir(exist_ok=True)
    (data_dir / "licence-vendor.pub").write_bytes(keys[1].read_bytes())
    code = product_code(data_dir)
    now = datetime.now(UTC)
    licence = issue_licence(keys[0].read_bytes(), product_code=code, licensee="基准",
                            expires_at=now + timedelta(days=30), issued_at=now - timedelta(days=1), quotas=Quotas())
    platform = Platform.from_settings(Settings.load(data_dir, env={**os.environ, **env}))
    platform.initialize(InitializePlatform(product_code=code, licence_code=licence, admin_username="admin",
                                           admin_password="Passw0rd2026", platform_name=PLATFORM,
                                           platform_admin_name="管理员", platform_admin_mobile="19900000000"))


def _wipe(url: str) -> None:
    import sqlalchemy as sa

    from esign_adapters.db.engine import make_engine

    engine = make_engine(url)
    with engine.begin() as conn:
        meta = sa.MetaData()
        meta.reflect(conn)
        meta.drop_all(conn)
    engine.dispose()


def run() -> None:
    with tempfile.TemporaryDirectory(prefix="esign-bench-import-") as tmp:
        path = Path(tmp) / "members.xlsx"
        make_file(path, ROWS)
        size_mb = path.stat().st_size / 1024 / 1024
        raw = _child("--child-raw", str(path))
        print(f"file: {ROWS} members, {size_mb:.1f} MB; openpyxl read-only iteration: {raw['seconds']:.2f} s "
              f"({raw['rows'] / raw['seconds']:,.0f} rows/s), peak RSS {raw['peak_mb']:.0f} MB")
        backends = [("sqlite", {})]
        if os.environ.get("ESIGN_BENCH_POSTGRES_URL"):
            backends.append(("postgresql", {"ESIGN_DATABASE_URL": os.environ["ESIGN_BENCH_POSTGRES_URL"]}))
        for name, env in backends:
            data_dir = Path(tmp) / f"data-{name}"
            if env:
                _wipe(env["ESIGN_DATABASE_URL"])
            _initialise(data_dir, env)
            ours = _child("--child-import", str(path), str(data_dir), env=env)
            ratio = ours["seconds"] / raw["seconds"]
            print(f"import ({name}): {ours['seconds']:.2f} s, {ours['rows'] / ours['seconds']:,.0f} rows/s, "
                  f"peak RSS {ours['peak_mb']:.0f} MB; time ratio to openpyxl = {ratio:.2f}x "
                  f"(target <= 3x: {'met' if ratio <= 3 else 'NOT met'}; RSS < 300 MB: "
                  f"{'met' if ours['peak_mb'] < 300 else 'NOT met'})")


if __name__ == "__main__":
    if sys.argv[1] == "--child-raw":
        print(json.dumps(child_raw(Path(sys.argv[2]))))
    elif sys.argv[1] == "--child-import":
        print(json.dumps(child_import(Path(sys.argv[2]), Path(sys.argv[3]))))
