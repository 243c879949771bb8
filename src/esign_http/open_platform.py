"""The open API compatible with the product we replace (``/open``; see reference/open-api-v4.md
and docs/open-api.md).

Every JSON answer is the envelope ``{"code": 0, "message": "SUCCESS", …}`` with the payload
flat beside ``code``/``message`` or wrapped in ``result``, as each endpoint of the original
does; failures are enveloped by :mod:`esign_http.errors`. Every request but ``/checkHealth``
(plain ``OK``) must be signed by an integration app (:mod:`esign_http.open_auth`).
"""

from __future__ import annotations

from litestar import Router, get

from esign_http.open_auth import PUBLIC, open_app_guard
from esign_http.open_contracts import CONTRACT_HANDLERS
from esign_http.open_documents import DOCUMENT_HANDLERS
from esign_http.open_schemas import SUCCESS_CODE, SUCCESS_MESSAGE, envelope
from esign_http.open_seal_used import SEAL_USED_HANDLERS
from esign_http.open_seals import SEAL_APPLY_HANDLERS
from esign_http.open_signurl import SIGNURL_HANDLERS
from esign_http.open_templates import TEMPLATE_HANDLERS

__all__ = ["SUCCESS_CODE", "SUCCESS_MESSAGE", "envelope", "open_router"]


@get("/checkHealth", media_type="text/plain", opt={PUBLIC: True})
async def check_health() -> str:
    """Plain ``OK`` (2.16 Health check)."""
    return "OK"


open_router = Router(path="/open", route_handlers=[check_health, *DOCUMENT_HANDLERS, *CONTRACT_HANDLERS,
                                                         *SIGNURL_HANDLERS, *TEMPLATE_HANDLERS, *SEAL_APPLY_HANDLERS,
                                                         *SEAL_USED_HANDLERS],
                     guards=[open_app_guard], include_in_schema=False)
