"""Public PKI services of the internal CA: CRLs, OCSP (POST and GET, as NSS uses GET), the RFC 3161
time-stamping service and the root certificate. No login, no CSRF (validators call these), but
rate limited per client address."""

from __future__ import annotations

import base64
import binascii
from typing import Any
from urllib.parse import unquote

from litestar import Request, Response, Router, get, post
from litestar.exceptions import NotFoundException

from esign_core.errors import InvalidValue
from esign_http.context import platform_of
from esign_http.ratelimit import SlidingWindowLimiter

MAX_REQUEST = 16 * 1024  # an OCSP or timestamp request is a few hundred bytes
_LIMITER = SlidingWindowLimiter(limit=600, window=60)  # per address: generous for validators, not for floods


def _ca(request: Request[Any, Any, Any]) -> Any:
    platform = platform_of(request)
    if not platform.is_initialized() or not platform.ca.is_initialized():
        raise NotFoundException("the internal CA is not set up yet")
    return platform.ca


def _throttle(request: Request[Any, Any, Any]) -> Response[Any] | None:
    key = request.client.host if request.client else "?"
    if _LIMITER.retry_after(key) > 0:
        return Response(b"too many requests", status_code=429, media_type="text/plain",
                        headers={"retry-after": "60"})
    _LIMITER.hit(key)
    return None


def _binary(data: bytes, media_type: str, *, max_age: int = 0) -> Response[bytes]:
    headers = {"cache-control": f"public, max-age={max_age}"} if max_age else {}
    return Response(data, media_type=media_type, headers=headers)


async def _body(request: Request[Any, Any, Any]) -> bytes:
    body = await request.body()
    if not body or len(body) > MAX_REQUEST:
        raise InvalidValue("body", "the request body must be a DER request of at most 16 KiB")
    return body


@get("/crl", sync_to_thread=True)
def issuing_crl(request: Request[Any, Any, Any]) -> Response[Any]:
    """The issuing CA's CRL (DER)."""
    return _throttle(request) or _binary(_ca(request).crl(), "application/pkix-crl", max_age=600)


@get("/crl/root", sync_to_thread=True)
def root_crl(request: Request[Any, Any, Any]) -> Response[Any]:
    """The root CA's CRL (DER), covering the issuing CA."""
    return _throttle(request) or _binary(_ca(request).root_crl(), "application/pkix-crl", max_age=3600)


@get("/root.pem", sync_to_thread=True)
def root_certificate(request: Request[Any, Any, Any]) -> Response[Any]:
    """Trust anchor to import into validators, NSS databases or Acrobat."""
    return _binary(_ca(request).trust_anchors_pem(), "application/x-pem-file", max_age=3600)


@post("/ocsp", status_code=200)
async def ocsp_post(request: Request[Any, Any, Any]) -> Response[Any]:
    """RFC 6960 over POST."""
    limited = _throttle(request)
    if limited:
        return limited
    ca = _ca(request)
    return _binary(ca.ocsp_response(await _body(request)), "application/ocsp-response")


@get("/ocsp/{encoded:path}", sync_to_thread=True)
def ocsp_get(request: Request[Any, Any, Any], encoded: str) -> Response[Any]:
    """RFC 6960 appendix A.1: the DER request, base64 and URL-encoded, in the path."""
    limited = _throttle(request)
    if limited:
        return limited
    try:
        der = base64.b64decode(unquote(encoded.lstrip("/")), validate=False)
    except (binascii.Error, ValueError):
        der = b""
    return _binary(_ca(request).ocsp_response(der[:MAX_REQUEST]), "application/ocsp-response")


@post("/tsa", status_code=200)
async def timestamp(request: Request[Any, Any, Any]) -> Response[Any]:
    """RFC 3161 over HTTP: ``application/timestamp-query`` in, ``application/timestamp-reply`` out."""
    from esign_adapters.tsa import InternalTimeStamper, rfc3161_respond

    limited = _throttle(request)
    if limited:
        return limited
    _ca(request)
    stamper = platform_of(request).timestamper()
    if not isinstance(stamper, InternalTimeStamper):
        raise NotFoundException("this platform uses an external time-stamping authority")
    return _binary(rfc3161_respond(stamper, await _body(request)), "application/timestamp-reply")


pki_router = Router(path="/pki", route_handlers=[issuing_crl, root_crl, root_certificate, ocsp_post, ocsp_get,
                                                 timestamp], include_in_schema=False)
