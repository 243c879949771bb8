"""The example plugin packages of examples/plugins/, pip-installed for the tests: each into a
temporary ``--target`` directory (never into the test venv), from a copy of its source (an
in-tree build would leave build/ and *.egg-info behind), offline (``--no-index``,
``--no-build-isolation``, ``--no-deps``: esign itself is already installed)."""

from __future__ import annotations

import atexit
import functools
import importlib
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

PLUGINS = Path(__file__).resolve().parents[1] / "examples" / "plugins"
STORAGE_EXAMPLE = PLUGINS / "esign-storage-example"


@functools.cache
def pip_install(source: Path) -> Path:
    """Install the package at ``source`` once per process; return the directory to put on sys.path."""
    work = Path(tempfile.mkdtemp(prefix="esign-plugin-"))
    atexit.register(shutil.rmtree, work, True)
    copy, target = work / "src", work / "site"
    shutil.copytree(source, copy, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                           "--no-deps", "--no-build-isolation", "--no-index", "--target", str(target), str(copy)],
                          capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        raise RuntimeError(f"pip install {source.name} failed:\n{proc.stdout}\n{proc.stderr}")
    return target


def activate_storage_example() -> Path:
    """Install esign-storage-example and make it importable (and its entry point visible) here."""
    target = pip_install(STORAGE_EXAMPLE)
    if str(target) not in sys.path:
        sys.path.insert(0, str(target))
        importlib.invalidate_caches()
    return target
