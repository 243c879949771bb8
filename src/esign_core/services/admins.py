"""Roles and console admin accounts (manual 一.5): create, change, passwords, dynamic tokens.

Every change is audited (sections ``roles`` and ``accounts``) in the same unit of work.
"""

from __future__ import annotations

from datetime import UTC, datetime

import attrs

from esign_core.errors import AlreadyExists, AuthenticationFailed, InvalidTransition, InvalidValue
from esign_core.model.audit import Actor, audit_record
from esign_core.model.policy import PasswordPolicy
from esign_core.model.user import AdminAccount, Permission, Role
from esign_core.ports import Clock, IdGenerator, PasswordHasher, SecretBox, UnitOfWork
from esign_core.services.commands import Command
from esign_core.values import Phone

TOTP_PURPOSE = "admin-totp"
#: ``password_changed_at`` of a password an administrator reset: its owner must change it.
RESET_MARK = datetime(1970, 1, 1, tzinfo=UTC)


@attrs.frozen
class _Audited(Command):
    actor: str = attrs.field(default="cli", kw_only=True)
    ip: str | None = attrs.field(default=None, kw_only=True)


@attrs.frozen
class CreateRole(_Audited):
    name: str
    description: str = ""
    permissions: frozenset[Permission] = frozenset()


@attrs.frozen
class ChangeRole(_Audited):
    role_id: int
    name: str
    description: str
    permissions: frozenset[Permission]


@attrs.frozen
class CreateAdminAccount(_Audited):
    username: str
    password: str = attrs.field(repr=False)
    display_name: str = ""
    mobile: str = ""
    role_ids: frozenset[int] = frozenset()


@attrs.frozen
class ChangeAdminAccount(_Audited):
    account_id: int
    display_name: str
    mobile: str
    role_ids: frozenset[int]
    disabled: bool = False
    new_password: str = attrs.field(default="", repr=False)  # an administrator's reset; empty keeps it


@attrs.frozen
class ChangeOwnPassword(_Audited):
    account_id: int
    current_password: str = attrs.field(repr=False)
    new_password: str = attrs.field(repr=False)


@attrs.frozen
class BindTotp(_Audited):
    """Bind a dynamic token: the caller checked a code made from ``secret`` (base32)."""

    account_id: int
    secret: str = attrs.field(repr=False)
    step: int | None = None  # time-step of the confirming code: not accepted again at login


@attrs.frozen
class UnbindTotp(_Audited):
    account_id: int


def _record(uow: UnitOfWork, section: str, summary: str, changes: dict[str, list[object]], cmd: _Audited,
            clock: Clock) -> None:
    uow.evidence.append(audit_record(section, changes, actor=Actor(cmd.actor, cmd.ip), at=clock.now(),
                                     summary=summary))


def _perm_values(perms: frozenset[Permission]) -> list[str]:
    return sorted(p.value for p in perms)


def create_role(cmd: CreateRole, *, uow: UnitOfWork, ids: IdGenerator, clock: Clock) -> int:
    """Raises AlreadyExists for a taken name, InvalidValue for a bad name."""
    with uow:
        if uow.roles.by_name(cmd.name.strip()) is not None:
            raise AlreadyExists("a role with this name already exists", field="name")
        role = Role(id=ids.next_id(), name=cmd.name, description=cmd.description.strip()[:200],
                    permissions=frozenset(cmd.permissions))
        uow.roles.add(role)
        _record(uow, "roles", f"create {role.name}", {"permissions": [[], _perm_values(role.permissions)]}, cmd,
                clock)
        uow.commit()
        return role.id


def change_role(cmd: ChangeRole, *, uow: UnitOfWork, clock: Clock) -> None:
    """Raises InvalidTransition for the built-in super-admin role, AlreadyExists for a taken name."""
    with uow:
        role = uow.roles.get(cmd.role_id)
        other = uow.roles.by_name(cmd.name.strip())
        if other is not None and other.id != role.id:
            raise AlreadyExists("a role with this name already exists", field="name")
        before = {"name": role.name, "description": role.description, "permissions": _perm_values(role.permissions)}
        role.describe(name=cmd.name, description=cmd.description)
        role.set_permissions(frozenset(cmd.permissions))
        after = {"name": role.name, "description": role.description, "permissions": _perm_values(role.permissions)}
        changes = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
        if changes:
            _record(uow, "roles", f"change {role.name}", changes, cmd, clock)
        uow.commit()


def _phone(value: str) -> Phone | None:
    return Phone(value) if value and value.strip() else None


def _role_names(uow: UnitOfWork, role_ids: frozenset[int]) -> list[str]:
    """For the audit: role names rather than ids."""
    return sorted((r.name if (r := uow.roles.find(rid)) is not None else str(rid)) for rid in role_ids)


def _check_roles(uow: UnitOfWork, role_ids: frozenset[int]) -> None:
    for rid in role_ids:
        if uow.roles.find(rid) is None:
            raise InvalidValue("role_ids", f"no role {rid}")


def create_admin_account(cmd: CreateAdminAccount, *, uow: UnitOfWork, ids: IdGenerator, hasher: PasswordHasher,
                         clock: Clock) -> int:
    """Raises AlreadyExists for a taken account name, InvalidValue for a weak password (by the
    password policy), a bad mobile or an unknown role."""
    with uow:
        policy = uow.settings.get(PasswordPolicy)
        policy.check(cmd.password)
        if uow.admins.by_username(cmd.username.strip()) is not None:
            raise AlreadyExists("an account with this name already exists", field="username")
        _check_roles(uow, cmd.role_ids)
        account = AdminAccount(id=ids.next_id(), username=cmd.username, display_name=cmd.display_name.strip(),
                               password_hash=hasher.hash(cmd.password), role_ids=frozenset(cmd.role_ids),
                               password_changed_at=clock.now(), mobile=_phone(cmd.mobile))
        uow.admins.add(account)
        _record(uow, "accounts", f"create {account.username}",
                {"roles": [[], _role_names(uow, account.role_ids)]}, cmd, clock)
        uow.commit()
        return account.id


def change_admin_account(cmd: ChangeAdminAccount, *, uow: UnitOfWork, hasher: PasswordHasher,
                         clock: Clock) -> None:
    """Raises InvalidTransition when disabling the system account or taking its roles away."""
    with uow:
        account = uow.admins.get(cmd.account_id)
        _check_roles(uow, cmd.role_ids)
        before = {"display_name": account.display_name, "mobile": account.mobile.masked if account.mobile else "",
                  "roles": _role_names(uow, account.role_ids), "disabled": account.disabled}
        account.change_profile(display_name=cmd.display_name, mobile=_phone(cmd.mobile))
        if account.system and frozenset(cmd.role_ids) != account.role_ids:
            raise InvalidTransition("the system account keeps its roles")
        account.assign_roles(frozenset(cmd.role_ids))
        if cmd.disabled and not account.disabled:
            account.disable()
        elif not cmd.disabled and account.disabled:
            account.enable()
        after = {"display_name": account.display_name, "mobile": account.mobile.masked if account.mobile else "",
                 "roles": _role_names(uow, account.role_ids), "disabled": account.disabled}
        changes: dict[str, list[object]] = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
        if cmd.new_password:
            uow.settings.get(PasswordPolicy).check(cmd.new_password, field="new_password")
            # An administrator's reset: the owner must choose a new one at the next login.
            account.change_password(hasher.hash(cmd.new_password), at=RESET_MARK)
            changes["password"] = ["******", "****** (reset)"]
        if changes:
            _record(uow, "accounts", f"change {account.username}", changes, cmd, clock)
        uow.commit()


def change_own_password(cmd: ChangeOwnPassword, *, uow: UnitOfWork, hasher: PasswordHasher, clock: Clock) -> None:
    """Raises AuthenticationFailed for a wrong current password, InvalidValue for a weak or
    unchanged new one."""
    with uow:
        account = uow.admins.get(cmd.account_id)
        if not hasher.verify(account.password_hash, cmd.current_password):
            raise AuthenticationFailed("the current password is wrong")
        if cmd.new_password == cmd.current_password:
            raise InvalidValue("new_password", "the new password must differ from the current one", rule="SAME")
        uow.settings.get(PasswordPolicy).check(cmd.new_password, field="new_password")
        account.change_password(hasher.hash(cmd.new_password), at=clock.now())
        _record(uow, "accounts", f"password {account.username}", {"password": ["******", "******"]}, cmd, clock)
        uow.commit()


def bind_totp(cmd: BindTotp, *, uow: UnitOfWork, secrets: SecretBox, clock: Clock) -> None:
    with uow:
        account = uow.admins.get(cmd.account_id)
        account.bind_totp(secrets.seal(cmd.secret.encode(), purpose=TOTP_PURPOSE), cmd.step)
        _record(uow, "accounts", f"bind token {account.username}", {"totp": ["", "******"]}, cmd, clock)
        uow.commit()


def unbind_totp(cmd: UnbindTotp, *, uow: UnitOfWork, clock: Clock) -> None:
    with uow:
        account = uow.admins.get(cmd.account_id)
        if account.mfa_secret_ref is None:
            return
        account.unbind_totp()
        _record(uow, "accounts", f"unbind token {account.username}", {"totp": ["******", ""]}, cmd, clock)
        uow.commit()


def totp_secret(account_id: int, *, uow: UnitOfWork, secrets: SecretBox) -> str | None:
    """The account's TOTP secret (base32), opened from its sealed form; None when unbound."""
    with uow:
        account = uow.admins.get(account_id)
    if account.mfa_secret_ref is None:
        return None
    return secrets.open(account.mfa_secret_ref, purpose=TOTP_PURPOSE).decode()

