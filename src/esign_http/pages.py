"""Small routes outside the big mounts: ``/``, the language switch, the theme stylesheet and the
health checks."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect

from esign_adapters.bootstrap import Platform
from esign_http.access import CONSOLE_PATH, SETUP_PATH, safe_next
from esign_http.context import display_settings, initialized, platform_of
from esign_http.i18n import LANG_COOKIE, LANGUAGES

AnyRequest = Request[Any, Any, Any]
FormData = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
LANG_COOKIE_MAX_AGE = 365 * 24 * 3600
log = logging.getLogger("esign_http")


@get("/", sync_to_thread=True, include_in_schema=False)
def root(request: AnyRequest) -> Redirect:
    """The address the manual gives (http://IP:9181) leads to the wizard, then to the console."""
    return Redirect(CONSOLE_PATH if initialized(request) else SETUP_PATH)


@post("/lang/{code:str}", include_in_schema=False, status_code=302)
async def switch_language(request: AnyRequest, code: str, data: FormData) -> Response[Any]:
    """Remember the chosen language in the ``esign_lang`` cookie and go back to the page."""
    target = safe_next(data.get("next"), default="/")
    response = Redirect(target)
    if code in LANGUAGES:
        response.set_cookie(Cookie(key=LANG_COOKIE, value=code, max_age=LANG_COOKIE_MAX_AGE, path="/",
                                   httponly=True, samesite="lax", secure=request.app.state["secure_cookies"]))
    return response


@get("/theme.css", sync_to_thread=True, include_in_schema=False)
def theme_css(request: AnyRequest) -> Response[str]:
    """The theme colour as a stylesheet, so that pages need no inline style (strict CSP). The
    colour was validated (#RRGGBB) when it was saved."""
    colour = display_settings(platform_of(request)).theme_color
    return Response(f":root {{ --esign-theme: {colour}; }}\n", media_type="text/css",
                    headers={"cache-control": "no-cache"})


def database_status(platform: Platform) -> str:
    """``ok``, ``not_migrated`` (before the wizard's database step) or ``unavailable``."""
    try:
        if not platform.schema_ready():
            return "not_migrated"
        with platform.uow() as uow:
            uow.installation.find()
        return "ok"
    except Exception:  # a health check reports; it never raises
        log.warning("health check: database unavailable", exc_info=True)
        return "unavailable"


@get("/health", sync_to_thread=True, include_in_schema=False)
def health(request: AnyRequest) -> Response[dict[str, Any]]:
    """Liveness and readiness for load balancers: 503 when the database cannot be reached."""
    platform = platform_of(request)
    database = database_status(platform)
    ok = database != "unavailable"
    return Response({"status": "ok" if ok else "unavailable", "database": database,
                     "initialized": ok and database == "ok" and platform.is_initialized()},
                    status_code=200 if ok else 503)


@get("/checkHealth", include_in_schema=False, media_type="text/plain")
async def check_health_root() -> str:
    """The open API's health check, also at the root as the original product answers it."""
    return "OK"
