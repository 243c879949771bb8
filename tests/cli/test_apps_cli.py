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


def _secret_of(output: str) -> tuple[str, str, str]:
    lines = dict(line.split(":", 1) for line in output.splitlines() if ":" in line)
    return lines["app id"].strip(), lines["AppToken"].strip(), lines["AppSecret"].strip()


def test_app_reset_set_show_enable_disable(run, data_dir: Path, licence_for) -> None:  # type: ignore[no-untyped-def]
    assert run(*init_args(data_dir, licence_for(data_dir))).exit_code == 0
    base = ("--data-dir", str(data_dir), "app")
    too_long = run(*base, "create", "x" * 31)
    assert too_long.exit_code != 0 and "30" in too_long.output
    app_id, token, secret = _secret_of(run(*base, "create", "OA").stdout)

    reset = run(*base, "reset-secret", app_id)
    assert reset.exit_code == 0, reset.output
    _, same_token, new_secret = _secret_of(reset.stdout)
    assert same_token == token and new_secret != secret and len(new_secret) == 64

    changed = run(*base, "set", app_id, "--schemes", "hmac", "--allow", "10.0.0.0/8,2001:db8::1", "--deny",
                  "10.9.9.9", "--sso", "--personal-auth-url", "https://oa.example.com/p")
    assert changed.exit_code == 0, changed.output
    bad = run(*base, "set", app_id, "--allow", "10.0.0.300")
    assert bad.exit_code != 0 and "10.0.0.300" in bad.output
    assert run(*base, "disable", app_id).exit_code == 0
    shown = run(*base, "show", app_id).output
    assert "disabled" in shown and "hmac" in shown and "qys" not in shown.split("schemes:", 1)[1].splitlines()[0]
    assert "10.0.0.0/8, 2001:db8::1/128" in shown and "10.9.9.9/32" in shown and "single sign-on:  on" in shown
    assert new_secret not in shown and secret not in shown
    assert run(*base, "enable", app_id).exit_code == 0
    assert "enabled" in run(*base, "list").output
