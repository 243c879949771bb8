"""Who may see what: activation gates, console login, safe redirects.

The hooks are ``before_request`` handlers; they return a redirect to short-circuit a request
or ``None`` to let it through. Database work runs in a worker thread so the event loop never
blocks on it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlsplit

import anyio.to_thread
from litestar import Request
from litestar.exceptions import NotAuthorizedException
from litestar.response import Redirect

from esign_core.errors import AlreadyInitialized, PermissionDenied
from esign_core.model.permission_tree import allows, effective_permissions
from esign_core.model.user import AdminAccount, Permission
from esign_http.context import client_ip, initialized, now_seconds, platform_of
from esign_http.security import CSRF_HEADER, csrf_header_valid
from esign_http.sessions import keep_generation, logged_in_account, session_generation

AnyRequest = Request[Any, Any, Any]
SETUP_PATH = "/setup"
LOGIN_PATH = "/console/login"
CONSOLE_PATH = "/console"


def safe_next(value: str | None, default: str = CONSOLE_PATH) -> str:
    """A redirect target only if it is a path on this site (no open redirect)."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return default
    if any(c in value for c in "\\\r\n\t") or any(ord(c) < 32 for c in value):
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return default
    return value


async def require_initialized(request: AnyRequest) -> Redirect | None:
    """Console and portal pages exist only after activation: send everyone to the wizard."""
    if not await anyio.to_thread.run_sync(initialized, request):
        return Redirect(SETUP_PATH)
    return None


async def setup_gate(request: AnyRequest) -> Redirect | None:
    """The wizard runs once: afterwards its pages lead to the login and its forms are refused."""
    if not await anyio.to_thread.run_sync(initialized, request):
        return None
    if request.route_handler.opt.get("after_activation"):
        return None
    if request.method in ("GET", "HEAD"):
        return Redirect(LOGIN_PATH)
    raise AlreadyInitialized("the platform is already activated; the setup wizard runs only once")


def _load_account(request: AnyRequest, account_id: int) -> AdminAccount | None:
    with platform_of(request).uow() as uow:
        account = uow.admins.find(account_id)
    if account is None or account.disabled:
        return None
    return account


async def current_account(request: AnyRequest) -> AdminAccount | None:
    """The logged-in console account; a disabled or deleted account ends the session, and so
    does a change of one of its login factors made elsewhere (its session generation moved on)."""
    account_id = logged_in_account(request, now=now_seconds(platform_of(request)))
    if account_id is None:
        return None
    account = await anyio.to_thread.run_sync(_load_account, request, account_id)
    if account is None or account.session_generation != session_generation(request):
        request.clear_session()
        return None
    return account


def keep_own_session(request: AnyRequest) -> None:
    """Call after the logged-in account changed one of its own login factors from this session:
    its other sessions end, this one continues under the new generation."""
    account = _load_account(request, account_of(request).id)
    if account is not None:
        keep_generation(request, account.session_generation)


#: ``opt={"permission": LOGIN_ONLY}``: any logged-in account (the dashboard, its own password).
LOGIN_ONLY = "login-only"
CHANGE_PASSWORD_PATH = "/console/account/password"
MUST_CHANGE_PASSWORD = "must_change_password"


def _effective_permissions(request: AnyRequest, account: AdminAccount) -> frozenset[Permission]:
    with platform_of(request).uow() as uow:
        roles = [uow.roles.find(rid) for rid in account.role_ids]
    return effective_permissions(account, roles)


async def console_gate(request: AnyRequest) -> Redirect | None:
    """The one guard of every console route: activation first, then (unless ``public``) a
    login, then the permission the route handler declares in ``opt["permission"]`` (a
    :class:`Permission`, or :data:`LOGIN_ONLY`); a route that declares none is refused, so a
    forgotten declaration fails closed. Raises PermissionDenied (403) for a missing permission.
    An account whose password expired (or was reset) is sent to the change-password page."""
    redirect = await require_initialized(request)
    opt = request.route_handler.opt
    if redirect is not None or opt.get("public"):
        return redirect
    account = await current_account(request)
    if account is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return Redirect(f"{LOGIN_PATH}?next={quote(target, safe='/')}")
    state = request.scope.setdefault("state", {})  # type: ignore[misc]
    state["esign.account"] = account
    held = await anyio.to_thread.run_sync(_effective_permissions, request, account)
    state["esign.permissions"] = held
    if request.session.get(MUST_CHANGE_PASSWORD) and not opt.get("password_change"):
        return Redirect(CHANGE_PASSWORD_PATH)
    needed = opt.get("permission")
    if needed == LOGIN_ONLY:
        return None
    if not isinstance(needed, Permission):
        raise PermissionDenied("this console route declares no permission")
    if not allows(held, needed):
        raise PermissionDenied(f"the permission {needed.value!r} is required", permission=needed.value)
    return None


def permissions_of(request: AnyRequest) -> frozenset[Permission]:
    """What the account :func:`console_gate` let through may do (empty before the gate)."""
    state = request.scope.get("state") or {}
    return state.get("esign.permissions", frozenset())  # type: ignore[no-any-return]


def account_of(request: AnyRequest) -> AdminAccount:
    """The account :func:`console_gate` or :func:`api_gate` let through."""
    return request.scope["state"]["esign.account"]  # type: ignore[no-any-return]


def by(request: AnyRequest, command: Any) -> Any:
    """``command`` as changed by the logged-in account from the client's address (its ``actor``
    and ``ip`` fields, recorded in the audit)."""
    import attrs

    return attrs.evolve(command, actor=account_of(request).username, ip=client_ip(request))



async def api_gate(request: AnyRequest) -> None:
    """REST API routes marked ``permission``: a console session for now (API tokens later).

    Cookie-authenticated calls that change something must carry the CSRF token in the
    ``x-csrftoken`` header, since the CSRF middleware skips ``/api``."""
    needed = request.route_handler.opt.get("permission")
    if needed is None:
        return
    account = await current_account(request)
    if account is None:
        raise NotAuthorizedException("a console login is required")
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        config = request.app.state["csrf_config"]
        if not csrf_header_valid(config, request.cookies.get(config.cookie_name), request.headers.get(CSRF_HEADER)):
            raise PermissionDenied("the x-csrftoken header is missing or does not match the CSRF cookie")
    if not allows(await anyio.to_thread.run_sync(_effective_permissions, request, account), needed):
        raise PermissionDenied(f"the permission {needed.value!r} is required")
    request.scope.setdefault("state", {})["esign.account"] = account  # type: ignore[misc]
