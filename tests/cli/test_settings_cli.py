"""`esign settings get|set|audit` for the console's settings."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.conftest import init_args


def _installed(run, data_dir: Path, licence_for) -> Path:  # type: ignore[no-untyped-def]
    result = run(*init_args(data_dir, licence_for(data_dir)))
    assert result.exit_code == 0, result.output
    return data_dir


def test_set_validates_stores_and_audits(run, data_dir: Path, licence_for) -> None:  # type: ignore[no-untyped-def]
    d = _installed(run, data_dir, licence_for)
    ok = run("--data-dir", str(d), "settings", "set", "password", "strength=VERY_STRONG", "lockout_threshold=4",
             "signing_rotation_enabled=true", "signing_rotation_days=30")
    assert ok.exit_code == 0, ok.output
    shown = json.loads(run("--data-dir", str(d), "settings", "get", "password").output)
    assert shown["strength"] == "VERY_STRONG" and shown["lockout_threshold"] == 4
    assert shown["signing_rotation_days"] == 30
    bad = run("--data-dir", str(d), "settings", "set", "app", "ios_url=ftp://x")
    assert bad.exit_code != 0 and "ios_url" in bad.output
    refused = run("--data-dir", str(d), "settings", "set", "brand_images", "nav_logo=abc")
    assert refused.exit_code != 0
    audit = run("--data-dir", str(d), "settings", "audit", "--section", "password").output
    assert "cli:" in audit and "strength: NORMAL -> VERY_STRONG" in audit
    assert run("--data-dir", str(d), "settings", "audit", "--section", "app").output == ""
