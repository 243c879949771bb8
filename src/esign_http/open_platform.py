"""The open API compatible with the product we replace (``/open``; see reference/open-api-v4.md).

Every JSON answer is the envelope ``{"code": 0, "message": "SUCCESS", …}`` with the payload
flat beside ``code``/``message`` or wrapped in ``result``, as each endpoint of the original
does; failures are enveloped by :mod:`esign_http.errors`. ``/checkHealth`` answers plain ``OK``.
"""

from __future__ import annotations

from typing import Any

from litestar import Router, get

SUCCESS_CODE = 0
SUCCESS_MESSAGE = "SUCCESS"


def envelope(**payload: Any) -> dict[str, Any]:
    """A success answer. 64-bit ids must already be strings, as the open API sends them."""
    return {"code": SUCCESS_CODE, "message": SUCCESS_MESSAGE, **payload}


@get("/checkHealth", media_type="text/plain")
async def check_health() -> str:
    """Plain ``OK`` (2.16 Health check)."""
    return "OK"


open_router = Router(path="/open", route_handlers=[check_health], include_in_schema=False)
