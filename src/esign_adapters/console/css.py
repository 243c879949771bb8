"""The custom CSS of the appearance page (manual 一.3.4), served sanitized and scoped.

The operator's stylesheet is parsed with tinycss2 and rebuilt from what is allowed: every
qualified rule gets each of its selectors prefixed with ``body.esign-custom`` (a class only our
pages carry), ``@media`` / ``@supports`` blocks are kept with their inner rules scoped the same
way, and everything that can load, run or escape is dropped: ``@import``, ``@font-face``,
``@namespace``, ``@charset`` and other at-rules, ``url()`` pointing anywhere but our own
``/static`` or ``/brand`` paths, ``expression()``, ``behavior``/``-moz-binding``,
``javascript:`` and any ``\\`` escape (which could hide one of those).
"""

from __future__ import annotations

import attrs
import tinycss2
from tinycss2 import ast

SCOPE = "body.esign-custom"
_KEPT_AT_RULES = frozenset({"media", "supports"})
_BAD_PROPERTIES = frozenset({"behavior", "-moz-binding", "-ms-behavior"})
_BAD_TEXT = ("expression(", "javascript:", "vbscript:", "\\", "<", "@import")
_LOCAL_URL_PREFIXES = ("/static/", "/brand/")


@attrs.frozen
class SanitizedCss:
    css: str
    dropped: tuple[str, ...]  # what was removed, for the page to tell the operator


def _url_ok(token: ast.Node) -> bool:
    if isinstance(token, ast.URLToken):
        return token.value.startswith(_LOCAL_URL_PREFIXES) and ".." not in token.value
    if isinstance(token, ast.FunctionBlock) and token.lower_name == "url":
        args = [a for a in token.arguments if not isinstance(a, ast.WhitespaceToken)]
        return (len(args) == 1 and isinstance(args[0], ast.StringToken)
                and args[0].value.startswith(_LOCAL_URL_PREFIXES) and ".." not in args[0].value)
    return True


def _walk(tokens: list[ast.Node]) -> list[ast.Node]:
    out: list[ast.Node] = []
    for tok in tokens:
        out.append(tok)
        if isinstance(tok, ast.FunctionBlock):
            out.extend(_walk(tok.arguments))
        elif isinstance(tok, ast.ParenthesesBlock | ast.SquareBracketsBlock | ast.CurlyBracketsBlock):
            out.extend(_walk(tok.content))
    return out


def _declarations(content: list[ast.Node], dropped: list[str]) -> str:
    kept = []
    for decl in tinycss2.parse_blocks_contents(content, skip_comments=True, skip_whitespace=True):
        if isinstance(decl, ast.ParseError):
            dropped.append("invalid declaration")
            continue
        if not isinstance(decl, ast.Declaration):
            dropped.append("nested rule")
            continue
        value = tinycss2.serialize(decl.value)
        if decl.lower_name in _BAD_PROPERTIES:
            dropped.append(decl.lower_name)
            continue
        if any(bad in value.lower() for bad in _BAD_TEXT):
            dropped.append(f"{decl.lower_name}: {value.strip()[:40]}")
            continue
        if not all(_url_ok(t) for t in _walk(decl.value)):
            dropped.append(f"{decl.lower_name}: external url()")
            continue
        important = " !important" if decl.important else ""
        kept.append(f"  {decl.name}: {value.strip()}{important};")
    return "\n".join(kept)


def _scoped_selector(prelude: list[ast.Node]) -> str | None:
    text = tinycss2.serialize(prelude).strip()
    if not text or any(bad in text.lower() for bad in _BAD_TEXT) or "{" in text or "}" in text:
        return None
    parts = []
    for sel in text.split(","):
        sel = sel.strip()
        if not sel:
            return None
        # Rules written for the page root apply to our scope element instead.
        for root in (":root", "html", "body"):
            if sel == root or sel.startswith(root + " "):
                sel = sel[len(root):].strip()
                break
        parts.append(f"{SCOPE} {sel}".strip())
    return ", ".join(parts)


def _rules(rules: list[ast.Node], dropped: list[str], depth: int = 0) -> list[str]:
    out: list[str] = []
    for rule in rules:
        if isinstance(rule, ast.QualifiedRule):
            selector = _scoped_selector(rule.prelude)
            if selector is None:
                dropped.append("invalid selector")
                continue
            out.append(f"{selector} {{\n{_declarations(rule.content, dropped)}\n}}")
        elif isinstance(rule, ast.AtRule):
            condition = tinycss2.serialize(rule.prelude).strip()
            if (rule.lower_at_keyword in _KEPT_AT_RULES and rule.content is not None and depth < 2
                    and not any(bad in condition.lower() for bad in _BAD_TEXT)):
                inner = tinycss2.parse_rule_list(rule.content, skip_comments=True, skip_whitespace=True)
                out.append(f"@{rule.lower_at_keyword} {condition} {{\n" + "\n".join(_rules(inner, dropped, depth + 1))
                           + "\n}")
            else:
                dropped.append(f"@{rule.lower_at_keyword}")
        elif isinstance(rule, ast.ParseError):
            dropped.append("invalid rule")
    return out


def sanitize(source: str) -> SanitizedCss:
    """The operator's CSS, rebuilt from its allowed parts (see the module docstring)."""
    dropped: list[str] = []
    rules = tinycss2.parse_stylesheet(source, skip_comments=True, skip_whitespace=True)
    return SanitizedCss("\n".join(_rules(rules, dropped)) + "\n", tuple(dropped))


EXAMPLE = """/* esign: custom CSS example (系统设置 - 系统显示设置 - 自定义CSS样式).
 * Every rule is applied only on esign's own pages (it is scoped under body.esign-custom when
 * served). @import, external url(), expression() and behavior are removed.
 * Useful selectors: .topbar (navigation bar), .brand (console name), .sidenav (menu),
 * .card (panels), button.primary, .login-page (login page). */

.topbar {
  box-shadow: 0 2px 8px rgba(0, 0, 0, .15);
}

.card {
  border-radius: 12px;
}

button.primary {
  font-weight: 600;
}

@media (max-width: 600px) {
  .card { padding: 12px; }
}
"""
