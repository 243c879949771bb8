"""Server-side sessions for the console and the setup wizard.

The cookie ``esign_session`` only holds a random id; the data lives in a Litestar ``FileStore``
under ``<data_dir>/sessions``. That is enough for one node; a cluster needs a shared store (a
database-backed one is planned). Sessions expire after 30 minutes without a request (idle
timeout) and 12 hours after login (absolute timeout). The id is replaced at login so an id
planted before login is worthless (session fixation).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar.connection import ASGIConnection
from litestar.middleware.session.server_side import ServerSideSessionBackend, ServerSideSessionConfig
from litestar.stores.file import FileStore
from litestar.types import Empty, Message, ScopeSession

SESSION_COOKIE = "esign_session"
SESSION_STORE = "sessions"
IDLE_TIMEOUT_SECONDS = 30 * 60
ABSOLUTE_TIMEOUT_SECONDS = 12 * 60 * 60
_ROTATE = "esign.session.rotate"
_NEW_ID = "esign.session.new_id"
ACCOUNT_KEY = "account_id"
GENERATION_KEY = "generation"


class RotatingSessionBackend(ServerSideSessionBackend):
    """Litestar's server-side backend plus id rotation, and no session for anonymous visitors
    whose session is still empty (so crawlers do not fill the store with empty files)."""

    async def load_from_connection(self, connection: ASGIConnection[Any, Any, Any, Any]) -> dict[str, Any]:
        session_id = connection.cookies.get(self.config.key)
        if session_id and session_id != "null":
            data = await self.get(session_id, store=self.config.get_store_from_app(connection.scope["app"]))
            if data is not None:
                return self.deserialize_data(data)
            # Never adopt an id we did not issue (or that expired): a planted id must not become
            # a session the planter knows.
            connection.scope.setdefault("state", {})[_NEW_ID] = self.generate_session_id()  # type: ignore[misc]
        return {}

    def get_session_id(self, connection: ASGIConnection[Any, Any, Any, Any]) -> str:
        new_id = connection.scope.get("state", {}).get(_NEW_ID)
        return str(new_id) if new_id else super().get_session_id(connection)

    async def store_in_message(self, scope_session: ScopeSession, message: Message,
                               connection: ASGIConnection[Any, Any, Any, Any]) -> None:
        state = connection.scope.setdefault("state", {})  # type: ignore[misc]
        old_id = connection.cookies.get(self.config.key)
        if scope_session is not Empty and not scope_session and not old_id:
            return
        if scope_session is not Empty and not scope_session:
            scope_session = Empty
        elif state.pop(_ROTATE, False) and scope_session is not Empty:
            if old_id:
                await self.delete(old_id, store=self.config.get_store_from_app(connection.scope["app"]))
            state[_NEW_ID] = self.generate_session_id()
        await super().store_in_message(scope_session, message, connection)


class RotatingSessionConfig(ServerSideSessionConfig):
    """:class:`ServerSideSessionConfig` using :class:`RotatingSessionBackend`."""

    _backend_class = RotatingSessionBackend  # type: ignore[assignment]


def session_config(*, secure: bool) -> RotatingSessionConfig:
    """HttpOnly, SameSite=Lax, Secure when served over https; not used by ``/open`` or static files."""
    return RotatingSessionConfig(
        key=SESSION_COOKIE, max_age=IDLE_TIMEOUT_SECONDS, renew_on_access=True, httponly=True, samesite="lax",
        secure=secure, store=SESSION_STORE,
        exclude=["^/open(/|$)", "^/static/", "^/checkHealth$", "^/health$", "^/theme.css$"],
    )


def session_store(data_dir: Path) -> FileStore:
    return FileStore(data_dir / "sessions", create_directories=True)


def rotate_session(connection: ASGIConnection[Any, Any, Any, Any]) -> None:
    """Give this session a new id when the response is sent; the old id is deleted."""
    connection.scope.setdefault("state", {})[_ROTATE] = True  # type: ignore[misc]


def log_in(connection: ASGIConnection[Any, Any, Any, Any], *, account_id: int, username: str, now: float,
           generation: int = 0) -> None:
    """Start a fresh console session (wizard leftovers are dropped) under a new id, remembering
    the account's session generation (a later change of a login factor ends it)."""
    connection.set_session({ACCOUNT_KEY: str(account_id), "username": username, "login_at": now,
                            GENERATION_KEY: generation})
    rotate_session(connection)


def session_generation(connection: ASGIConnection[Any, Any, Any, Any]) -> int:
    """The account session generation this session was started (or last confirmed) under."""
    try:
        return int(connection.session.get(GENERATION_KEY, 0))
    except (TypeError, ValueError):
        return -1


def keep_generation(connection: ASGIConnection[Any, Any, Any, Any], generation: int) -> None:
    """After this session itself changed a login factor of its account: it stays logged in."""
    connection.session[GENERATION_KEY] = generation


def log_out(connection: ASGIConnection[Any, Any, Any, Any]) -> None:
    connection.clear_session()


def logged_in_account(connection: ASGIConnection[Any, Any, Any, Any], *, now: float) -> int | None:
    """The account id of a live login, or None (also when the absolute timeout has passed)."""
    if "session" not in connection.scope:
        return None
    session = connection.session
    raw = session.get(ACCOUNT_KEY)
    if not raw:
        return None
    if now - float(session.get("login_at", 0)) > ABSOLUTE_TIMEOUT_SECONDS:
        connection.clear_session()
        return None
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None
