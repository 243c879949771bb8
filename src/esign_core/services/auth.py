"""Console authentication."""

from __future__ import annotations

import attrs

from esign_core.errors import AuthenticationFailed, DomainError
from esign_core.model.policy import LoginSettings, PasswordPolicy
from esign_core.ports import Clock, PasswordHasher, UnitOfWork
from esign_core.services.admins import RESET_MARK
from esign_core.services.commands import LoginAdmin

# Verified when the account does not exist, so that timing does not reveal which accounts exist.
_DUMMY_HASH_INPUT = "esign-no-such-account"


def login_admin(cmd: LoginAdmin, *, uow: UnitOfWork, hasher: PasswordHasher, clock: Clock) -> int:
    """Check a console login and return the account id.

    Raises AuthenticationFailed for an unknown account or wrong password (the same message for
    both), AccountLocked when the account is disabled or locked after repeated failures.
    Failures are counted and committed even though the call raises.
    """
    now = clock.now()
    with uow:
        account = uow.admins.by_username(cmd.username.strip())
        if account is None:
            hasher.verify(hasher.hash(_DUMMY_HASH_INPUT), cmd.password)
            raise AuthenticationFailed("wrong account or password")
        account.check_can_login(now)
        if not hasher.verify(account.password_hash, cmd.password):
            policy = uow.settings.get(PasswordPolicy)
            account.login_failed(now, max_failures=policy.lockout_threshold, lock_for=policy.lock_for)
            uow.commit()
            raise AuthenticationFailed("wrong account or password")
        account.login_succeeded(now)
        uow.commit()
        return account.id


@attrs.frozen
class LoginStatus:
    """What a console login still needs after the password: a new password (expired by the
    policy or reset by an administrator), and which second factor (``totp``, ``sms`` or none)."""

    password_expired: bool
    second_factor: str | None
    mobile: str | None = attrs.field(default=None, repr=False)
    generation: int = 0  # the account's session generation, kept in the new session


def login_status(account_id: int, *, uow: UnitOfWork, clock: Clock) -> LoginStatus:
    """A bound dynamic token is always asked for; otherwise an SMS code when the 多因子登录认证
    switch is on. Raises DomainError when the switch is on and the account has neither a token
    nor a mobile number (an administrator must add one)."""
    with uow:
        account = uow.admins.get(account_id)
        policy = uow.settings.get(PasswordPolicy)
        mfa = uow.settings.get(LoginSettings).mfa_required
    expired = account.password_changed_at <= RESET_MARK or policy.login_password_expired(
        account.password_changed_at, clock.now())
    if account.mfa_secret_ref:
        return LoginStatus(expired, "totp", generation=account.session_generation)
    if mfa:
        if account.mobile is None:
            raise DomainError("multi-factor login is on but this account has no mobile number or dynamic token; "
                              "ask an administrator to add one", rule="NO_SECOND_FACTOR")
        return LoginStatus(expired, "sms", str(account.mobile), generation=account.session_generation)
    return LoginStatus(expired, None, generation=account.session_generation)
