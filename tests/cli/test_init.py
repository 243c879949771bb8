"""`esign init` and the licence commands, end to end on SQLite (and PostgreSQL for the DB step)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from esign_adapters.bootstrap import Platform
from esign_adapters.licensing import generate_vendor_keys, issue_licence, product_code
from esign_adapters.settings import Settings
from esign_core.errors import AuthenticationFailed
from esign_core.model.installation import Quotas
from esign_core.services.commands import LoginAdmin
from tests.cli.conftest import init_args


def _platform(data_dir: Path) -> Platform:
    return Platform.from_settings(Settings.load(data_dir))


def _installed(data_dir: Path) -> bool:
    p = _platform(data_dir)
    return p.schema_ready() and p.is_initialized()


def test_help_lists_command_groups(run):
    out = run("--help").output
    for group in ("serve", "init", "db", "doctor", "version", "license", "settings"):
        assert group in out


def test_version_prints_package_version(run):
    assert run("version").output.startswith("esign 0.")


def test_init_with_flags_lets_the_admin_log_in_and_refuses_a_wrong_password(run, data_dir, licence_for):
    result = run(*init_args(data_dir, licence_for(data_dir)))
    assert result.exit_code == 0, result.output
    assert product_code(data_dir) in result.output
    platform = _platform(data_dir)
    assert platform.handle(LoginAdmin("admin", "Passw0rd2026")) > 0
    with pytest.raises(AuthenticationFailed):
        platform.handle(LoginAdmin("admin", "wrong-password-1"))


def test_second_init_is_refused_clearly(run, data_dir, licence_for):
    assert run(*init_args(data_dir, licence_for(data_dir))).exit_code == 0
    again = run(*init_args(data_dir, licence_for(data_dir)))
    assert again.exit_code == 3
    assert "already initialised" in again.output


def test_licence_signed_by_another_key_is_refused_and_nothing_is_written(run, data_dir, tmp_path):
    other_priv, _ = generate_vendor_keys(tmp_path / "other")
    forged = issue_licence(other_priv.read_bytes(), product_code=product_code(data_dir), licensee="x",
                           expires_at=datetime.now(UTC) + timedelta(days=30), quotas=Quotas())
    result = run(*init_args(data_dir, forged))
    assert result.exit_code != 0
    assert "not signed by the vendor key" in result.output
    assert not _installed(data_dir)


def test_licence_for_another_product_code_is_refused(run, data_dir, licence_for):
    result = run(*init_args(data_dir, licence_for(data_dir, code="AAAA-BBBB-CCCC-DDDD-EEEE")))
    assert result.exit_code != 0
    assert "another product identification code" in result.output
    assert not _installed(data_dir)


def test_expired_licence_is_refused(run, data_dir, licence_for):
    result = run(*init_args(data_dir, licence_for(data_dir, days=-1)))
    assert result.exit_code != 0
    assert "expired" in result.output
    assert not _installed(data_dir)


def test_licence_without_internal_user_quota_is_refused(run, data_dir, licence_for):
    result = run(*init_args(data_dir, licence_for(data_dir, quotas=Quotas(internal_users=0))))
    assert result.exit_code != 0
    assert "quota" in result.output
    assert not _installed(data_dir)


def test_garbage_licence_code_is_refused(run, data_dir):
    result = run(*init_args(data_dir, "not-a-licence"))
    assert result.exit_code != 0
    assert "not a licence code" in result.output


def test_bad_mobile_is_refused_with_the_field_named(run, data_dir, licence_for):
    args = init_args(data_dir, licence_for(data_dir))
    args[args.index("13812345678")] = "12345"
    result = run(*args)
    assert result.exit_code == 2
    assert "[mobile]" in result.output
    assert not _installed(data_dir)


def test_wrong_database_credentials_are_refused_and_config_is_untouched(run, data_dir, licence_for):
    result = run(*init_args(data_dir, licence_for(data_dir), "--db-type", "postgresql", "--db-host", "127.0.0.1",
                            "--db-port", "1", "--db-user", "nobody", "--db-password", "secret-pw"))
    assert result.exit_code == 6
    assert "secret-pw" not in result.output
    assert not (data_dir / "esign.toml").exists()


def test_licence_show_reports_quotas_after_init(run, data_dir, licence_for):
    run(*init_args(data_dir, licence_for(data_dir, quotas=Quotas(internal_enterprises=5))))
    out = run("--data-dir", str(data_dir), "license", "show").output
    assert "internal_enterprises: 1 / 5" in out
    assert "internal_users: 1 / unlimited" in out


def test_license_issue_and_keygen_commands_make_a_verifiable_code(run, tmp_path, data_dir):
    assert run("license", "keygen", "--out", str(tmp_path / "k")).exit_code == 0
    again = run("license", "keygen", "--out", str(tmp_path / "k"))
    assert again.exit_code != 0 and "refusing to overwrite" in again.output
    code = run("license", "issue", "--key", str(tmp_path / "k" / "vendor-private.pem"), "--product-code",
               product_code(data_dir), "--licensee", "客户", "--days", "30", "--internal-users", "9").output.strip()
    (data_dir / "licence-vendor.pub").write_bytes((tmp_path / "k" / "vendor-public.pem").read_bytes())
    lic = _platform(data_dir).licences.verify(code)
    assert lic.quotas.internal_users == 9
    assert lic.product_code == product_code(data_dir)


def test_settings_set_validates_and_persists(run, data_dir, licence_for):
    run(*init_args(data_dir, licence_for(data_dir)))
    ok = run("--data-dir", str(data_dir), "settings", "set", "signing", "validity_days=15")
    assert ok.exit_code == 0, ok.output
    assert '"validity_days": 15' in run("--data-dir", str(data_dir), "settings", "get", "signing").output
    bad = run("--data-dir", str(data_dir), "settings", "set", "signing", "validity_days=0")
    assert bad.exit_code == 2 and "validity_days" in bad.output
    unknown = run("--data-dir", str(data_dir), "settings", "set", "signing", "colour=red")
    assert unknown.exit_code == 2 and "unknown setting" in unknown.output


def test_doctor_passes_after_init_and_fails_on_an_unreachable_database(run, data_dir, licence_for, monkeypatch):
    run(*init_args(data_dir, licence_for(data_dir)))
    ok = run("--data-dir", str(data_dir), "doctor")
    assert ok.exit_code == 0, ok.output
    monkeypatch.setenv("ESIGN_DATABASE_URL", "postgresql+psycopg://nobody:pw@127.0.0.1:1/none")
    bad = run("--data-dir", str(data_dir), "doctor")
    assert bad.exit_code == 1
    assert "FAIL" in bad.output and "pw@" not in bad.output


def test_db_upgrade_is_repeatable(run, data_dir):
    for _ in range(2):
        result = run("--data-dir", str(data_dir), "db", "upgrade")
        assert result.exit_code == 0, result.output
        assert "revision" in result.output


def test_product_code_is_stable_and_differs_per_installation(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    assert product_code(a) == product_code(a)
    assert product_code(a) != product_code(b)
    assert Settings.load(a).data_dir == a.resolve()
