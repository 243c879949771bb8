"""Console authentication."""

from __future__ import annotations

from esign_core.errors import AuthenticationFailed
from esign_core.ports import Clock, PasswordHasher, UnitOfWork
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
            account.login_failed(now)
            uow.commit()
            raise AuthenticationFailed("wrong account or password")
        account.login_succeeded(now)
        uow.commit()
        return account.id
