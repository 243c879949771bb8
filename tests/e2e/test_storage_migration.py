"""Issue 5's acceptance: 200 MB of contract files migrated from local storage to S3 (a real moto
server) by `esign storage migrate`, the process killed with SIGKILL half-way, resumed, verified, and
the platform switched only at the end."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from esign_adapters.bootstrap import Platform
from esign_adapters.settings import Settings
from esign_core.model.document import Document
from tests.storage.s3_server import MotoServer

BIN = Path(sys.executable).parent
ESIGN = str(BIN / "esign") if (BIN / "esign").exists() else (shutil.which("esign") or "esign")
OBJECTS, SIZE = 20, 10 * 1024 * 1024  # 200 MB in all


def _esign(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([ESIGN, *args], env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture
def installation(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    from esign_adapters.licensing import generate_vendor_keys, issue_licence, product_code
    from esign_core.model.installation import Quotas
    from tests.cli.conftest import init_args  # the CLI tests' activation arguments

    data_dir = tmp_path / "esign-data"
    data_dir.mkdir()
    priv, pub = generate_vendor_keys(tmp_path / "vendor")
    shutil.copy(pub, data_dir / "licence-vendor.pub")
    code = issue_licence(priv.read_bytes(), product_code=product_code(data_dir), licensee="x",
                         expires_at=datetime(2099, 1, 1, tzinfo=UTC), quotas=Quotas())
    env = {**os.environ, "ESIGN_DATA_DIR": str(data_dir)}
    done = _esign(env, *init_args(data_dir, code)[2:])
    assert done.returncode == 0, done.stdout + done.stderr
    return data_dir, env


def _store_documents(data_dir: Path) -> list[Document]:
    platform = Platform.from_settings(Settings.load(data_dir))
    docs = []
    with platform.uow() as uow:
        for i in range(OBJECTS):
            seed = os.urandom(64)
            ref = platform.blob_store.put(seed * (SIZE // 64) for _ in range(1))
            doc = Document(id=platform.ids.next_id(), title=f"合同{i}.pdf", original=ref, current=ref, pages=1,
                           created_at=datetime.now(UTC))
            uow.documents.add(doc)
            docs.append(doc)
        uow.commit()
    return docs


def test_migration_to_s3_killed_half_way_resumes_verifies_and_switches(installation) -> None:
    data_dir, env = installation
    docs = _store_documents(data_dir)
    journal = data_dir / "storage-migrate.journal"
    with MotoServer() as moto:
        import boto3

        boto3.client("s3", endpoint_url=moto.endpoint_url, region_name="us-east-1", aws_access_key_id="k",
                     aws_secret_access_key="s").create_bucket(Bucket="contracts")
        target = ["--to", "s3", "--set", "bucket=contracts", "--set", f"endpoint_url={moto.endpoint_url}",
                  "--set", "access_key=k", "--set", "secret_key=s"]
        proc = subprocess.Popen([ESIGN, "storage", "migrate", *target], env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and proc.poll() is None:
            if journal.exists() and len(journal.read_text().splitlines()) > OBJECTS // 2:
                break
            time.sleep(0.05)
        assert proc.poll() is None, "the migration finished before it could be killed: " + proc.stdout.read().decode()
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        copied_before = len(journal.read_text().splitlines()) - 1
        assert 0 < copied_before < OBJECTS
        platform = Platform.from_settings(Settings.load(data_dir))
        assert platform.storage_settings().backend == "local", "switched before every object was verified"

        resumed = _esign(env, "storage", "migrate", *target)
        assert resumed.returncode == 0, resumed.stdout + resumed.stderr
        assert f"{OBJECTS - copied_before} copied" in resumed.stdout, resumed.stdout
        assert "switched" in resumed.stdout

        platform = Platform.from_settings(Settings.load(data_dir))
        assert platform.storage_settings().backend == "s3"
        verified = _esign(env, "storage", "verify")
        assert verified.returncode == 0, verified.stdout + verified.stderr
        for doc in docs[:3]:
            assert len(platform.blob_store.read(doc.current)) == SIZE
