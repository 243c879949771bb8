"""Request ids, security headers and CSRF configuration.

The headers are added in a ``before_send`` hook rather than a middleware because Litestar
answers unknown paths (404) and wrong methods (405) before route middleware runs; the hook sees
every response, error pages included.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from litestar.config.csrf import CSRFConfig
from litestar.datastructures import MutableScopeHeaders
from litestar.middleware.csrf import generate_csrf_hash
from litestar.types import Message, Scope

REQUEST_ID_HEADER = "x-request-id"
CSRF_COOKIE = "esign_csrf"
CSRF_HEADER = "x-csrftoken"
_REQUEST_ID_KEY = "esign.request_id"
# An id from a proxy is kept only if it cannot smuggle anything into logs or headers.
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",  # htmx is served from /static; no inline scripts anywhere
    "style-src 'self'",  # the theme colour comes from /theme.css, so no inline styles either
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), serial=()"
# Paths whose responses may be cached; everything else can show account data and must not be.
_CACHEABLE_PREFIXES = ("/static/",)


def request_id_of(scope: Scope | dict[str, Any]) -> str:
    """The id of this request: the proxy's ``X-Request-ID`` when it looks sane, else a new one.
    Computed once per request and kept in the scope state."""
    state = scope.setdefault("state", {})  # type: ignore[misc]
    rid = state.get(_REQUEST_ID_KEY)
    if rid is None:
        incoming = ""
        for name, value in scope.get("headers", ()):
            if name == REQUEST_ID_HEADER.encode():
                incoming = value.decode("latin-1")
                break
        rid = incoming if _SAFE_REQUEST_ID.match(incoming) else secrets.token_hex(8)
        state[_REQUEST_ID_KEY] = rid
    return str(rid)


def is_https(scope: Scope) -> bool:
    return scope.get("scheme") in ("https", "wss")


async def add_security_headers(message: Message, scope: Scope) -> None:
    """``before_send`` hook: security headers and the request id on every HTTP response."""
    if message["type"] != "http.response.start" or scope["type"] != "http":
        return
    headers = MutableScopeHeaders.from_message(message)
    defaults = {
        "content-security-policy": CONTENT_SECURITY_POLICY,
        "x-content-type-options": "nosniff",
        "x-frame-options": "DENY",
        "referrer-policy": "same-origin",
        "permissions-policy": PERMISSIONS_POLICY,
        "cross-origin-opener-policy": "same-origin",
        REQUEST_ID_HEADER: request_id_of(scope),
    }
    if not scope["path"].startswith(_CACHEABLE_PREFIXES):
        defaults["cache-control"] = "no-store"
    if is_https(scope):
        defaults["strict-transport-security"] = "max-age=31536000; includeSubDomains"
    for name, value in defaults.items():
        if name == "cache-control" or name not in headers:
            headers[name] = value


def csrf_config(secret: bytes, *, secure: bool) -> CSRFConfig:
    """Double-submit CSRF tokens for forms (``_csrf_token``) and htmx (``x-csrftoken``).

    ``/open`` and ``/api`` are excluded: API clients authenticate per request, not with a
    cookie. (The REST API's cookie-authenticated calls check the header themselves, see
    :func:`csrf_header_valid`.)"""
    return CSRFConfig(secret=secret.hex(), cookie_name=CSRF_COOKIE, header_name=CSRF_HEADER, cookie_secure=secure,
                      cookie_httponly=True, cookie_samesite="lax",
                      exclude=["^/open(/|$)", "^/api(/|$)", "^/pki/", "^/static/", "^/checkHealth$", "^/health$"])


def csrf_header_valid(config: CSRFConfig, cookie: str | None, header: str | None) -> bool:
    """The same check as Litestar's CSRF middleware, for routes excluded from it."""
    if not cookie or not header or len(cookie) <= 64 or len(header) <= 64:
        return False
    expected = generate_csrf_hash(token=header[:64], secret=config.secret)
    return secrets.compare_digest(header[64:], expected) and secrets.compare_digest(cookie, header)
