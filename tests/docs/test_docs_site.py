"""The documentation site: `mkdocs build --strict` succeeds offline, every page of the nav is
built, a broken link or heading anchor fails the build, and the docs' ten-line script is the one
the examples test runs."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

if importlib.util.find_spec("mkdocs") is None or importlib.util.find_spec("material") is None:
    if os.environ.get("ESIGN_REQUIRE_SERVICES"):
        raise RuntimeError("mkdocs-material is not installed: pip install -e '.[docs]'")
    pytest.skip("mkdocs-material is not installed (pip install -e '.[docs]')", allow_module_level=True)


def build(project: Path, site: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    return subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
                          cwd=project, capture_output=True, text=True, timeout=300, env=env)


def copy_project(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    shutil.copytree(ROOT / "docs", project / "docs")
    shutil.copy(ROOT / "mkdocs.yml", project / "mkdocs.yml")
    return project


def test_the_site_builds_strictly_with_every_section(tmp_path: Path) -> None:
    site = tmp_path / "site"
    proc = build(ROOT, site)
    assert proc.returncode == 0, proc.stderr
    for page in ("index", "quickstart", "admin-console", "admin-console.zh", "integrator-guide", "embedding",
                 "deployment", "operations", "plugins", "architecture", "adr/index",
                 "adr/0033-public-embedding-api"):
        assert (site / f"{page}.html").is_file(), page
    assert (site / "search" / "search_index.json").is_file()
    html = "".join(p.read_text(encoding="utf-8") for p in site.rglob("*.html"))
    assert "fonts.googleapis.com" not in html  # nothing fetched when the site is read offline
    assert "控制台菜单" in (site / "admin-console.zh.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("link", ["[gone](no-such-page.md)", "[bad anchor](deployment.md#no-such-heading)"])
def test_a_broken_internal_link_fails_the_build(tmp_path: Path, link: str) -> None:
    project = copy_project(tmp_path)
    with (project / "docs" / "plugins.md").open("a", encoding="utf-8") as fh:
        fh.write(f"\nSee {link}.\n")
    proc = build(project, tmp_path / "site")
    assert proc.returncode != 0
    assert "plugins.md" in proc.stderr and ("no-such-page.md" in proc.stderr or "no-such-heading" in proc.stderr)


def test_the_documented_ten_line_script_is_the_tested_example() -> None:
    script = (ROOT / "examples" / "sign_and_verify.py").read_text(encoding="utf-8")
    code = script.split('"""', 2)[2].strip()
    for page in ("quickstart.md", "embedding.md"):
        assert code in (ROOT / "docs" / page).read_text(encoding="utf-8"), page

