"""``esign template create|list|fill``: HTML and PDF-form templates, and documents made from them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from esign_cli.context import load_platform
from esign_core.errors import InvalidValue
from esign_core.model.template import ParamType, TemplateKind, TemplateParam
from esign_core.services.contract_queries import GetDocumentFile
from esign_core.services.templates import CreateDocumentFromTemplate, CreateTemplate, ListTemplates


@click.group("template")
def template_group() -> None:
    """Templates (HTML with {{ name }} placeholders, or AcroForm PDFs) and filling them."""


def _param(spec: str) -> TemplateParam:
    """``name:TYPE[:opt1|opt2][!]`` — ``!`` marks it required; options (RADIO/CHECKBOX) or
    columns (TABLE) separated by ``|``."""
    required = spec.endswith("!")
    name, _, rest = spec.rstrip("!").partition(":")
    type_name, _, extra = rest.partition(":")
    try:
        kind = ParamType((type_name or "TEXT").upper())
    except ValueError:
        raise InvalidValue("params", f"unknown parameter type {type_name!r}",
                           types=[t.value for t in ParamType]) from None
    items = tuple(x for x in extra.split("|") if x) if extra else ()
    return TemplateParam(name, kind, required, options=items if kind is not ParamType.TABLE else (),
                         columns=items if kind is ParamType.TABLE else ())


@template_group.command("create")
@click.option("--title", required=True, help="Template title (also the default document title).")
@click.option("--html", "html", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="An HTML template (UTF-8) with {{ name }} placeholders.")
@click.option("--pdf-form", "pdf_form", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A PDF with AcroForm fields; the field names are the parameters.")
@click.option("--param", "params", multiple=True, metavar="NAME:TYPE[:A|B][!]",
              help="Declare a typed parameter (TEXT, DATE, ID_NUMBER, RADIO:opt|opt, CHECKBOX:opt|opt, "
                   "TABLE:col|col; a trailing ! makes it required). Undeclared names are optional TEXT.")
@click.pass_context
def create(ctx: click.Context, title: str, html: Path | None, pdf_form: Path | None, params: tuple[str, ...]) -> None:
    """Create a template and print its id."""
    if (html is None) == (pdf_form is None):
        raise click.UsageError("give exactly one of --html and --pdf-form")
    path, kind = (html, TemplateKind.HTML) if html is not None else (pdf_form, TemplateKind.PDF_FORM)
    assert path is not None
    declared = tuple(_param(p) for p in params) if params else None
    template_id = load_platform(ctx).handle(
        CreateTemplate(title=title, kind=kind, source=path.read_bytes(), params=declared))
    click.echo(str(template_id))


@template_group.command("list")
@click.pass_context
def list_templates(ctx: click.Context) -> None:
    """Id, kind, status, title and parameters of every template not deleted."""
    for t in load_platform(ctx).handle(ListTemplates()):
        params = ", ".join(f"{p.name}:{p.type.value}{'!' if p.required else ''}" for p in t.params)
        click.echo("\t".join((str(t.id), t.kind.value, t.status.value, t.title, params)))


def _values(pairs: tuple[str, ...]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for pair in pairs:
        name, eq, value = pair.partition("=")
        if not eq:
            raise click.BadParameter(f"{pair!r} is not name=value", param_hint="--set")
        values[name.strip()] = value
    return values


@template_group.command("fill")
@click.argument("template_id", type=int)
@click.option("--set", "pairs", multiple=True, metavar="NAME=VALUE",
              help="A parameter value (a TABLE takes a JSON array of row objects).")
@click.option("--values", "values_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A JSON object of parameter values (--set wins).")
@click.option("--title", help="Document title (default: the template's).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Also write the PDF here.")
@click.pass_context
def fill(ctx: click.Context, template_id: int, pairs: tuple[str, ...], values_file: Path | None, title: str | None,
         out: Path | None) -> None:
    """Create a document from a template; print the document id."""
    values: dict[str, Any] = json.loads(values_file.read_text("utf-8")) if values_file else {}
    if not isinstance(values, dict):
        raise click.BadParameter("must hold a JSON object", param_hint="--values")
    values.update(_values(pairs))
    platform = load_platform(ctx)
    document_id = platform.handle(CreateDocumentFromTemplate(template_id=template_id, values=values, title=title))
    if out is not None:
        out.write_bytes(platform.handle(GetDocumentFile(document_id=document_id)).pdf)
    click.echo(str(document_id))
