"""Console login factors kept in the database, so that every server process agrees (ADR 0037):
the last accepted dynamic-token (TOTP) time-step of each admin account."""

from __future__ import annotations

import attrs

from esign_core.ports import UnitOfWork
from esign_core.services.commands import Command


@attrs.frozen(kw_only=True)
class AcceptTotpStep(Command):
    account_id: int
    step: int


def accept_totp_step(cmd: AcceptTotpStep, *, uow: UnitOfWork) -> None:
    """Record ``step`` as the account's last accepted TOTP time-step. Raises PermissionDenied
    when it is not after the last one (the code was already used, possibly on another worker);
    two workers accepting the same code at once conflict on the account's version, and the
    loser gets ConcurrencyError."""
    with uow:
        account = uow.admins.get(cmd.account_id)
        account.accept_totp_step(cmd.step)
        uow.commit()
