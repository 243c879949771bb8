"""The 用户管理 pages need a console login and the USERS permission."""

from __future__ import annotations

from typing import Any

import anyio.to_thread
from litestar import Request

from esign_core.errors import PermissionDenied
from esign_core.model.user import Permission
from esign_http.access import account_of, console_gate
from esign_http.context import platform_of

AnyRequest = Request[Any, Any, Any]


async def users_gate(request: AnyRequest) -> Any:
    redirect = await console_gate(request)
    if redirect is not None:
        return redirect
    account = account_of(request)

    def permitted() -> bool:
        with platform_of(request).uow() as uow:
            roles = [uow.roles.find(rid) for rid in account.role_ids]
        return account.system or any(r is not None and Permission.USERS in r.permissions for r in roles)

    if not await anyio.to_thread.run_sync(permitted):
        raise PermissionDenied(f"the permission {Permission.USERS.value!r} is required")
    return None
