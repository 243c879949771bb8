"""Signing-service access (签署服务接入, manual 五.2): configure the providers the dispatcher
spreads signing calls over, and authenticate another esign instance calling our remote-signer
endpoint (docs/adr/0048-remote-signer-protocol.md)."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import attrs

from esign_core.errors import AuthenticationFailed, InvalidValue, NotFoundError
from esign_core.model.audit import Actor, audit_record, diff
from esign_core.model.integration import APP_SECRET_PURPOSE, IntegrationApp
from esign_core.model.signing_service import (
    LOCAL,
    SECRET_PURPOSE,
    SECRET_SUFFIX,
    SigningProvider,
    SigningServiceSettings,
    provider_name,
)
from esign_core.ports import Clock, SecretBox, UnitOfWork
from esign_core.services.commands import Command

#: How far a remote-signer request's timestamp may be from our clock (seconds).
REMOTE_TIMESTAMP_TOLERANCE_S = 300


@attrs.frozen
class ConfigureSigningProvider(Command):
    """Add or change one provider. ``secrets`` are sealed (an empty value keeps the sealed one);
    ``config`` holds the other settings (e.g. ``url``, ``app_token``, ``timeout``)."""

    name: str
    kind: str
    label: str
    weight: int = 1
    enabled: bool = True
    config: dict[str, Any] = attrs.field(factory=dict, hash=False)
    secrets: dict[str, str] = attrs.field(factory=dict, repr=False, hash=False)
    actor: str | None = None
    ip: str | None = None


@attrs.frozen
class RemoveSigningProvider(Command):
    name: str
    actor: str | None = None
    ip: str | None = None


@attrs.frozen
class SetSigningFailover(Command):
    enabled: bool
    actor: str | None = None
    ip: str | None = None


@attrs.frozen
class AuthenticateRemoteSigner(Command):
    """The headers of a remote-signer request and the SHA-256 of its body (hex)."""

    app_token: str
    timestamp: str
    signature: str = attrs.field(repr=False)
    body_sha256: str


def remote_signature(secret: str, *, token: str, timestamp: str, body_sha256: str) -> str:
    """``v1=`` + hex HMAC-SHA256(secret, ``"<timestamp>.<token>.<sha256 of body>"``): what the
    caller sends in ``X-Esign-Signature`` and what we recompute."""
    message = f"{timestamp}.{token}.{body_sha256}".encode()
    return "v1=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def _view(settings: SigningServiceSettings) -> dict[str, Any]:
    return {"providers": {str(p["name"]): dict(p) for p in settings.providers}, "failover": settings.failover}


def _store(uow: UnitOfWork, current: SigningServiceSettings, updated: SigningServiceSettings,
           cmd: ConfigureSigningProvider | RemoveSigningProvider | SetSigningFailover, clock: Clock) -> None:
    """Stage the settings and their audit record (sealed secrets masked) in the open unit of work."""
    uow.settings.put(updated)
    changes = diff(_view(current), _view(updated))
    if changes:
        uow.evidence.append(audit_record(SigningServiceSettings.SECTION, changes,
                                         actor=Actor(cmd.actor or "cli", cmd.ip), at=clock.now()))


def configure_signing_provider(cmd: ConfigureSigningProvider, *, uow: UnitOfWork, secrets: SecretBox,
                               clock: Clock) -> None:
    """Save one provider in 签署服务接入. Raises InvalidValue (bad name, kind, weight, label, a
    config key ending in ``_secret_ref``, a local provider when one exists under another name,
    or no provider left enabled)."""
    name = provider_name(cmd.name)
    with uow:
        current = uow.settings.get(SigningServiceSettings)
        old = current.find(name) if current.providers else None
        config = {str(k): v for k, v in cmd.config.items()}
        if any(k.endswith(SECRET_SUFFIX) for k in config):
            raise InvalidValue("config", "secrets are given separately and sealed")
        if old is not None:  # keep sealed secrets that were not re-entered
            config.update({k: v for k, v in old.config.items() if k.endswith(SECRET_SUFFIX)})
        for key, value in cmd.secrets.items():
            if value:
                config[f"{key}{SECRET_SUFFIX}"] = secrets.seal(value.encode(), purpose=SECRET_PURPOSE)
        provider = SigningProvider(name=name, kind=cmd.kind, label=cmd.label, weight=cmd.weight,
                                   enabled=cmd.enabled, config=config)
        others = [p for p in current.provider_list() if p.name != name] if current.providers else []
        if provider.kind == LOCAL and any(p.kind == LOCAL for p in others):
            raise InvalidValue("kind", "the local engine is configured already")
        if not provider.enabled and not any(p.enabled for p in others):
            raise InvalidValue("enabled", "at least one enabled signing provider must remain")
        providers = [p.to_dict() for p in others] + [provider.to_dict()]
        _store(uow, current, SigningServiceSettings(providers=providers, failover=current.failover), cmd, clock)
        uow.commit()


def remove_signing_provider(cmd: RemoveSigningProvider, *, uow: UnitOfWork, clock: Clock) -> None:
    """Remove a provider. Raises NotFoundError, InvalidValue when it is the last enabled one."""
    name = provider_name(cmd.name)
    with uow:
        current = uow.settings.get(SigningServiceSettings)
        if current.find(name) is None or not current.providers:
            raise NotFoundError("no signing provider of that name", field="name", name=name)
        rest = [p for p in current.provider_list() if p.name != name]
        if not any(p.enabled for p in rest):
            raise InvalidValue("name", "at least one enabled signing provider must remain")
        updated = SigningServiceSettings(providers=[p.to_dict() for p in rest], failover=current.failover)
        _store(uow, current, updated, cmd, clock)
        uow.commit()


def set_signing_failover(cmd: SetSigningFailover, *, uow: UnitOfWork, clock: Clock) -> None:
    """失败转移策略: on, a failed call goes on to the next provider; off, it fails at once."""
    with uow:
        current = uow.settings.get(SigningServiceSettings)
        _store(uow, current, SigningServiceSettings(providers=list(current.providers), failover=cmd.enabled), cmd,
               clock)
        uow.commit()


def authenticate_remote_signer(cmd: AuthenticateRemoteSigner, *, uow: UnitOfWork, clock: Clock,
                               secrets: SecretBox) -> IntegrationApp:
    """The enabled integration app whose secret signed this request (timestamp in Unix seconds,
    within five minutes). Raises AuthenticationFailed without saying which check failed."""
    with uow:
        app = uow.apps.by_token(cmd.app_token) if cmd.app_token else None
    secret = secrets.open(app.sealed_secret, purpose=APP_SECRET_PURPOSE).decode() if app else "-"
    expected = remote_signature(secret, token=cmd.app_token, timestamp=cmd.timestamp, body_sha256=cmd.body_sha256)
    matches = hmac.compare_digest(expected.encode(), cmd.signature.strip().encode())
    fresh = cmd.timestamp.isdecimal() and len(cmd.timestamp) <= 12 and \
        abs(int(cmd.timestamp) - clock.now().timestamp()) <= REMOTE_TIMESTAMP_TOLERANCE_S
    if app is None or not matches or not app.enabled or not fresh:
        raise AuthenticationFailed("invalid remote-signer credentials or signature")
    return app
