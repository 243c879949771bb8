"""A fake TemplateRenderer: finds ``{{ name }}`` placeholders (HTML) or ``%FAKE-FIELD name``
lines (PDF forms) and renders a tiny PDF that lists the values, so tests can follow them."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from esign_core.errors import InvalidValue
from esign_core.model.template import TemplateKind

_PLACEHOLDER = re.compile(r"{{\s*([^\s{}|]+)")
_FIELD = re.compile(rb"%FAKE-FIELD (\S+)")


class FakeTemplateRenderer:
    """``calls`` records the values of every render."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def parameters(self, kind: TemplateKind, source: bytes) -> tuple[str, ...]:
        if kind is TemplateKind.HTML:
            try:
                names = _PLACEHOLDER.findall(source.decode())
            except UnicodeDecodeError:
                raise InvalidValue("file", "an HTML template is UTF-8 text") from None
        else:
            if not source.startswith(b"%PDF-"):
                raise InvalidValue("file", "not a PDF")
            names = [n.decode() for n in _FIELD.findall(source)]
        return tuple(dict.fromkeys(names))

    def render(self, kind: TemplateKind, source: bytes, values: Mapping[str, Any]) -> bytes:
        self.calls.append(dict(values))
        body = json.dumps(dict(values), ensure_ascii=False, sort_keys=True)
        return b"%PDF-1.7\n/Type /Page\n%FAKE-TEMPLATE " + f"{kind.value} {body}".encode() + b"\n"
