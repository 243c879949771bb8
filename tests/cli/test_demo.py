"""``esign demo`` activates a new data directory with a demo licence and leaves contracts in every
end state, each signature real and the evidence chain intact; a second run adds, never breaks."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

from click.testing import Result

import esign


def test_demo_fills_a_fresh_installation(tmp_path: Path, run: Callable[..., Result]) -> None:
    data_dir = tmp_path / "fresh"
    first = run("--data-dir", str(data_dir), "demo", "--contracts", "8", "--admin-password", "Demo-2026-pass")
    assert first.exit_code == 0, first.output
    assert "admin / Demo-2026-pass" in first.output
    second = run("--data-dir", str(data_dir), "demo", "--contracts", "6")
    assert second.exit_code == 0, second.output
    assert "activated" not in second.output

    with esign.open_platform(data_dir) as platform:
        completed = platform.contract(biz_id=_first_completed_biz_id(data_dir))
        assert completed.contract.status is esign.ContractStatus.COMPLETE
        (file,) = platform.download_contract(completed.contract.id)
        report = platform.verify_pdf(file.pdf)
        assert report.indication is esign.Indication.TOTAL_PASSED and len(report.signatures) == 2
    statuses = _statuses(data_dir)
    assert statuses["COMPLETE"] == 6 and statuses["SIGNING"] == 2
    assert statuses["REJECTED"] == 2 and statuses["RECALLED"] == 2 and statuses["EXPIRED"] == 1
    assert statuses["TERMINATED"] == 1 and sum(statuses.values()) == 14
    verify = run("--data-dir", str(data_dir), "evidence", "verify")
    assert verify.exit_code == 0, verify.output


def _statuses(data_dir: Path) -> Counter[str]:
    import sqlite3

    with sqlite3.connect(data_dir / "esign.db") as db:
        return Counter(row[0] for row in db.execute("SELECT status FROM contracts"))


def _first_completed_biz_id(data_dir: Path) -> str:
    import sqlite3

    with sqlite3.connect(data_dir / "esign.db") as db:
        (biz,) = db.execute("SELECT biz_id FROM contracts WHERE status = 'COMPLETE' ORDER BY id LIMIT 1").fetchone()
    return str(biz)
