"""``esign app create|list``: the AppSecret is printed once and never listed."""

from __future__ import annotations

from pathlib import Path

from tests.cli.conftest import init_args


def test_app_create_prints_token_and_secret_once(run, data_dir: Path, licence_for) -> None:  # type: ignore[no-untyped-def]
    assert run(*init_args(data_dir, licence_for(data_dir))).exit_code == 0
    created = run("--data-dir", str(data_dir), "app", "create", "ERP")
    assert created.exit_code == 0, created.output
    lines = dict(line.split(":", 1) for line in created.stdout.splitlines() if ":" in line)
    token, secret = lines["AppToken"].strip(), lines["AppSecret"].strip()
    assert len(token) == 32 and len(secret) == 64
    listed = run("--data-dir", str(data_dir), "app", "list")
    assert token in listed.output and secret not in listed.output and "ERP" in listed.output
