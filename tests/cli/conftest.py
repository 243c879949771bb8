from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from esign_adapters.licensing import generate_vendor_keys, issue_licence, product_code
from esign_cli.main import cli
from esign_core.model.installation import Quotas


@pytest.fixture(scope="session")
def vendor_keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return generate_vendor_keys(tmp_path_factory.mktemp("vendor"))


@pytest.fixture
def data_dir(tmp_path: Path, vendor_keys: tuple[Path, Path]) -> Path:
    d = tmp_path / "esign-data"
    d.mkdir()
    (d / "licence-vendor.pub").write_bytes(vendor_keys[1].read_bytes())
    return d


@pytest.fixture
def licence_for(vendor_keys: tuple[Path, Path]) -> Callable[..., str]:
    def make(data_dir: Path, *, days: int = 365, quotas: Quotas | None = None, code: str | None = None) -> str:
        now = datetime.now(UTC)
        return issue_licence(vendor_keys[0].read_bytes(), product_code=code or product_code(data_dir),
                             licensee="测试集团", expires_at=now + timedelta(days=days),
                             issued_at=now - timedelta(days=400), quotas=quotas or Quotas())
    return make


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    monkeypatch.delenv("ESIGN_DATA_DIR", raising=False)
    monkeypatch.delenv("ESIGN_DATABASE_URL", raising=False)
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None) -> Result:
        return runner.invoke(cli, list(args), input=input, catch_exceptions=False)
    return invoke


def init_args(data_dir: Path, licence: str, *extra: str) -> list[str]:
    return ["--data-dir", str(data_dir), "init", "--licence", licence, "--admin-username", "admin",
            "--admin-password", "Passw0rd2026", "--platform-name", "测试集团有限公司",
            "--platform-admin-name", "张三", "--platform-admin-mobile", "13812345678", *extra]
