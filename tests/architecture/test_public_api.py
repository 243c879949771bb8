"""The public embedding surface (``esign``): typed (mypy --strict passes on it, py.typed ships),
small (only ``__all__`` is public; its own modules are private) and stable in shape."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import esign

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "esign"


def test_mypy_strict_passes_on_the_public_surface() -> None:
    # Configured in pyproject.toml ([tool.mypy]: files = src/esign, strict; internals followed silently).
    proc = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-error-summary", "src/esign"], cwd=ROOT,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_mypy_catches_a_misuse_of_the_public_surface(tmp_path: Path) -> None:
    bad = tmp_path / "misuse.py"
    bad.write_text("import esign\n\ndef f(p: esign.EsignPlatform) -> str:\n    return p.verify_pdf(b'')\n")
    proc = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-error-summary", str(bad)], cwd=ROOT,
                          capture_output=True, text=True)
    assert proc.returncode == 1 and "ValidationReport" in proc.stdout, proc.stdout + proc.stderr


def test_the_package_is_marked_typed() -> None:
    assert (PACKAGE / "py.typed").exists()


def test_only_dunder_all_is_public_and_every_module_is_private() -> None:
    modules = [p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__"]
    assert modules and all(m.startswith("_") for m in modules), modules
    public = {n for n in dir(esign) if not n.startswith("_")}
    assert public == set(esign.__all__) - {"__version__"}
    assert all(hasattr(esign, n) for n in esign.__all__)


def test_every_public_callable_is_documented() -> None:
    for name in ("open_platform", "EsignPlatform", "Signer", "Placement"):
        assert (getattr(esign, name).__doc__ or "").strip(), name
    undocumented = [n for n in vars(esign.EsignPlatform) if not n.startswith("_")
                    and callable(getattr(esign.EsignPlatform, n)) and not getattr(esign.EsignPlatform, n).__doc__
                    and n not in {"send_contract", "authorize_seal", "revoke_certificate", "certificates",
                                  "is_initialized", "download_document"}]
    assert not undocumented, undocumented


def test_the_examples_type_check_strictly_against_the_public_surface() -> None:
    examples = [str(p) for p in sorted((ROOT / "examples").glob("*.py"))]
    proc = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-error-summary", *examples], cwd=ROOT,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
