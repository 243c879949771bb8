"""Integration apps: create one (the AppToken and AppSecret are shown once) and authenticate an
open-API request signed with them (reference §1.2: ``md5(token + secret + timestamp)``)."""

from __future__ import annotations

import hashlib
import hmac
import secrets as random_secrets

import attrs

from esign_core.errors import AlreadyExists, AuthenticationFailed, NotFoundError
from esign_core.model.integration import APP_SECRET_PURPOSE, IntegrationApp
from esign_core.ports import Clock, IdGenerator, SecretBox, UnitOfWork
from esign_core.services.commands import Command
from esign_core.services.contract_refs import internal_enterprise

#: How far a request's timestamp may be from the server clock.
TIMESTAMP_TOLERANCE_S = 300
#: The open-API code answered for every authentication failure (§1.5 names no auth code).
AUTH_API_CODE = 1000000


@attrs.frozen(kw_only=True)
class CreateApp(Command):
    """A new app acting for ``tenant_name`` (default: the platform enterprise) and signing as
    ``member_id`` (default: that enterprise's administrator)."""

    name: str
    tenant_name: str | None = None
    member_id: int | None = None
    legacy_static_signature: bool = False


@attrs.frozen
class AppCredentials:
    app_id: int
    app_token: str
    app_secret: str = attrs.field(repr=False)


@attrs.frozen(kw_only=True)
class AuthenticateApp(Command):
    """The three ``x-qys-*`` headers of one request."""

    app_token: str
    timestamp: str
    signature: str = attrs.field(repr=False)


def create_app(cmd: CreateApp, *, uow: UnitOfWork, ids: IdGenerator, clock: Clock,
               secrets: SecretBox) -> AppCredentials:
    """Create the app; the secret is returned here only and stored sealed. Raises NotFoundError
    (enterprise, member), InvalidValue (blank name), AlreadyExists (name taken)."""
    token = random_secrets.token_hex(16)
    secret = random_secrets.token_hex(32)
    with uow:
        if cmd.tenant_name:
            tenant = internal_enterprise(uow, cmd.tenant_name)
        else:
            tenant = uow.organizations.platform()  # type: ignore[assignment]
            if tenant is None:
                raise NotFoundError("the platform is not initialised", field="tenantName")
        member_id = cmd.member_id if cmd.member_id is not None else tenant.admin_member_id
        if member_id is not None:
            uow.members.get(member_id)
        if any(a.name == cmd.name.strip() for a in uow.apps.list()):
            raise AlreadyExists(f"an app named {cmd.name.strip()!r} already exists", field="name")
        app = IntegrationApp(id=ids.next_id(), name=cmd.name, app_token=token,
                             sealed_secret=secrets.seal(secret.encode(), purpose=APP_SECRET_PURPOSE),
                             tenant_id=tenant.id, member_id=member_id,
                             legacy_static_signature=cmd.legacy_static_signature, created_at=clock.now())
        uow.apps.add(app)
        uow.commit()
    return AppCredentials(app.id, token, secret)


def request_signature(token: str, secret: str, timestamp: str) -> str:
    """``md5(token + secret + timestamp)`` as 32 lowercase hex digits (what the SDK sends)."""
    return hashlib.md5((token + secret + timestamp).encode(), usedforsecurity=False).hexdigest()


def _fresh(app: IntegrationApp, timestamp: str, now_ms: int) -> bool:
    if timestamp == "0":
        return app.legacy_static_signature
    if not timestamp.isdecimal() or len(timestamp) > 16:
        return False
    return abs(int(timestamp) - now_ms) <= TIMESTAMP_TOLERANCE_S * 1000


def authenticate_app(cmd: AuthenticateApp, *, uow: UnitOfWork, clock: Clock, secrets: SecretBox) -> IntegrationApp:
    """The enabled app whose secret signed this request with a fresh timestamp. Raises
    AuthenticationFailed (``api_code`` 1000000) without saying which check failed."""
    with uow:
        app = uow.apps.by_token(cmd.app_token) if cmd.app_token else None
    # The signature is computed even for an unknown token so that the timing says nothing.
    secret = secrets.open(app.sealed_secret, purpose=APP_SECRET_PURPOSE).decode() if app else "-"
    expected = request_signature(cmd.app_token, secret, cmd.timestamp)
    matches = hmac.compare_digest(expected.encode(), cmd.signature.strip().lower().encode())
    now_ms = int(clock.now().timestamp() * 1000)
    if app is None or not matches or not app.enabled or not _fresh(app, cmd.timestamp, now_ms):
        raise AuthenticationFailed("invalid x-qys-accesstoken, x-qys-timestamp or x-qys-signature",
                                   api_code=AUTH_API_CODE)
    return app
