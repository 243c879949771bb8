"""``esign template create|list|fill``: a document made from an HTML template, written as a PDF."""

from __future__ import annotations

from pathlib import Path

import pypdfium2
import pytest

from esign_adapters.convert.html import html_available
from tests.cli.conftest import init_args

pytestmark = pytest.mark.usefixtures("wired_renderer")
HTML = """<html><head><meta charset="utf-8"></head><body>
<h1>入职通知</h1><p>{{ name }} 于 {{ start }} 入职，岗位：{{ role }}</p>{{ items|table }}</body></html>"""


def test_template_create_list_and_fill(run, data_dir: Path, licence_for, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    if not html_available():
        pytest.skip("WeasyPrint is not installed")
    assert run(*init_args(data_dir, licence_for(data_dir))).exit_code == 0
    source = tmp_path / "offer.html"
    source.write_text(HTML, "utf-8")
    d = ("--data-dir", str(data_dir))
    created = run(*d, "template", "create", "--title", "入职通知", "--html", str(source),
                  "--param", "name!", "--param", "start:DATE!", "--param", "role:RADIO:工程师|经理",
                  "--param", "items:TABLE:物品|数量")
    assert created.exit_code == 0, created.output
    template_id = created.stdout.strip()
    listed = run(*d, "template", "list")
    assert template_id in listed.output and "start:DATE!" in listed.output and "items:TABLE" in listed.output

    bad = run(*d, "template", "fill", template_id, "--set", "name=张三", "--set", "start=2026-02-30")
    assert bad.exit_code == 2 and "[start]" in bad.output

    out = tmp_path / "offer.pdf"
    filled = run(*d, "template", "fill", template_id, "--set", "name=张三", "--set", "start=2026-03-01",
                 "--set", "role=工程师", "--set", 'items=[{"物品": "笔记本电脑", "数量": 1}]', "--out", str(out))
    assert filled.exit_code == 0, filled.output
    assert filled.stdout.strip().isdigit()
    doc = pypdfium2.PdfDocument(out.read_bytes())
    text = "".join(p.get_textpage().get_text_range() for p in doc)
    doc.close()
    assert "张三" in text and "2026-03-01" in text and "笔记本电脑" in text


def test_template_create_needs_exactly_one_source(run, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    result = run("--data-dir", str(data_dir), "template", "create", "--title", "T")
    assert result.exit_code == 2
