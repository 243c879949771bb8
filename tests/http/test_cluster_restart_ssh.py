"""The restart over SSH (服务器认证配置 / 重启, manual 四.2.2) against a real OpenSSH server started
by the test on 127.0.0.1 (an ephemeral port, a temporary host key, authorized_keys for the current
user): key authentication only, the saved host key checked, the private key sealed at rest, the
action audited. Needs Debian's ``openssh-server`` (installed by .ci/run); outside CI the test is
skipped when sshd cannot be started here."""

from __future__ import annotations

import getpass
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from http_flows import activate, csrf_of, login

from esign_adapters.db import tables as t
from esign_adapters.db.cluster_nodes import SshTarget
from esign_adapters.ops.ssh_restart import make_target, restart
from esign_core.errors import InvalidValue, SshError
from esign_core.model.audit import AuditQuery
from esign_core.testing import XorSecretBox
from tests.conftest import service_unavailable

asyncssh = pytest.importorskip("asyncssh")
SSHD = shutil.which("sshd") or "/usr/sbin/sshd"
CLUSTER = "/console/services/cluster"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Sshd:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.user = getpass.getuser()
        host_key = asyncssh.generate_private_key("ssh-ed25519")
        (root / "host_key").write_bytes(host_key.export_private_key("openssh"))
        (root / "host_key").chmod(0o600)
        self.host_key_line = host_key.export_public_key("openssh").decode().strip()
        client = asyncssh.generate_private_key("ssh-ed25519")
        self.private_key = client.export_private_key("openssh").decode()
        (root / "authorized_keys").write_bytes(client.export_public_key("openssh"))
        (root / "authorized_keys").chmod(0o600)
        self.port = _free_port()
        (root / "sshd_config").write_text("\n".join([
            f"ListenAddress 127.0.0.1:{self.port}", f"HostKey {root / 'host_key'}",
            f"AuthorizedKeysFile {root / 'authorized_keys'}", f"PidFile {root / 'sshd.pid'}",
            "PasswordAuthentication no", "KbdInteractiveAuthentication no", "PubkeyAuthentication yes",
            "PermitRootLogin prohibit-password", "StrictModes no", "UsePAM no", "LogLevel VERBOSE", ""]))
        if os.geteuid() == 0:
            Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege-separation directory
        self.process = subprocess.Popen([SSHD, "-D", "-e", "-f", str(root / "sshd_config")],
                                        stdout=subprocess.DEVNULL, stderr=open(root / "sshd.log", "wb"))  # noqa: SIM115
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"sshd did not start: {(root / 'sshd.log').read_text(errors='replace')[-500:]}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()


@pytest.fixture
def sshd(tmp_path: Path) -> Iterator[Sshd]:
    if not Path(SSHD).exists():
        if os.environ.get("CI"):
            pytest.fail("sshd (Debian openssh-server) is missing; .ci/run installs it")
        service_unavailable("sshd (Debian openssh-server) is not installed")
    root = tmp_path / "sshd"
    root.mkdir()
    try:
        server = Sshd(root)
    except (RuntimeError, OSError) as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"sshd cannot be started here (not CI): {exc}")
    yield server
    server.stop()


def _target(sshd: Sshd, secrets: Any, command: str, *, host_key: str | None = None) -> SshTarget:
    return make_target(host="node-1", ssh_host="127.0.0.1", ssh_port=sshd.port, ssh_user=sshd.user,
                       private_key=sshd.private_key, host_key=host_key or sshd.host_key_line,
                       restart_command=command, secrets=secrets, at=datetime.now(UTC))


def test_the_restart_command_runs_over_ssh_with_the_key(sshd: Sshd, tmp_path: Path) -> None:
    secrets = XorSecretBox()
    marker = tmp_path / "restarted"
    target = _target(sshd, secrets, f"touch {marker} && echo restarted; exit 3")
    assert sshd.private_key not in repr(target)
    result = restart(target, secrets=secrets, timeout=15)
    assert marker.exists() and "restarted" in result.output and result.exit_status == 3 and not result.ok


def test_a_wrong_host_key_is_refused_before_anything_runs(sshd: Sshd, tmp_path: Path) -> None:
    secrets = XorSecretBox()
    other = asyncssh.generate_private_key("ssh-ed25519").export_public_key("openssh").decode()
    marker = tmp_path / "never"
    with pytest.raises(SshError):
        restart(_target(sshd, secrets, f"touch {marker}", host_key=other), secrets=secrets, timeout=15)
    assert not marker.exists()


def test_a_key_not_in_authorized_keys_is_refused(sshd: Sshd, tmp_path: Path) -> None:
    secrets = XorSecretBox()
    stranger = asyncssh.generate_private_key("ssh-ed25519").export_private_key("openssh").decode()
    target = make_target(host="node-1", ssh_host="127.0.0.1", ssh_port=sshd.port, ssh_user=sshd.user,
                         private_key=stranger, host_key=sshd.host_key_line, restart_command="true",
                         secrets=secrets, at=datetime.now(UTC))
    with pytest.raises(SshError):
        restart(target, secrets=secrets, timeout=15)


def test_malformed_keys_are_refused() -> None:
    with pytest.raises(InvalidValue):
        make_target(host="n", ssh_host="h", ssh_port=22, ssh_user="u", private_key="not a key", host_key="x",
                    restart_command="true", secrets=XorSecretBox(), at=datetime.now(UTC))


@pytest.fixture
def logged_in(client, platform, licence_for):  # type: ignore[no-untyped-def]
    if platform.engine is None:
        pytest.skip("the SSH targets are kept in the SQL database")
    activate(client, platform, licence_for(platform.product_code))
    assert login(client).status_code == 302
    return client


def test_console_restart_is_configured_sealed_and_audited(logged_in, platform, sshd: Sshd,  # type: ignore[no-untyped-def]
                                                          tmp_path: Path) -> None:
    host = socket.gethostname()  # this process's web node is on the page; its host gets the target
    marker = tmp_path / "console-restart"
    token = csrf_of(logged_in.get(CLUSTER).text.split('id="ssh-form"', 1)[1])
    r = logged_in.post(f"{CLUSTER}/ssh", data={"_csrf_token": token, "host": host, "ssh_host": "127.0.0.1",
                                               "ssh_port": str(sshd.port), "ssh_user": sshd.user,
                                               "private_key": sshd.private_key, "host_key": sshd.host_key_line,
                                               "restart_command": f"touch {marker} && echo ok"})
    assert r.status_code == 200 and "已保存" in r.text and sshd.private_key not in r.text
    with platform.engine.connect() as conn:
        stored = conn.execute(sa.select(t.cluster_ssh_targets.c.private_key_ref)).scalar_one()
    assert "PRIVATE KEY" not in stored and sshd.private_key.splitlines()[1] not in stored
    page = logged_in.get(CLUSTER)
    assert 'action="/console/services/cluster/restart"' in page.text  # this process's node offers 重启
    r = logged_in.post(f"{CLUSTER}/restart", data={"_csrf_token": token, "host": host})
    assert r.status_code == 200 and "重启命令已执行" in r.text and marker.exists()
    restarts = [e for e in platform.search_audit(AuditQuery()) if e.changes.get("restart")]
    assert restarts and restarts[0].changes["restart"][0] == host and "exit 0" in restarts[0].changes["restart"][1]
    saved = [e for e in platform.search_audit(AuditQuery()) if e.changes.get("ssh_target")]
    assert saved and "******" in saved[0].changes["ssh_target"][1]
