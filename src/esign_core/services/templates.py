"""Templates (open API §2.1 createbytemplate, §2.7): create an HTML or PDF-form template with
typed parameters, and make a document from one by filling them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

import attrs

from esign_core.errors import InvalidValue
from esign_core.model.base import require_text
from esign_core.model.template import Template, TemplateKind, TemplateParam, TemplateStatus
from esign_core.ports import Clock, IdGenerator, UnitOfWork
from esign_core.ports.signing import PdfScreener
from esign_core.ports.storage import BlobStore
from esign_core.ports.templates import TemplateRenderer
from esign_core.services.commands import Command
from esign_core.services.documents import MAX_PDF_BYTES, CreateDocument, create_document

MAX_HTML_TEMPLATE_BYTES = 5 * 1024 * 1024


def _params(value: Sequence[TemplateParam] | None) -> tuple[TemplateParam, ...] | None:
    return None if value is None else tuple(value)


@attrs.frozen(kw_only=True)
class CreateTemplate(Command):
    """A template from HTML text (``{{ name }}`` placeholders, Jinja2) or an AcroForm PDF.
    ``params`` declares typed parameters; every other name the source uses (placeholder or form
    field) becomes an optional TEXT parameter."""

    title: str
    kind: TemplateKind
    source: bytes = attrs.field(repr=False)
    params: tuple[TemplateParam, ...] | None = attrs.field(default=None, converter=_params)


@attrs.frozen(kw_only=True)
class CreateDocumentFromTemplate(Command):
    """Open API /document/createbytemplate: ``values`` maps parameter names to values (rules
    of :meth:`Template.fill`); ``title`` defaults to the template's. With ``contract_id`` /
    ``biz_id`` the document joins that draft contract (/document/addbytemplate)."""

    template_id: int
    values: Mapping[str, Any] = attrs.field(factory=dict, converter=lambda v: MappingProxyType(dict(v)), eq=False)
    title: str | None = None
    contract_id: int | None = None
    biz_id: str | None = None
    actor: str = ""
    ip: str | None = None


@attrs.frozen(kw_only=True)
class ChangeTemplateStatus(Command):
    template_id: int
    status: TemplateStatus


@attrs.frozen(kw_only=True)
class ListTemplates(Command):
    """Templates not deleted, by id (``kind`` filters)."""

    kind: TemplateKind | None = None


def create_template(
    cmd: CreateTemplate, *, uow: UnitOfWork, template_renderer: TemplateRenderer, screener: PdfScreener,
    blobs: BlobStore, clock: Clock, ids: IdGenerator,
) -> int:
    """Check the source, store it and record the template; return its id. Raises InvalidValue
    (``file``: empty, too large, not a valid template, a PDF the screening refuses;
    ``params``: a declared parameter the source does not use; ``title``), StorageError."""
    limit = MAX_HTML_TEMPLATE_BYTES if cmd.kind is TemplateKind.HTML else MAX_PDF_BYTES
    if not cmd.source:
        raise InvalidValue("file", "the template file is empty")
    if len(cmd.source) > limit:
        raise InvalidValue("file", f"a {cmd.kind.value} template is at most {limit // (1024 * 1024)} MiB")
    if cmd.kind is TemplateKind.PDF_FORM:
        screener.screen(cmd.source)  # before any PDF library of ours parses an upload
    used = template_renderer.parameters(cmd.kind, cmd.source)
    declared = cmd.params or ()
    unused = [p.name for p in declared if p.name not in used]
    if unused:
        raise InvalidValue("params", f"the template does not use {', '.join(unused)}", params=unused)
    names = {p.name for p in declared}
    # Every name the source uses is a parameter, so rendering never meets an undefined one.
    params = tuple(declared) + tuple(TemplateParam(n) for n in used if n not in names)
    title = require_text("title", cmd.title)  # checked before anything is stored
    now = clock.now()
    with uow:
        ref = blobs.put([cmd.source])
        template = Template(id=ids.next_id(), title=title, kind=cmd.kind, source=ref, params=params, created_at=now)
        uow.templates.add(template)
        uow.commit()
    return template.id


def create_document_from_template(
    cmd: CreateDocumentFromTemplate, *, uow: UnitOfWork, template_renderer: TemplateRenderer,
    screener: PdfScreener, blobs: BlobStore, clock: Clock, ids: IdGenerator,
) -> int:
    """Check the values, render the PDF and create the document through
    :func:`~esign_core.services.documents.create_document`; return the document id. Raises
    NotFoundError (no such template), InvalidTransition (disabled or deleted), InvalidValue
    naming the parameter (see :meth:`Template.fill`), ConversionError, and whatever
    ``create_document`` raises."""
    with uow:
        template = uow.templates.get(cmd.template_id)
    values = template.fill(cmd.values)
    pdf = template_renderer.render(template.kind, blobs.read(template.source), values)
    return create_document(
        CreateDocument(title=cmd.title or template.title, pdf=pdf, contract_id=cmd.contract_id, biz_id=cmd.biz_id,
                       actor=cmd.actor, ip=cmd.ip),
        uow=uow, screener=screener, blobs=blobs, clock=clock, ids=ids,
    )


def change_template_status(cmd: ChangeTemplateStatus, *, uow: UnitOfWork) -> None:
    """Enable, disable or delete. Raises NotFoundError, InvalidTransition (a deleted template
    cannot come back)."""
    with uow:
        template = uow.templates.get(cmd.template_id)
        {TemplateStatus.ENABLED: template.enable, TemplateStatus.DISABLED: template.disable,
         TemplateStatus.DELETED: template.delete}[cmd.status]()
        uow.commit()


def list_templates(cmd: ListTemplates, *, uow: UnitOfWork) -> tuple[Template, ...]:
    with uow:
        return tuple(t for t in uow.templates.list() if cmd.kind is None or t.kind is cmd.kind)

