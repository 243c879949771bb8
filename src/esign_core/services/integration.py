"""Integration apps (集成中心 → 应用接入, manual 五.1.2): create one (the AppToken and AppSecret
are shown once), reset its secret (the new one shown once, the old one refused at once), and
change what it may do. Changes are audited (section ``integration.apps``). Authentication of
the requests an app signs is :mod:`esign_core.services.open_auth` (re-exported here)."""

from __future__ import annotations

import secrets as random_secrets
from collections.abc import Sequence

import attrs

from esign_core.errors import AlreadyExists, InvalidValue, NotFoundError
from esign_core.model.audit import Actor, audit_record
from esign_core.model.integration import (
    APP_SECRET_PURPOSE,
    AuthScheme,
    IntegrationApp,
    SealScope,
    check_app_name,
)
from esign_core.ports import Clock, IdGenerator, SecretBox, UnitOfWork
from esign_core.services.commands import Command
from esign_core.services.contract_refs import INTERNAL, internal_enterprise
from esign_core.services.open_auth import (
    AUTH_API_CODE,
    TIMESTAMP_TOLERANCE_S,
    AuthenticateApp,
    OpenAuthRefused,
    authenticate_app,
    request_signature,
)

__all__ = ["AUTH_API_CODE", "TIMESTAMP_TOLERANCE_S", "AppCredentials", "AuthenticateApp", "ChangeApp", "CreateApp",
           "OpenAuthRefused", "ResetAppSecret", "authenticate_app", "change_app", "create_app", "request_signature",
           "reset_app_secret"]

AUDIT_SECTION = "integration.apps"


@attrs.frozen(kw_only=True)
class CreateApp(Command):
    """A new app acting for ``tenant_name`` (default: the platform enterprise) and signing as
    ``member_id`` (default: that enterprise's administrator). ``name``: at most 30 characters."""

    name: str
    tenant_name: str | None = None
    member_id: int | None = None
    legacy_static_signature: bool = False
    actor: str = "cli"
    ip: str | None = None


@attrs.frozen
class AppCredentials:
    """What is shown once: the AppSecret is never readable again (stored sealed)."""

    app_id: int
    app_token: str
    app_secret: str = attrs.field(repr=False)


@attrs.frozen(kw_only=True)
class ResetAppSecret(Command):
    """重置 AppSecret: a new secret, shown once; the old one stops working at once."""

    app_id: int
    actor: str = "cli"
    ip: str | None = None


@attrs.frozen(kw_only=True)
class ChangeApp(Command):
    """Change an app; every field left None stays as it is. ``seal_ids`` is used with
    ``seal_scope`` CUSTOM; ``ip_allow`` / ``ip_deny`` are single addresses or CIDR blocks."""

    app_id: int
    name: str | None = None
    enabled: bool | None = None
    schemes: frozenset[AuthScheme] | None = None
    legacy_static_signature: bool | None = None
    personal_auth_url: str | None = None
    enterprise_auth_url: str | None = None
    seal_scope: SealScope | None = None
    seal_ids: Sequence[int] | None = None
    ip_allow: Sequence[str] | None = None
    ip_deny: Sequence[str] | None = None
    sso_enabled: bool | None = None
    actor: str = "cli"
    ip: str | None = None


def _new_secret() -> str:
    return random_secrets.token_hex(32)


def _audit(uow: UnitOfWork, cmd: CreateApp | ResetAppSecret | ChangeApp, app: IntegrationApp, summary: str,
           changes: dict[str, list[object]], clock: Clock) -> None:
    uow.evidence.append(audit_record(AUDIT_SECTION, changes, actor=Actor(cmd.actor, cmd.ip), at=clock.now(),
                                     summary=f"{summary} {app.name} ({app.id})"))


def create_app(cmd: CreateApp, *, uow: UnitOfWork, ids: IdGenerator, clock: Clock,
               secrets: SecretBox) -> AppCredentials:
    """Create the app; the secret is returned here only and stored sealed. Raises NotFoundError
    (enterprise, member), InvalidValue (blank name, longer than 30 characters), AlreadyExists
    (name taken)."""
    name = check_app_name(cmd.name)
    token = random_secrets.token_hex(16)
    secret = _new_secret()
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
        if any(a.name == name for a in uow.apps.list()):
            raise AlreadyExists(f"an app named {name!r} already exists", field="name")
        app = IntegrationApp(id=ids.next_id(), name=name, app_token=token,
                             sealed_secret=secrets.seal(secret.encode(), purpose=APP_SECRET_PURPOSE),
                             tenant_id=tenant.id, member_id=member_id,
                             legacy_static_signature=cmd.legacy_static_signature, created_at=clock.now())
        uow.apps.add(app)
        _audit(uow, cmd, app, "create", {"name": [None, name], "app_token": [None, token]}, clock)
        uow.commit()
    return AppCredentials(app.id, token, secret)


def reset_app_secret(cmd: ResetAppSecret, *, uow: UnitOfWork, clock: Clock, secrets: SecretBox) -> AppCredentials:
    """A new AppSecret, returned here only. Raises NotFoundError."""
    secret = _new_secret()
    with uow:
        app = uow.apps.get(cmd.app_id)
        app.reset_secret(secrets.seal(secret.encode(), purpose=APP_SECRET_PURPOSE), at=clock.now())
        _audit(uow, cmd, app, "reset secret of", {"app_secret": ["******", "******"]}, clock)
        uow.commit()
    return AppCredentials(app.id, app.app_token, secret)


def _check_seals(uow: UnitOfWork, seal_ids: Sequence[int]) -> None:
    """Every listed seal exists and belongs to an internal enterprise."""
    for seal_id in seal_ids:
        seal = uow.seals.get(seal_id)
        owner = uow.organizations.get(seal.owner_id)
        if owner.tenant_type not in INTERNAL:
            raise InvalidValue("seal_ids", f"the seal {seal.name} is not a seal of an internal enterprise",
                               seal_id=str(seal_id))


def _snapshot(app: IntegrationApp) -> dict[str, object]:
    return {"name": app.name, "enabled": app.enabled, "schemes": sorted(s.value for s in app.accepted_schemes),
            "legacy_static_signature": app.legacy_static_signature, "personal_auth_url": app.personal_auth_url,
            "enterprise_auth_url": app.enterprise_auth_url, "seal_scope": app.seal_scope.value,
            "seal_ids": sorted(str(i) for i in app.callable_seal_ids), "ip_allow": list(app.ip_allow),
            "ip_deny": list(app.ip_deny), "sso_enabled": app.sso_enabled}


def change_app(cmd: ChangeApp, *, uow: UnitOfWork, clock: Clock) -> IntegrationApp:
    """Apply the given changes together (all or nothing). Raises NotFoundError (app, seal),
    InvalidValue (name, URL, IP entry, no scheme, a seal outside the internal enterprises),
    AlreadyExists (name taken)."""
    with uow:
        app = uow.apps.get(cmd.app_id)
        before = _snapshot(app)
        if cmd.name is not None and cmd.name.strip() != app.name:
            app.rename(cmd.name)
            if any(a.name == app.name and a.id != app.id for a in uow.apps.list()):
                raise AlreadyExists(f"an app named {app.name!r} already exists", field="name")
        if cmd.enabled is not None:
            app.enable() if cmd.enabled else app.disable()
        if cmd.schemes is not None:
            app.accept_schemes(cmd.schemes)
        if cmd.legacy_static_signature is not None:
            app.allow_legacy_static_signature(cmd.legacy_static_signature)
        if cmd.personal_auth_url is not None or cmd.enterprise_auth_url is not None:
            app.set_auth_callbacks(
                personal_url=app.personal_auth_url if cmd.personal_auth_url is None else cmd.personal_auth_url,
                enterprise_url=app.enterprise_auth_url if cmd.enterprise_auth_url is None else cmd.enterprise_auth_url)
        if cmd.seal_scope is not None or cmd.seal_ids is not None:
            scope = cmd.seal_scope or app.seal_scope
            seal_ids = tuple(cmd.seal_ids) if cmd.seal_ids is not None else tuple(app.callable_seal_ids)
            if scope is SealScope.CUSTOM:
                _check_seals(uow, seal_ids)
            app.set_callable_seals(scope, seal_ids)
        if cmd.ip_allow is not None or cmd.ip_deny is not None:
            app.set_ip_lists(allow=app.ip_allow if cmd.ip_allow is None else cmd.ip_allow,
                             deny=app.ip_deny if cmd.ip_deny is None else cmd.ip_deny)
        if cmd.sso_enabled is not None:
            app.allow_sso(cmd.sso_enabled)
        after = _snapshot(app)
        changes = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
        if changes:
            _audit(uow, cmd, app, "change", changes, clock)
        uow.commit()
    return app
