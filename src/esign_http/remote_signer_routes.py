"""The remote-signer endpoint (docs/adr/0048-remote-signer-protocol.md): another esign instance,
configured with one of our integration apps (应用接入), asks us to sign a PDF with our engine.
``POST /api/remote-signer/v1/sign``; the request body is bound to the app's secret by an
HMAC (``X-Esign-Signature``), checked by the core use case AuthenticateRemoteSigner. Answers the
signed PDF, or RFC 9457 problem details (401 for any authentication failure)."""

from __future__ import annotations

import hashlib
from typing import Any

import anyio.to_thread
from litestar import Request, Response, Router, post

from esign_core.errors import InvalidValue
from esign_core.services.signing_services import AuthenticateRemoteSigner
from esign_http.context import platform_of

MAX_REQUEST = 64 * 1024 * 1024  # a base64 PDF of about 48 MB


@post("/sign", status_code=200, request_max_body_size=MAX_REQUEST)
async def remote_sign(request: Request[Any, Any, Any]) -> Response[bytes]:
    """Sign the PDF of the JSON body for the authenticated app; the answer is the signed PDF."""
    body = await request.body()
    if not body:
        raise InvalidValue("body", "the request body is empty")
    headers = request.headers
    platform = platform_of(request)
    command = AuthenticateRemoteSigner(app_token=headers.get("x-esign-app-token", ""),
                                       timestamp=headers.get("x-esign-timestamp", ""),
                                       signature=headers.get("x-esign-signature", ""),
                                       body_sha256=hashlib.sha256(body).hexdigest())
    app = await anyio.to_thread.run_sync(platform.handle, command)
    signed = await anyio.to_thread.run_sync(lambda: platform.remote_sign(body, app_name=app.name))
    return Response(signed, media_type="application/pdf", headers={"cache-control": "no-store"})


remote_signer_router = Router(path="/api/remote-signer/v1", route_handlers=[remote_sign], include_in_schema=False)
