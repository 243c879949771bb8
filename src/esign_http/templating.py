"""Jinja2 set-up: autoescaping, ``{% trans %}`` in the reader's language, the page helper."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, pass_context
from jinja2.runtime import Context
from litestar import Request
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.template.config import TemplateConfig

from esign_http.context import display_settings, language_of, platform_of
from esign_http.i18n import DEFAULT_LANGUAGE, LANGUAGES, TRANSLATIONS, _l, translate

# The default display names are translated; names an operator typed in are shown as typed.
DEFAULT_DISPLAY_NAMES = frozenset({_l("电子合同管理控制台"), _l("电子签约平台")})


@pass_context
def _gettext(context: Context, message: str) -> str:
    # The language travels in the template context ("lang"), so one environment serves every
    # request whatever its language.
    lang = context.get("lang", DEFAULT_LANGUAGE)
    return TRANSLATIONS.get(lang, TRANSLATIONS[DEFAULT_LANGUAGE]).gettext(message)


@pass_context
def _ngettext(context: Context, singular: str, plural: str, n: int) -> str:
    lang = context.get("lang", DEFAULT_LANGUAGE)
    return TRANSLATIONS.get(lang, TRANSLATIONS[DEFAULT_LANGUAGE]).ngettext(singular, plural, n)


def make_environment() -> Environment:
    """Templates from the package, escaped by default, unknown variables are errors."""
    env = Environment(loader=PackageLoader("esign_http", "templates"), autoescape=True,
                      undefined=StrictUndefined, extensions=["jinja2.ext.i18n"])
    env.policies["ext.i18n.trimmed"] = True
    env.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]
    from esign_http.app_print import GLOBALS as APP_PRINT

    env.globals.update(APP_PRINT)
    return env


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    env = make_environment()
    return TemplateConfig(instance=JinjaTemplateEngine.from_environment(env))


def _nav(request: Request[Any, Any, Any]) -> list[Any]:
    """The menu entries the logged-in account may open (none on public pages)."""
    from esign_http.console_nav import nav_for

    held = (request.scope.get("state") or {}).get("esign.permissions")
    return nav_for(held) if held is not None else []


def page(request: Request[Any, Any, Any], template: str, *, status_code: int = 200,
         headers: dict[str, str] | None = None, **context: Any) -> Template:
    """Render a page with what every layout needs: language, display settings, the user."""
    platform = platform_of(request)
    session = request.scope.get("session") or {}
    lang, display = language_of(request), display_settings(platform)
    name = display.console_name
    base = {
        "lang": lang,
        "languages": LANGUAGES,
        "display": display,
        "console_name": translate(name, lang) if name in DEFAULT_DISPLAY_NAMES else name,
        "current_path": request.url.path,
        "signed_in_as": session.get("username") if isinstance(session, dict) else None,
        "nav": _nav(request),
    }
    return Template(template_name=template, context={**base, **context}, status_code=status_code,
                    headers=headers or {})
