"""Roles, admin accounts, dynamic tokens and the audit trail through the bus with the fakes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from esign_core.bus import build_bus
from esign_core.errors import AlreadyExists, AuthenticationFailed, InvalidTransition, InvalidValue
from esign_core.model.audit import AuditQuery
from esign_core.model.policy import LoginSettings, PasswordPolicy
from esign_core.model.user import Permission, Role
from esign_core.services.admins import (
    RESET_MARK,
    BindTotp,
    ChangeAdminAccount,
    ChangeOwnPassword,
    ChangeRole,
    CreateAdminAccount,
    CreateRole,
    totp_secret,
)
from esign_core.services.audit import search_audit
from esign_core.services.auth import login_status
from esign_core.services.commands import ChangeSettings, LoginAdmin
from esign_core.services.messaging import ConfigureMail
from esign_core.testing import FixedClock, InMemoryUnitOfWork, PlainPasswordHasher, SequentialIds, XorSecretBox


class World:
    """The bus wired with fakes, including a SecretBox (for the dynamic-token secrets)."""

    def __init__(self) -> None:
        self.uow, self.clock, self.ids = InMemoryUnitOfWork(), FixedClock(), SequentialIds()
        self.secrets = XorSecretBox()
        self.bus = build_bus(uow=self.uow, clock=self.clock, ids=self.ids, hasher=PlainPasswordHasher(),
                             secrets=self.secrets)

    def handle(self, command):  # type: ignore[no-untyped-def]
        return self.bus.handle(command)




@pytest.fixture
def platform() -> World:
    return World()


def _account(platform: World, username: str = "ops", password: str = "Kfcq7293x", **kw) -> int:  # type: ignore[no-untyped-def]
    role = platform.handle(CreateRole(f"运维-{username}", "ops", frozenset({Permission.SETTINGS_SYSTEM_VIEW}),
                                      actor="root"))
    return platform.handle(CreateAdminAccount(username, password, "运维", kw.get("mobile", ""), frozenset({role}),
                                              actor="root", ip="10.0.0.1"))


def test_creating_an_account_checks_the_password_policy_and_the_name(platform: World) -> None:
    with pytest.raises(InvalidValue):
        _account(platform, "weak", password="password1")
    _account(platform)
    with pytest.raises(AlreadyExists):
        platform.handle(CreateAdminAccount("ops", "Kfcq7293x"))


def test_changes_are_audited_with_actor_ip_and_masked_secrets(platform: World) -> None:
    account_id = _account(platform)
    platform.handle(ChangeSettings("password", {"strength": "STRONG"}, actor="root", ip="10.0.0.2"))
    platform.handle(ConfigureMail("ops@example.com", "smtp.example.com", 465, password="sealed-token", actor="root"))
    platform.handle(ChangeAdminAccount(account_id, "运维2", "", frozenset(), new_password="Zx9-qv7Lm2Q",
                                       actor="root"))
    entries = search_audit(AuditQuery(), uow=platform.uow)
    sections = [e.section for e in entries]
    assert {"roles", "accounts", "password", "mail"} <= set(sections)
    password = next(e for e in entries if e.section == "password")
    assert password.actor == "root" and password.ip == "10.0.0.2"
    assert password.changes == {"strength": ["NORMAL", "STRONG"]}
    mail = next(e for e in entries if e.section == "mail")
    assert mail.changes["password_secret_ref"] == ["", "******"]
    assert "sealed-token" not in repr(entries) and "Zx9-qv7Lm2Q" not in repr(entries)
    assert [e.section for e in search_audit(AuditQuery(section="password"), uow=platform.uow)] == ["password"]
    assert search_audit(AuditQuery(actor="nobody"), uow=platform.uow) == []


def test_an_unchanged_setting_is_not_audited(platform: World) -> None:
    platform.handle(ChangeSettings("print", {"mode": "BROWSER"}))
    assert search_audit(AuditQuery(section="print"), uow=platform.uow) == []


def test_the_built_in_role_cannot_be_changed(platform: World) -> None:
    with platform.uow:
        builtin = Role(id=7, name="超级管理员", permissions=frozenset(Permission), builtin=True)
        platform.uow.roles.add(builtin)
        platform.uow.commit()
    with pytest.raises(InvalidTransition):
        platform.handle(ChangeRole(builtin.id, "x", "", frozenset()))


def test_lockout_follows_the_policy(platform: World) -> None:
    _account(platform)
    platform.handle(ChangeSettings("password", {"lockout_threshold": "3", "lockout_minutes": "60"}))
    for _ in range(3):
        with pytest.raises(AuthenticationFailed):
            platform.handle(LoginAdmin("ops", "wrong"))
    with platform.uow:
        account = platform.uow.admins.by_username("ops")
    assert account.locked_until is not None
    assert account.locked_until - platform.clock.now() == timedelta(minutes=60)


def test_a_reset_or_expired_password_must_be_changed(platform: World) -> None:
    account_id = _account(platform)
    assert not login_status(account_id, uow=platform.uow, clock=platform.clock).password_expired
    platform.handle(ChangeAdminAccount(account_id, "运维", "", frozenset(), new_password="Zx9-qv7Lm2Q"))
    with platform.uow:
        assert platform.uow.admins.get(account_id).password_changed_at == RESET_MARK
    assert login_status(account_id, uow=platform.uow, clock=platform.clock).password_expired
    with pytest.raises(AuthenticationFailed):
        platform.handle(ChangeOwnPassword(account_id, "nope", "Yy8-pp7Kk1W"))
    with pytest.raises(InvalidValue):
        platform.handle(ChangeOwnPassword(account_id, "Zx9-qv7Lm2Q", "Zx9-qv7Lm2Q"))
    platform.handle(ChangeOwnPassword(account_id, "Zx9-qv7Lm2Q", "Yy8-pp7Kk1W"))
    assert not login_status(account_id, uow=platform.uow, clock=platform.clock).password_expired


def test_second_factor_is_the_token_when_bound_else_sms_when_required(platform: World) -> None:
    account_id = _account(platform, mobile="13812345678")
    assert login_status(account_id, uow=platform.uow, clock=platform.clock).second_factor is None
    platform.handle(ChangeSettings(LoginSettings.SECTION, {"mfa_required": "true"}))
    status = login_status(account_id, uow=platform.uow, clock=platform.clock)
    assert status.second_factor == "sms" and status.mobile == "13812345678"
    platform.handle(BindTotp(account_id=account_id, secret="JBSWY3DPEHPK3PXP"))
    with platform.uow:
        assert "JBSWY3DPEHPK3PXP" not in (platform.uow.admins.get(account_id).mfa_secret_ref or "")
    assert login_status(account_id, uow=platform.uow, clock=platform.clock).second_factor == "totp"
    assert totp_secret(account_id, uow=platform.uow, secrets=platform.secrets) == "JBSWY3DPEHPK3PXP"


def test_departed_policy_decides_freezing() -> None:
    assert LoginSettings().freeze_departed(has_files=True)
    assert not LoginSettings(departed_policy="NO_FREEZE").freeze_departed(has_files=False)
    policy = LoginSettings(departed_policy="FREEZE_IF_NO_FILES")
    assert policy.freeze_departed(has_files=False) and not policy.freeze_departed(has_files=True)


def test_password_policy_signing_rotation_is_separate() -> None:
    policy = PasswordPolicy(signing_rotation_enabled=True, signing_rotation_days=30)
    assert not policy.rotation_enabled
