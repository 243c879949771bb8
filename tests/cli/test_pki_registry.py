"""`esign pki list` filters, `esign pki stats` and `esign pki ukey …` against a real activated
installation (SQLite, real CA)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import Result

from tests.cli.conftest import init_args

USCC = "91350100M000100Y43"
ID_NUMBER = "11010519491231002X"


@pytest.fixture
def pki(run: Callable[..., Result], data_dir: Path, licence_for: Callable[..., str]) -> Callable[..., Result]:
    """``esign --data-dir … pki ARGS`` on an activated installation."""
    assert run(*init_args(data_dir, licence_for(data_dir))).exit_code == 0
    return lambda *args: run("--data-dir", str(data_dir), "pki", *args)


def _day(base: str, delta_days: int = 0) -> str:
    return f"{date.fromisoformat(base) + timedelta(days=delta_days):%Y-%m-%d}"


def _rows(output: str) -> list[list[str]]:
    """The body rows of a rich table, as lists of cell texts."""
    return [[cell.strip() for cell in line.split("│")[1:-1]] for line in output.splitlines() if line.startswith("│")]


def _subjects(output: str) -> list[str]:
    return [row[2] for row in _rows(output)]


def test_certificate_list_filters_and_statistics(pki: Callable[..., Result]) -> None:
    for name, type_, code, days in [
        ("示例科技有限公司", "enterprise", USCC, 365),
        ("张三", "personal", ID_NUMBER, 30),
        ("张三", "personal", ID_NUMBER, 730),
    ]:
        issued = pki("issue", "--name", name, "--type", type_, "--code", code, "--days", str(days))
        assert issued.exit_code == 0, issued.output
    ca_name = _rows(issued.output)[0][4]
    everything = _rows(pki("list").output)
    start = min(row[5] for row in everything)  # the CA backdates a little: taken from the table
    short_end = next(row[6] for row in everything if row[6] < _day(start, 60))

    assert _subjects(pki("list").output) == ["示例科技有限公司", "张三", "张三"]
    assert _subjects(pki("list", "--type", "personal").output) == ["张三", "张三"]
    assert _subjects(pki("list", "--type", "enterprise", "--kind", "long_term").output) == ["示例科技有限公司"]
    assert len(_rows(pki("list", "--ca", ca_name).output)) == 3
    assert _rows(pki("list", "--ca", "CFCA").output) == []

    # validity: "after" days are included from 00:00 UTC, "before" days up to their end
    last_start = max(row[5] for row in everything)
    assert len(_rows(pki("list", "--from-after", start, "--from-before", last_start).output)) == 3
    assert _rows(pki("list", "--from-after", _day(last_start, 1)).output) == []
    assert _rows(pki("list", "--from-before", _day(start, -1)).output) == []
    assert len(_rows(pki("list", "--to-after", _day(start, 100), "--type", "personal").output)) == 1
    assert _subjects(pki("list", "--to-before", short_end).output) == ["张三"]
    assert _rows(pki("list", "--to-before", _day(short_end, -1)).output) == []
    between = pki("list", "--to-after", short_end, "--to-before", _day(start, 400))
    assert _subjects(between.output) == ["示例科技有限公司", "张三"]

    limited = pki("list", "--limit", "2")
    assert len(_rows(limited.output)) == 2 and "raise --limit" in limited.output
    assert "raise --limit" not in pki("list", "--limit", "3").output

    bad = pki("list", "--from-after", "2026-13-01")
    assert bad.exit_code == 2 and "--from-after" in bad.output

    stats = pki("stats")
    assert stats.exit_code == 0, stats.output
    assert _rows(stats.output) == [["张三", "PERSONAL", "2"], ["示例科技有限公司", "ENTERPRISE", "1"]]
    assert "total: 3 certificate(s) of 2 subject(s)" in stats.output
    assert _rows(pki("stats", "--type", "enterprise").output) == [["示例科技有限公司", "ENTERPRISE", "1"]]
    assert _rows(pki("stats", "--name", "张").output) == [["张三", "PERSONAL", "2"]]
    assert _rows(pki("stats", "--name", "李四").output) == []


def test_ukey_registry_commands(pki: Callable[..., Result]) -> None:
    added = pki("ukey", "add", "--serial", "0A:1B", "--holder", "张三", "--code", ID_NUMBER, "--device-no", "ft-1")
    assert added.exit_code == 0, added.output
    [row] = _rows(added.output)
    assert row[1:6] == ["FT-1", "a1b", "张三", "110*************2X", "ACTIVE"]
    assert ID_NUMBER not in added.output
    company = pki("ukey", "add", "--serial", "ff", "--holder", "示例科技", "--code", USCC, "--device-no", "EX-1")
    assert company.exit_code == 0, company.output

    duplicate = pki("ukey", "add", "--serial", "ee", "--holder", "李四", "--code", USCC, "--device-no", "FT-1")
    assert duplicate.exit_code == 3 and "device number" in duplicate.output
    bad_code = pki("ukey", "add", "--serial", "ee", "--holder", "李四", "--code", "123", "--device-no", "FT-2")
    assert bad_code.exit_code == 2 and "subject_code" in bad_code.output
    no_org = pki(
        "ukey", "add", "--serial", "ee", "--holder", "李四", "--code", USCC, "--device-no", "FT-3", "--org-id", "42"
    )
    assert no_org.exit_code == 4

    def devices(*filters: str) -> list[str]:
        listed = pki("ukey", "list", *filters)
        assert listed.exit_code == 0, listed.output
        return [r[1] for r in _rows(listed.output)]

    assert devices() == ["FT-1", "EX-1"]
    assert devices("--serial", "0a1b") == ["FT-1"]
    assert devices("--holder", "示例") == ["EX-1"]
    assert devices("--code", ID_NUMBER) == ["FT-1"]
    assert devices("--device-no", "ex-1") == ["EX-1"]
    assert devices("--status", "lost") == []
    assert devices("--limit", "1") == ["FT-1"]

    lost = pki("ukey", "status", "ft-1", "lost")
    assert lost.exit_code == 0, lost.output
    assert _rows(lost.output)[0][5] == "LOST"
    assert devices("--status", "lost") == ["FT-1"]
    assert pki("ukey", "status", "FT-1", "active").exit_code == 0
    revoked = pki("ukey", "status", "FT-1", "revoked", "--reason", "离职")
    assert revoked.exit_code == 0 and _rows(revoked.output)[0][5] == "REVOKED"
    again = pki("ukey", "status", "FT-1", "active")
    assert again.exit_code == 3 and "REVOKED" in again.output
    assert pki("ukey", "status", "NOPE-1", "lost").exit_code == 4
    assert pki("ukey", "status", "FT-1", "stolen").exit_code == 2
    assert devices("--status", "revoked") == ["FT-1"]
