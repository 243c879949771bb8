"""``esign device``: the registry commands, and a fresh install running a complete physical-seal
application with ``esign device simulate`` and ``esign device connect`` as real processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from esign_adapters.bootstrap import Platform
from esign_adapters.settings import Settings
from esign_core.model.seal import SealKind
from esign_core.model.seal_apply import ApplyStatus, Person
from esign_core.services.seal_apply import ApplyForSeal, AuthSpec
from esign_core.services.seals import CreateSeal
from tests.cli.conftest import init_args


def _setup(run, data_dir: Path, licence_for) -> tuple[Platform, int, str]:  # type: ignore[no-untyped-def]
    assert run(*init_args(data_dir, licence_for(data_dir))).exit_code == 0
    platform = Platform.from_settings(Settings.load(data_dir))
    with platform.uow() as uow:
        org = uow.organizations.platform()
        assert org is not None
    seal_id = platform.handle(CreateSeal(org.id, SealKind.COMPANY, name="合同专用章"))
    return platform, seal_id, org.name


def test_device_add_bind_list_disable(run, data_dir: Path, licence_for) -> None:  # type: ignore[no-untyped-def]
    _platform, seal_id, _ = _setup(run, data_dir, licence_for)
    d = ["--data-dir", str(data_dir), "device"]
    assert run(*d, "add", "SC-0001", "--name", "前台").exit_code == 0
    assert run(*d, "add", "LK-0001", "--kind", "lock", "--seal", str(seal_id)).exit_code == 0
    assert run(*d, "bind", "SC-0001", str(seal_id)).exit_code == 0
    assert run(*d, "disable", "LK-0001").exit_code == 0
    listed = {r["device_no"]: r for r in json.loads(run(*d, "list", "--json").stdout)}
    assert listed["SC-0001"]["seal_id"] == str(seal_id) and listed["SC-0001"]["status"] == "OFFLINE"
    assert listed["LK-0001"]["kind"] == "LOCK" and listed["LK-0001"]["status"] == "DISABLED"
    assert run(*d, "bind", "SC-0001", "--unbind").exit_code == 0
    assert json.loads(run(*d, "list", "--json").stdout)[0]["seal_id"] is None
    dup = run(*d, "add", "SC-0001")
    assert dup.exit_code != 0 and "already" in dup.output


def _wait(predicate, what: str, limit: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + limit
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def test_fresh_install_runs_an_application_with_the_simulator_and_the_connector(
        run, data_dir: Path, licence_for, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    platform, seal_id, org_name = _setup(run, data_dir, licence_for)
    d = ["--data-dir", str(data_dir), "device"]
    assert run(*d, "add", "SC-0001", "--seal", str(seal_id)).exit_code == 0
    link = tmp_path / "ttySEAL"
    esign = [str(Path(sys.executable).parent / "esign")]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    sim = subprocess.Popen([*esign, "device", "simulate", "--port", str(link)], stdin=subprocess.PIPE,
                           stdout=subprocess.PIPE, text=True, env=env)
    connect = None
    try:
        assert sim.stdout is not None and sim.stdin is not None
        assert "simulating SC-0001" in sim.stdout.readline()
        sim.stdout.readline()  # the command help (two lines)
        sim.stdout.readline()

        def ask(command: str) -> str:
            sim.stdin.write(command + "\n")  # type: ignore[union-attr]
            sim.stdin.flush()  # type: ignore[union-attr]
            return sim.stdout.readline().strip()  # type: ignore[union-attr]

        connect = subprocess.Popen([*esign, "--data-dir", str(data_dir), "device", "connect", "--port", str(link),
                                    "--device-no", "SC-0001", "--poll", "0.1"], env=env, stderr=subprocess.PIPE)
        app = platform.handle(ApplyForSeal(tenant_name=org_name, subject="演示用印",
                                           applicant=Person("王五", "13700137000"),
                                           auths=(AuthSpec(count=3, users=(Person("李四", "13900139000"),),
                                                           device_no="SC-0001"),)))

        def device_status() -> str:
            return json.loads(run(*d, "list", "--json").stdout)[0]["status"]

        _wait(lambda: device_status() == "ONLINE", "the connector to identify the device")
        assert ask(f"code {app.auths[0].code}") == "code sent"
        _wait(lambda: ask("status").startswith("remaining=3"), "the unlock to reach the device")
        assert [ask("press") for _ in range(3)] == ["stamped"] * 3
        assert ask("press").startswith("locked")

        def status() -> ApplyStatus:
            with platform.uow() as uow:
                return uow.seal_applications.get(app.id).status
        _wait(lambda: status() is ApplyStatus.COMPLETE, "three stamps to complete the application")
        with platform.uow() as uow:
            auth = uow.seal_applications.get(app.id).auths[0]
        assert auth.used_count == 3 and len(auth.photos) == 3
    finally:
        if connect is not None:
            connect.terminate()
            connect.wait(timeout=10)
        if sim.stdin:
            sim.stdin.write("quit\n")
            sim.stdin.close()
        sim.wait(timeout=10)
