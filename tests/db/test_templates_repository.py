"""The template repository on every backend: typed parameters survive the round trip, deleted
templates are not listed, optimistic locking holds."""

from __future__ import annotations

import pytest

from esign_core.errors import ConcurrencyError, NotFoundError
from esign_core.model.template import ParamType, Template, TemplateKind, TemplateParam, TemplateStatus
from tests.db import samples
from tests.db.conftest import UowFactory

PARAMS = (
    TemplateParam("姓名", ParamType.TEXT, required=True),
    TemplateParam("start", ParamType.DATE),
    TemplateParam("idcard", ParamType.ID_NUMBER, required=True),
    TemplateParam("gender", ParamType.RADIO, options=("男", "女")),
    TemplateParam("benefits", ParamType.CHECKBOX, options=("五险", "一金")),
    TemplateParam("items", ParamType.TABLE, columns=("品名", "数量")),
)


def template(title: str = "劳动合同", kind: TemplateKind = TemplateKind.HTML) -> Template:
    return Template(id=samples.next_id(), title=title, kind=kind, source=samples.blob(7), params=PARAMS,
                    created_at=samples.T0)


def test_template_round_trips_with_its_params(uow_factory: UowFactory) -> None:
    t = template()
    with uow_factory() as uow:
        uow.templates.add(t)
        uow.commit()
    with uow_factory() as uow:
        loaded = uow.templates.get(t.id)
    assert samples.state(loaded) == samples.state(t)
    assert loaded.params == PARAMS and loaded.source == samples.blob(7)
    assert loaded.created_at == samples.T0 and loaded.kind is TemplateKind.HTML


def test_list_skips_deleted_templates(uow_factory: UowFactory) -> None:
    a, b, c = template("A"), template("B", TemplateKind.PDF_FORM), template("C")
    with uow_factory() as uow:
        for t in (a, b, c):
            uow.templates.add(t)
        uow.commit()
    with uow_factory() as uow:
        uow.templates.get(b.id).disable()
        uow.templates.get(c.id).delete()
        uow.commit()
    with uow_factory() as uow:
        listed = uow.templates.list()
        assert [(t.title, t.status) for t in listed] == [("A", TemplateStatus.ENABLED), ("B", TemplateStatus.DISABLED)]
        assert uow.templates.get(c.id).status is TemplateStatus.DELETED


def test_unknown_template_is_not_found(uow_factory: UowFactory) -> None:
    with uow_factory() as uow, pytest.raises(NotFoundError):
        uow.templates.get(424242)


def test_concurrent_changes_to_one_template_are_refused(uow_factory: UowFactory) -> None:
    t = template()
    with uow_factory() as uow:
        uow.templates.add(t)
        uow.commit()
    first, second = uow_factory(), uow_factory()
    with first, second:
        first.templates.get(t.id).disable()
        second.templates.get(t.id).delete()
        first.commit()
        with pytest.raises(ConcurrencyError):
            second.commit()
