"""``esign plugins list [--check]`` and the example storage plugin driven through ``esign storage``
once pip-installed: listed with its distribution, checked, configured and used."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from click.testing import Result

from tests.cli.conftest import init_args
from tests.plugin_packages import activate_storage_example

BIN = Path(sys.executable).parent


def _esign(*args: str, pythonpath: list[Path]) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(str(p) for p in pythonpath), "COLUMNS": "200"}
    return subprocess.run([str(BIN / "esign"), *args], capture_output=True, text=True, env=env, timeout=120)


def test_list_shows_every_builtin_group_without_importing(run: Callable[..., Result]) -> None:
    result = run("plugins", "list", "--json")
    rows = {(p["group"], p["name"]): p for p in json.loads(result.output)}
    assert {"esign.storage", "esign.db", "esign.web"} <= {g for g, _ in rows}
    s3 = rows[("esign.storage", "s3")]
    assert (s3["distribution"], s3["status"], s3["hint"]) == ("esign", "unchecked", "pip install 'esign[s3]'")
    assert rows[("esign.db", "postgresql")]["hint"] == "pip install 'esign[postgres]'"


def test_pip_installed_storage_plugin_is_listed_and_checks_ok() -> None:
    site = activate_storage_example()
    proc = _esign("plugins", "list", "--check", "--group", "esign.storage", pythonpath=[site])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    line = next(line for line in proc.stdout.splitlines() if " sqlite " in line)
    assert "esign-storage-example 1.0.0" in line and " ok " in line
    listed = json.loads(_esign("plugins", "list", "--json", pythonpath=[site]).stdout)
    assert {"group": "esign.storage", "name": "sqlite", "distribution": "esign-storage-example"}.items() <= \
        next(p for p in listed if (p["group"], p["name"]) == ("esign.storage", "sqlite")).items()


def test_check_reports_missing_dependencies_with_the_hint_and_fails_on_broken_plugins(tmp_path: Path) -> None:
    (tmp_path / "esign_needs_lib.py").write_text("import esign_no_such_client_lib\n")
    (tmp_path / "esign_wrong_shape.py").write_text("class Store:\n    pass\n")
    dist = tmp_path / "esign_thirdparty-2.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: esign-thirdparty\nVersion: 2.0\n")
    (dist / "entry_points.txt").write_text("[esign.storage]\nneeds = esign_needs_lib:Store [fast]\n"
                                           "shapeless = esign_wrong_shape:Store\n")
    listed = _esign("plugins", "list", "--check", "--json", "--group", "esign.storage", pythonpath=[tmp_path])
    assert listed.returncode == 1  # `shapeless` has no from_config()
    rows = {p["name"]: p for p in json.loads(listed.stdout)}
    assert (rows["needs"]["status"], rows["needs"]["hint"]) == ("missing", "pip install 'esign-thirdparty[fast]'")
    assert "esign_no_such_client_lib" in rows["needs"]["detail"]
    assert rows["shapeless"]["status"] == "broken" and "from_config" in rows["shapeless"]["detail"]
    assert rows["local"]["status"] == "ok"


def test_storage_commands_select_the_plugin(run: Callable[..., Result], data_dir: Path,
                                            licence_for: Callable[..., str], tmp_path: Path) -> None:
    activate_storage_example()
    assert run(*init_args(data_dir, licence_for(data_dir))).exit_code == 0
    blobs = tmp_path / "blobs.db"
    tested = run("--data-dir", str(data_dir), "storage", "test", "--backend", "sqlite", "--set", f"path={blobs}")
    assert tested.exit_code == 0 and tested.output.count("ok") >= 4, tested.output
    configured = run("--data-dir", str(data_dir), "storage", "configure", "sqlite", f"path={blobs}")
    assert configured.exit_code == 0, configured.output
    shown = json.loads(run("--data-dir", str(data_dir), "storage", "show").output)
    assert shown == {"backend": "sqlite", "config": {"path": str(blobs)}}
    assert blobs.exists()
