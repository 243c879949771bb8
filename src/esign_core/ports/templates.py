"""Port of template rendering: an HTML template or a PDF form, filled with checked values, as a
PDF. The adapter (``esign_adapters.templates``) owns the template language and the PDF tools."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from esign_core.model.template import TemplateKind


class TemplateRenderer(Protocol):
    def parameters(self, kind: TemplateKind, source: bytes) -> tuple[str, ...]:
        """The names the source uses: an HTML template's undeclared variables, a PDF form's
        field names, in order of appearance. Raises InvalidValue (``file``) for a source that
        is not a valid template of that kind."""

    def render(self, kind: TemplateKind, source: bytes, values: Mapping[str, Any]) -> bytes:
        """The PDF of the source filled with ``values`` (already checked by
        :meth:`Template.fill`). Raises InvalidValue (``file``) for a source that cannot be
        rendered and ConversionError when the rendering engine fails."""
