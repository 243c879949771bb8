"""Our own REST API, ``/api/v1``, described by the OpenAPI schema at ``/api/v1/schema``.

Errors come back as RFC 9457 problem details (see :mod:`esign_http.errors`). Calls are
authenticated with the console session; changes then need the ``x-csrftoken`` header. The
document and contract endpoints (:mod:`esign_http.api_contracts`) also accept requests signed
by an integration app with the ``x-qys-*`` headers of the open API.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import metadata
from typing import Any

from litestar import Request, Router, get, put

from esign_core.errors import InvalidValue
from esign_core.model.user import Permission
from esign_core.services.commands import ChangeSettings
from esign_core.services.settings import get_settings
from esign_http.access import account_of, api_gate
from esign_http.api_contracts import contracts_router
from esign_http.api_problems import problems
from esign_http.context import client_ip, platform_of
from esign_http.pages import database_status

AnyRequest = Request[Any, Any, Any]
# Settings keys that hold references to encrypted secrets: neither shown nor settable here.
_SECRET_SUFFIX = "_secret_ref"


def app_version() -> str:
    try:
        return metadata.version("esign")
    except metadata.PackageNotFoundError:
        return "0+unknown"


@dataclass
class HealthOut:
    """Health of this node."""

    status: str
    version: str
    initialized: bool
    database: str


@get("/health", sync_to_thread=True, tags=["system"], summary="Health of this node")
def api_health(request: AnyRequest) -> HealthOut:
    """``database`` is ``ok``, ``not_migrated`` or ``unavailable``; no login needed."""
    platform = platform_of(request)
    database = database_status(platform)
    initialized = database == "ok" and platform.is_initialized()
    return HealthOut(status="ok" if database != "unavailable" else "unavailable", version=app_version(),
                     initialized=initialized, database=database)


def _public(values: dict[str, Any]) -> dict[str, Any]:
    # Sealed secrets stay on the server, also when nested (the storage section's ``config``).
    return {k: _public(v) if isinstance(v, dict) else v for k, v in values.items() if not k.endswith(_SECRET_SUFFIX)}


@get("/settings/{section:str}", sync_to_thread=True, tags=["settings"], summary="Read a settings section",
     opt={"permission": Permission.SETTINGS}, responses=problems(400, 401, 403))
def read_settings(request: AnyRequest, section: str) -> dict[str, Any]:
    """One section of the console settings (``display``, ``signing``, ``password``, …)."""
    return _public(get_settings(section, uow=platform_of(request).uow()).to_dict())


@put("/settings/{section:str}", sync_to_thread=True, tags=["settings"], summary="Change a settings section",
     opt={"permission": Permission.SETTINGS}, responses=problems(400, 401, 403, 409))
def change_settings(request: AnyRequest, section: str, data: dict[str, Any]) -> dict[str, Any]:
    """Change some keys of a section; unknown keys and bad values are refused (400) naming the key."""
    for key in data:
        if key.endswith(_SECRET_SUFFIX):
            raise InvalidValue(key, f"{key} cannot be set through this endpoint")
    updated = platform_of(request).handle(ChangeSettings(section=section, changes=data,
                                                         actor=account_of(request).username, ip=client_ip(request)))
    return _public(updated.to_dict())


api_router = Router(path="/api/v1", route_handlers=[api_health, read_settings, change_settings, contracts_router],
                    before_request=api_gate)
