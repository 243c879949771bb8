"""The TemplateRenderer: HTML templates through a sandboxed, autoescaping Jinja2 environment and
then WeasyPrint (:func:`esign_adapters.convert.html.html_to_pdf`, with the shipped font); PDF
forms by setting the AcroForm fields' values with pikepdf.

Template authors are console users, not the server's owners: the sandbox refuses attribute
access to internals (``{{ ''.__class__ }}``) and every value is HTML-escaped, so a filled
``<script>`` is text on the page."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

import pikepdf
from jinja2 import StrictUndefined, TemplateError, meta
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup

from esign_adapters.convert.html import html_to_pdf
from esign_core.errors import InvalidValue
from esign_core.model.template import TemplateKind
from esign_core.ports.conversion import ConversionError

_CHECKED = {"1", "true", "yes", "on", "y", "是", "√"}


def table_html(rows: Any) -> Markup:
    """Rows (``[{column: value}]``) as an HTML table, the columns from the first row; escaped."""
    if not isinstance(rows, Sequence) or isinstance(rows, str) or not rows:
        return Markup("")
    columns = list(rows[0])
    # Markup.format escapes every argument that is not Markup already.
    head = Markup("").join(Markup("<th>{}</th>").format(c) for c in columns)
    body = Markup("").join(
        Markup("<tr>{}</tr>").format(Markup("").join(Markup("<td>{}</td>").format(row.get(c, "")) for c in columns))
        for row in rows
    )
    return Markup('<table class="esign-table"><thead><tr>{}</tr></thead><tbody>{}</tbody></table>').format(head, body)


def _environment() -> SandboxedEnvironment:
    # StrictUndefined: an unsafe attribute is refused when printed, not silently blank.
    env = SandboxedEnvironment(autoescape=True, undefined=StrictUndefined)
    env.filters["table"] = table_html
    return env


_ENV = _environment()


def _text(source: bytes) -> str:
    try:
        return source.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidValue("file", "an HTML template must be UTF-8 text") from None


class JinjaWeasyTemplateRenderer:
    """:class:`esign_core.ports.templates.TemplateRenderer` with Jinja2 + WeasyPrint and pikepdf."""

    def parameters(self, kind: TemplateKind, source: bytes) -> tuple[str, ...]:
        if kind is TemplateKind.PDF_FORM:
            return self._field_names(source)
        text = _text(source)
        try:
            names = meta.find_undeclared_variables(_ENV.parse(text))
        except TemplateError as exc:
            raise InvalidValue("file", f"the HTML template is not valid: {exc}") from None
        ordered = tuple(sorted(names, key=lambda n: (text.find(n), n)))
        self._html(text, {n: "" for n in ordered})  # refuses a sandbox escape at creation already
        return ordered

    def render(self, kind: TemplateKind, source: bytes, values: Mapping[str, Any]) -> bytes:
        if kind is TemplateKind.PDF_FORM:
            return self._fill_form(source, values)
        return html_to_pdf(self._html(_text(source), values).encode("utf-8"))

    # -- HTML -----------------------------------------------------------------------------------
    @staticmethod
    def _html(text: str, values: Mapping[str, Any]) -> str:
        try:
            return _ENV.from_string(text).render(dict(values))
        except SecurityError as exc:
            raise InvalidValue("file", f"the HTML template does something not allowed: {exc}") from None
        except TemplateError as exc:
            raise InvalidValue("file", f"the HTML template could not be filled: {exc}") from None
        except Exception as exc:  # a template's own expression failing (1/0, bad types)
            raise InvalidValue("file", "the HTML template could not be filled", reason=type(exc).__name__) from None

    # -- PDF forms ------------------------------------------------------------------------------
    @staticmethod
    def _open(source: bytes) -> pikepdf.Pdf:
        try:
            return pikepdf.open(io.BytesIO(source))
        except pikepdf.PdfError as exc:
            raise InvalidValue("file", "the PDF form cannot be read") from exc

    def _field_names(self, source: bytes) -> tuple[str, ...]:
        with self._open(source) as pdf:
            names = [f.fully_qualified_name for f in pdf.acroform.fields
                     if not f.is_pushbutton and f.field_type != pikepdf.Name.Sig]
        if not names:
            raise InvalidValue("file", "the PDF has no form fields to fill")
        return tuple(dict.fromkeys(names))

    def _fill_form(self, source: bytes, values: Mapping[str, Any]) -> bytes:
        try:
            with self._open(source) as pdf:
                form = pdf.acroform
                for field in form.fields:
                    value = values.get(field.fully_qualified_name)
                    if value is None or field.is_pushbutton:
                        continue
                    _set(field, value)
                form.generate_appearances_if_needed()
                pdf.Root.AcroForm.NeedAppearances = True  # viewers redraw fields our fonts miss
                out = io.BytesIO()
                pdf.save(out)
        except pikepdf.PdfError as exc:
            raise ConversionError("the PDF form could not be filled", reason=type(exc).__name__) from exc
        return out.getvalue()


def _set(field: pikepdf.AcroFormField, value: Any) -> None:
    if isinstance(value, list):  # a TABLE in a form: one line per row
        value = "\n".join("  ".join(row.values()) for row in value)
    text = str(value)
    if field.is_checkbox:
        on = next((k for k in _states(field) if k != "/Off"), "/Yes")
        state = pikepdf.Name(on if text.strip().lower() in _CHECKED else "/Off")
        field.set_value(state)
        if "/AS" in field.obj or "/AP" in field.obj:
            field.obj.AS = state
    elif field.is_radio_button:
        field.set_value(pikepdf.Name("/" + text) if text else pikepdf.Name.Off)
    else:
        field.set_value(text)


def _states(field: pikepdf.AcroFormField) -> list[str]:
    ap = field.obj.get("/AP")
    normal = ap.get("/N") if ap is not None else None
    return [str(k) for k in normal.keys()] if isinstance(normal, pikepdf.Dictionary) else []
