"""The layering rules of ARCHITECTURE.md, enforced: import-linter contracts, a direct scan of
core's imports, a planted forbidden import that must be caught, and ruff."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "src" / "esign_core"
BIN = Path(sys.executable).parent
ALLOWED_THIRD_PARTY = {"attrs", "stdnum"}  # see docs/adr/0002-stdnum-in-core.md


def _tool(name: str) -> str:
    exe = BIN / name
    return str(exe) if exe.exists() else shutil.which(name) or name


def _imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_lint_imports_contracts_hold() -> None:
    proc = subprocess.run([_tool("lint-imports"), "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_core_imports_only_stdlib_attrs_and_stdnum() -> None:
    offenders = {}
    for path in CORE.rglob("*.py"):
        bad = {r for r in _imported_roots(path)
               if r not in sys.stdlib_module_names and r not in ALLOWED_THIRD_PARTY and r != "esign_core"}
        if bad:
            offenders[str(path.relative_to(ROOT))] = sorted(bad)
    assert not offenders, f"core must stay pure: {offenders}"


def test_planted_sqlalchemy_import_in_core_is_caught(tmp_path: Path) -> None:
    src = tmp_path / "src"
    shutil.copytree(ROOT / "src", src, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    (src / "esign_core" / "planted.py").write_text("import sqlalchemy  # planted by the test\n")
    env = {"PYTHONPATH": str(src), "PATH": str(BIN) + ":/usr/bin:/bin"}
    proc = subprocess.run([_tool("lint-imports"), "--no-cache"], cwd=tmp_path, capture_output=True, text=True, env=env)
    assert proc.returncode != 0, "lint-imports did not notice `import sqlalchemy` in esign_core"
    assert "esign_core.planted" in proc.stdout
    assert "sqlalchemy" in _imported_roots(src / "esign_core" / "planted.py") - sys.stdlib_module_names


@pytest.mark.parametrize("target", ["src", "tests", "noxfile.py", "examples", "campaign"])
def test_ruff_is_clean(target: str) -> None:
    proc = subprocess.run([_tool("ruff"), "check", target], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
