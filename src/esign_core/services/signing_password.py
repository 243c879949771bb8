"""The signing password (manual 三.1.2: signers verify "by signing password or SMS code"): a
person sets it once verified by SMS, and may then sign with it instead of a code."""

from __future__ import annotations

import attrs

from esign_core.errors import CredentialExpired, DomainError, InvalidValue, NotFoundError, PermissionDenied
from esign_core.model.evidence import EvidenceRecord
from esign_core.model.installation import QuotaKind
from esign_core.model.policy import PasswordPolicy
from esign_core.model.user import PersonalUser
from esign_core.ports import Clock, IdGenerator, PasswordHasher, UnitOfWork
from esign_core.services.commands import Command
from esign_core.services.licensing import check_quota
from esign_core.values import Email, Phone, contact_of

MIN_LENGTH, MAX_LENGTH = 6, 32


@attrs.frozen(kw_only=True)
class SetSigningPassword(Command):
    account: str  # mobile or e-mail
    password: str = attrs.field(repr=False)
    name: str | None = None  # creates the person's account when there is none yet
    ip: str | None = None


@attrs.frozen(kw_only=True)
class CheckSigningPassword(Command):
    account: str
    password: str = attrs.field(repr=False)


def set_signing_password(
    cmd: SetSigningPassword, *, uow: UnitOfWork, hasher: PasswordHasher, clock: Clock, ids: IdGenerator,
) -> None:
    """Set or replace the person's signing password (6 to 32 characters, not all the same, and
    meeting the password policy's strength level and common-password list). A signer who never
    signed has no account yet: with ``name`` it is created (an outside user, counted against the
    licence). Raises InvalidValue (``password``, a bad account), NotFoundError (no such person and
    no name), QuotaExceeded."""
    password = cmd.password
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        raise InvalidValue("password", f"the signing password has {MIN_LENGTH} to {MAX_LENGTH} characters")
    if len(set(password)) == 1:
        raise InvalidValue("password", "the signing password must not repeat one character")
    with uow:
        uow.settings.get(PasswordPolicy).check(password, field="password")
        user = uow.users.by_account(cmd.account)
        if user is None and cmd.name:
            check_quota(uow, QuotaKind.EXTERNAL_USERS, clock=clock)
            user = uow.users.by_account(cmd.account)
            if user is None:
                parsed = contact_of(cmd.account)
                user = PersonalUser(id=ids.next_id(), name=cmd.name, created_at=clock.now(),
                                    mobile=parsed if isinstance(parsed, Phone) else None,
                                    email=parsed if isinstance(parsed, Email) else None)
                uow.users.add(user)
        if user is None:
            raise NotFoundError("no such person", field="account")
        user.set_signing_password(hasher.hash(password), at=clock.now())
        uow.evidence.append(EvidenceRecord(action="user.signing_password_set", at=clock.now(), contract_id=None,
                                           actor=user.account, ip=cmd.ip, details={"user_id": str(user.id)}))
        uow.commit()


def has_signing_password(account: str, *, uow: UnitOfWork) -> bool:
    """Whether the person has set a signing password (inside an open unit of work)."""
    user = uow.users.by_account(account)
    return user is not None and user.signing_password_hash is not None


def check_signing_password(cmd: CheckSigningPassword, *, uow: UnitOfWork, hasher: PasswordHasher,
                           clock: Clock) -> None:
    """Accept the person's signing password or raise PermissionDenied (wrong password, field
    ``password``), CredentialExpired (right, but the policy's signing-password period has passed
    since it was set: verify by SMS and set a new one) or DomainError (none set). Counting and
    locking failed tries is the caller's."""
    with uow:
        user = uow.users.by_account(cmd.account)
        policy = uow.settings.get(PasswordPolicy)
    if user is None or user.signing_password_hash is None:
        raise DomainError("no signing password has been set; verify by SMS code", field="password")
    if not hasher.verify(user.signing_password_hash, cmd.password):
        raise PermissionDenied("the signing password is wrong", field="password")
    if policy.signing_rotation_enabled and (
        user.signing_password_changed_at is None or policy.signing_password_expired(
            user.signing_password_changed_at, clock.now())):
        raise CredentialExpired("the signing password has expired; verify by SMS code and set a new one",
                                field="password", days=policy.signing_rotation_days)
