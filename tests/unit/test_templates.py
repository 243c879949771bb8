"""Templates: typed parameters checked when filled (open API §2.1 HTML-template value rules), and
documents made from templates through the bus with fakes."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from esign_core.errors import InvalidTransition, InvalidValue, NotFoundError
from esign_core.model.template import ParamType, Template, TemplateKind, TemplateParam, TemplateStatus
from esign_core.services.templates import (
    ChangeTemplateStatus,
    CreateDocumentFromTemplate,
    CreateTemplate,
    ListTemplates,
)
from esign_core.testing import bootstrap_test_bus
from esign_core.values import BlobRef, Digest

T = ParamType
REF = BlobRef(backend="memory", key="k", size=1, digest=Digest("0" * 64))
VALID_ID = "11010519491231002X"


def template(*params: TemplateParam, status: TemplateStatus = TemplateStatus.ENABLED) -> Template:
    return Template(id=1, title="劳动合同", kind=TemplateKind.HTML, source=REF, params=params, status=status,
                    created_at=datetime(2026, 1, 1, tzinfo=UTC))


def fill_one(param: TemplateParam, value: Any) -> Any:
    return template(param).fill({param.name: value})[param.name]


def refused(param: TemplateParam, value: Any) -> InvalidValue:
    with pytest.raises(InvalidValue) as info:
        fill_one(param, value)
    assert info.value.field == param.name
    assert param.name in info.value.message
    return info.value


# -- TEXT -------------------------------------------------------------------------------------
def test_text_up_to_300_characters_is_accepted() -> None:
    assert fill_one(TemplateParam("姓名", T.TEXT), "甲" * 300) == "甲" * 300


def test_text_over_300_characters_is_refused_naming_the_param() -> None:
    refused(TemplateParam("姓名", T.TEXT), "甲" * 301)


def test_text_must_be_a_single_line() -> None:
    refused(TemplateParam("address"), "line 1\nline 2")


def test_numbers_are_accepted_as_text_but_not_objects() -> None:
    assert fill_one(TemplateParam("amount"), 1200) == "1200"
    refused(TemplateParam("amount"), {"a": 1})


# -- DATE -------------------------------------------------------------------------------------
def test_date_in_yyyy_mm_dd_is_accepted() -> None:
    assert fill_one(TemplateParam("start", T.DATE), "2026-02-28") == "2026-02-28"
    assert fill_one(TemplateParam("start", T.DATE), date(2026, 3, 1)) == "2026-03-01"


@pytest.mark.parametrize("value", ["2026-2-28", "2026/02/28", "20260228", "2026-02-30", "2026-13-01", "tomorrow"])
def test_date_in_any_other_form_or_not_real_is_refused(value: str) -> None:
    refused(TemplateParam("start", T.DATE), value)


# -- ID_NUMBER --------------------------------------------------------------------------------
@pytest.mark.parametrize("value", [VALID_ID, VALID_ID.lower(), "110105491231002", "A1234567890123456B"])
def test_id_number_of_15_or_18_letters_and_digits_is_accepted(value: str) -> None:
    assert fill_one(TemplateParam("idcard", T.ID_NUMBER), value) == value.upper()


@pytest.mark.parametrize(
    "value", ["1101051949123100", "11010519491231002X1", "110105-19491231002", "身份证号码一二三四五六七八九十一二三四"]
)
def test_id_number_of_another_length_or_with_symbols_is_refused(value: str) -> None:
    refused(TemplateParam("idcard", T.ID_NUMBER), value)


def test_eighteen_digit_id_number_with_a_wrong_check_digit_is_refused() -> None:
    refused(TemplateParam("idcard", T.ID_NUMBER), "110105194912310021")


# -- RADIO / CHECKBOX -------------------------------------------------------------------------
def test_radio_takes_one_of_its_options() -> None:
    p = TemplateParam("gender", T.RADIO, options=("男", "女"))
    assert fill_one(p, "女") == "女"
    refused(p, "其他")
    refused(p, "男,女")


def test_checkbox_takes_options_joined_by_commas() -> None:
    p = TemplateParam("benefits", T.CHECKBOX, options=("五险", "一金", "年假"))
    assert fill_one(p, "五险,年假") == "五险,年假"
    assert fill_one(p, ["五险", "一金"]) == "五险,一金"
    assert fill_one(p, "") == ""


@pytest.mark.parametrize("value", ["五险,奖金", "五险,五险", "五险;一金"])
def test_checkbox_refuses_unknown_or_repeated_options(value: str) -> None:
    refused(TemplateParam("benefits", T.CHECKBOX, options=("五险", "一金", "年假")), value)


def test_choices_need_options_and_tables_need_columns() -> None:
    with pytest.raises(InvalidValue):
        TemplateParam("gender", T.RADIO)
    with pytest.raises(InvalidValue):
        TemplateParam("items", T.TABLE)


# -- TABLE ------------------------------------------------------------------------------------
ITEMS = TemplateParam("items", T.TABLE, columns=("品名", "数量"))


def test_table_takes_a_json_array_of_rows_keyed_by_column() -> None:
    rows = fill_one(ITEMS, '[{"品名": "笔", "数量": 2}, {"品名": "纸"}]')
    assert rows == [{"品名": "笔", "数量": "2"}, {"品名": "纸", "数量": ""}]


def test_table_takes_a_list_and_rows_can_be_added() -> None:
    rows = fill_one(ITEMS, [{"品名": str(i)} for i in range(50)])
    assert len(rows) == 50


@pytest.mark.parametrize("value", ['[{"颜色": "红"}]', "not json", '{"品名": "笔"}', "[1, 2]", [{"品名": {"x": 1}}]])
def test_table_refuses_new_columns_and_other_shapes(value: Any) -> None:
    refused(ITEMS, value)


# -- required / unknown -----------------------------------------------------------------------
def test_missing_required_param_is_refused_naming_it() -> None:
    t = template(TemplateParam("name", required=True), TemplateParam("note"))
    with pytest.raises(InvalidValue) as info:
        t.fill({"note": "x"})
    assert info.value.field == "name"
    with pytest.raises(InvalidValue):
        t.fill({"name": "   "})


def test_optional_params_are_blank_when_not_given() -> None:
    t = template(TemplateParam("note"), ITEMS)
    assert t.fill({}) == {"note": "", "items": []}


def test_unknown_param_names_are_refused() -> None:
    with pytest.raises(InvalidValue) as info:
        template(TemplateParam("name")).fill({"name": "a", "nmae": "b"})
    assert info.value.field == "nmae"


def test_duplicate_param_names_are_refused() -> None:
    with pytest.raises(InvalidValue):
        template(TemplateParam("a"), TemplateParam("a", T.DATE))


def test_disabled_or_deleted_template_cannot_be_filled() -> None:
    for status in (TemplateStatus.DISABLED, TemplateStatus.DELETED):
        with pytest.raises(InvalidTransition):
            template(TemplateParam("a"), status=status).fill({"a": "x"})


# -- through the bus --------------------------------------------------------------------------
HTML = "<h1>劳动合同</h1><p>{{ name }} {{ start }}</p>{{ items|table }}".encode()


def test_create_and_fill_a_template_through_the_bus() -> None:
    p = bootstrap_test_bus()
    tid = p.bus.handle(CreateTemplate(title="劳动合同", kind=TemplateKind.HTML, source=HTML, params=(
        TemplateParam("start", T.DATE, required=True), ITEMS)))
    doc_id = p.bus.handle(CreateDocumentFromTemplate(
        template_id=tid, values={"name": "张三", "start": "2026-03-01", "items": [{"品名": "笔", "数量": 1}]}))
    with p.uow as uow:
        t = uow.templates.get(tid)
        doc = uow.documents.get(doc_id)
    assert [(x.name, x.type) for x in t.params] == [("start", T.DATE), ("items", T.TABLE), ("name", T.TEXT)]
    assert doc.title == "劳动合同"
    assert p.blobs.read(t.source) == HTML
    assert "张三" in p.blobs.read(doc.current).decode()
    assert p.template_renderer.calls == [
        {"start": "2026-03-01", "items": [{"品名": "笔", "数量": "1"}], "name": "张三"}
    ]


def test_fill_refused_before_anything_is_rendered_or_stored() -> None:
    p = bootstrap_test_bus()
    tid = p.bus.handle(CreateTemplate(title="T", kind=TemplateKind.HTML, source=HTML,
                                      params=(TemplateParam("start", T.DATE),)))
    with pytest.raises(InvalidValue) as info:
        p.bus.handle(CreateDocumentFromTemplate(template_id=tid, values={"start": "2026-02-30"}))
    assert info.value.field == "start"
    assert p.template_renderer.calls == []


def test_declared_params_the_source_does_not_use_are_refused() -> None:
    p = bootstrap_test_bus()
    with pytest.raises(InvalidValue) as info:
        p.bus.handle(CreateTemplate(title="T", kind=TemplateKind.HTML, source=HTML,
                                    params=(TemplateParam("salary"),)))
    assert info.value.field == "params"


def test_pdf_form_template_params_come_from_its_fields() -> None:
    p = bootstrap_test_bus()
    source = b"%PDF-1.7\n%FAKE-FIELD name\n%FAKE-FIELD date\n"
    tid = p.bus.handle(CreateTemplate(title="表单", kind=TemplateKind.PDF_FORM, source=source))
    (t,) = p.bus.handle(ListTemplates(kind=TemplateKind.PDF_FORM))
    assert t.id == tid and [x.name for x in t.params] == ["name", "date"]


def test_template_title_is_the_default_document_title_and_can_be_overridden() -> None:
    p = bootstrap_test_bus()
    tid = p.bus.handle(CreateTemplate(title="T", kind=TemplateKind.HTML, source=HTML))
    doc_id = p.bus.handle(CreateDocumentFromTemplate(template_id=tid, values={}, title="张三的合同"))
    with p.uow as uow:
        assert uow.documents.get(doc_id).title == "张三的合同"


def test_disabled_template_refuses_documents_and_deleted_ones_are_not_listed() -> None:
    p = bootstrap_test_bus()
    tid = p.bus.handle(CreateTemplate(title="T", kind=TemplateKind.HTML, source=HTML))
    p.bus.handle(ChangeTemplateStatus(template_id=tid, status=TemplateStatus.DISABLED))
    with pytest.raises(InvalidTransition):
        p.bus.handle(CreateDocumentFromTemplate(template_id=tid, values={}))
    p.bus.handle(ChangeTemplateStatus(template_id=tid, status=TemplateStatus.DELETED))
    assert p.bus.handle(ListTemplates()) == ()
    with pytest.raises(InvalidTransition):
        p.bus.handle(ChangeTemplateStatus(template_id=tid, status=TemplateStatus.ENABLED))


def test_unknown_template_is_not_found() -> None:
    with pytest.raises(NotFoundError):
        bootstrap_test_bus().bus.handle(CreateDocumentFromTemplate(template_id=42, values={}))


def test_empty_source_or_blank_title_is_refused_before_storing() -> None:
    p = bootstrap_test_bus()
    with pytest.raises(InvalidValue):
        p.bus.handle(CreateTemplate(title="T", kind=TemplateKind.HTML, source=b""))
    with pytest.raises(InvalidValue) as info:
        p.bus.handle(CreateTemplate(title="  ", kind=TemplateKind.HTML, source=HTML))
    assert info.value.field == "title"
