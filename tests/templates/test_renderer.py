"""JinjaWeasyTemplateRenderer: HTML templates (sandboxed Jinja2, escaped values, WeasyPrint with
the shipped font) and AcroForm PDFs (pikepdf), checked on the PDFs they produce."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pikepdf
import pypdfium2
import pytest
from reportlab.pdfgen import canvas

from esign_adapters.convert.html import html_available
from esign_adapters.templates import JinjaWeasyTemplateRenderer
from esign_adapters.templates.renderer import table_html
from esign_core.errors import InvalidValue
from esign_core.model.template import ParamType, Template, TemplateKind, TemplateParam
from esign_core.values import BlobRef, Digest

needs_weasyprint = pytest.mark.skipif(not html_available(), reason="WeasyPrint is not installed")
R = JinjaWeasyTemplateRenderer()
HTML = TemplateKind.HTML


def text_of(pdf: bytes) -> str:
    doc = pypdfium2.PdfDocument(pdf)
    try:
        return "".join(page.get_textpage().get_text_range() for page in doc)
    finally:
        doc.close()


CONTRACT = """<!doctype html><html><head><meta charset="utf-8"><title>劳动合同</title></head><body>
<h1>劳动合同</h1>
<p>甲方：{{ company }}　乙方：{{ name }}（身份证 {{ idcard }}）</p>
<p>起始日期：{{ start }}</p>
{{ items|table }}
<ul>{% for row in items %}<li>{{ row['品名'] }} × {{ row['数量'] }}</li>{% endfor %}</ul>
</body></html>""".encode()


def test_html_template_names_its_placeholders_in_order() -> None:
    assert R.parameters(HTML, CONTRACT) == ("company", "name", "idcard", "start", "items")


@needs_weasyprint
def test_chinese_html_template_with_a_table_renders_the_values() -> None:
    template = Template(id=1, title="劳动合同", kind=HTML, source=BlobRef("m", "k", 1, Digest("0" * 64)),
                        params=(TemplateParam("start", ParamType.DATE),
                                TemplateParam("items", ParamType.TABLE, columns=("品名", "数量")),
                                TemplateParam("company"), TemplateParam("name"),
                                TemplateParam("idcard", ParamType.ID_NUMBER)),
                        created_at=datetime(2026, 1, 1, tzinfo=UTC))
    values = template.fill({"company": "测试集团有限公司", "name": "张三", "idcard": "11010519491231002X",
                            "start": "2026-03-01", "items": '[{"品名": "钢笔", "数量": 3}, {"品名": "稿纸"}]'})
    pdf = R.render(HTML, CONTRACT, values)
    assert pdf.startswith(b"%PDF-")
    text = text_of(pdf)
    expected_texts = ("劳动合同", "测试集团有限公司", "张三", "11010519491231002X", "2026-03-01", "钢笔", "稿纸")
    for expected in (*expected_texts, "品名"):
        assert expected in text


def test_values_are_html_escaped() -> None:
    html = R._html("<p>{{ name }}</p>{{ rows|table }}", {"name": "<script>alert(1)</script>",
                                                        "rows": [{"<b>": "<i>x</i>"}]})
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<i>" not in html and "&lt;i&gt;x&lt;/i&gt;" in html and "<th>&lt;b&gt;</th>" in html


def test_table_filter_makes_an_html_table() -> None:
    assert str(table_html([{"a": "1"}])) == (
        '<table class="esign-table"><thead><tr><th>a</th></tr></thead><tbody><tr><td>1</td></tr></tbody></table>')
    assert str(table_html([])) == ""


@needs_weasyprint
def test_injected_script_is_printed_as_text() -> None:
    pdf = R.render(HTML, b"<p>{{ name }}</p>", {"name": "<script>alert(1)</script>"})
    assert "<script>alert(1)</script>" in text_of(pdf)


@pytest.mark.parametrize("source", [
    "{{ ''.__class__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ name.__init__.__globals__ }}",
    "{% for c in ''.__class__.__mro__ %}{{ c }}{% endfor %}",
])
def test_sandbox_refuses_internal_attributes_when_the_template_is_created(source: str) -> None:
    with pytest.raises(InvalidValue) as info:
        R.parameters(HTML, source.encode())
    assert info.value.field == "file"


def test_sandbox_refuses_internal_attributes_when_rendering() -> None:
    with pytest.raises(InvalidValue):
        R.render(HTML, b"{{ name.__class__ }}", {"name": "x"})


def test_invalid_template_syntax_is_refused() -> None:
    with pytest.raises(InvalidValue):
        R.parameters(HTML, b"{% for x in %}")
    with pytest.raises(InvalidValue):
        R.parameters(HTML, "{{ 名字 }}".encode("gbk"))


# -- PDF forms --------------------------------------------------------------------------------
def acro_form() -> bytes:
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.drawString(72, 800, "Application form")
    c.acroForm.textfield(name="name", x=72, y=700, width=300, height=20)
    c.acroForm.textfield(name="start", x=72, y=650, width=300, height=20)
    c.acroForm.checkbox(name="agree", x=72, y=600, buttonStyle="check")
    c.showPage()
    c.save()
    return buf.getvalue()


def field_values(pdf: bytes) -> dict[str, str]:
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        return {f.fully_qualified_name: str(f.value) for f in doc.acroform.fields}


def test_pdf_form_parameters_are_its_field_names() -> None:
    assert R.parameters(TemplateKind.PDF_FORM, acro_form()) == ("name", "start", "agree")


def test_pdf_form_filled_holds_the_values() -> None:
    pdf = R.render(TemplateKind.PDF_FORM, acro_form(), {"name": "Zhang San", "start": "2026-03-01", "agree": "yes"})
    values = field_values(pdf)
    assert values["name"] == "Zhang San" and values["start"] == "2026-03-01"
    assert values["agree"] == "/Yes"
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        assert bool(doc.Root.AcroForm.NeedAppearances)


def test_pdf_without_fields_or_not_a_pdf_is_refused() -> None:
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.drawString(72, 800, "no fields")
    c.save()
    with pytest.raises(InvalidValue):
        R.parameters(TemplateKind.PDF_FORM, buf.getvalue())
    with pytest.raises(InvalidValue):
        R.parameters(TemplateKind.PDF_FORM, b"not a pdf")
