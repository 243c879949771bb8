"""Personal users, console admin accounts, console roles and permissions."""

from __future__ import annotations

import enum
from datetime import datetime, timedelta

import attrs

from esign_core.errors import AccountLocked, DomainError, InvalidTransition
from esign_core.model.base import Aggregate, Event, require_text
from esign_core.model.org import TenantStatus
from esign_core.values import Email, IdNumber, Phone


@attrs.define(kw_only=True, eq=False)
class PersonalUser(Aggregate):
    """A natural person who signs: an employee of an enterprise or an outside individual."""

    name: str = attrs.field(converter=lambda v: require_text("name", v, max_len=50))
    mobile: Phone | None = None
    email: Email | None = None
    id_number: IdNumber | None = None
    auth_status: TenantStatus = TenantStatus.UNREGISTERED
    frozen: bool = False
    internal: bool = False
    created_at: datetime
    #: hash of the signing password (manual 三.1.2: "signing password or SMS code"); None when unset
    signing_password_hash: str | None = attrs.field(default=None, repr=False)

    def __attrs_post_init__(self) -> None:
        if self.mobile is None and self.email is None:
            raise DomainError("a user needs a mobile number or an e-mail address as account")

    @property
    def account(self) -> str:
        return str(self.mobile or self.email)

    def set_signing_password(self, hashed: str) -> None:
        """Replace the signing password (given hashed by the PasswordHasher port)."""
        self.signing_password_hash = hashed

    def verify_identity(self, id_number: IdNumber) -> None:
        """Real-name verification succeeded."""
        self.id_number = id_number
        self.auth_status = TenantStatus.AUTH_SUCCESS

    def become_internal(self) -> None:
        """The person joined an internal enterprise (counts against the internal-user quota)."""
        self.internal = True

    def freeze(self) -> None:
        self.frozen = True

    def unfreeze(self) -> None:
        self.frozen = False


class Permission(enum.Enum):
    """Console permissions; a role is a set of them (manual 一.5.1)."""

    SETTINGS = "settings"  # 系统设置
    USERS = "users"  # 用户管理
    MESSAGES = "messages"  # 消息管理
    STATISTICS = "statistics"  # 统计与监控
    SERVICES = "services"  # 服务管理
    CERTIFICATES = "certificates"  # 证书管理
    INTEGRATION = "integration"  # 集成中心
    ADMINS = "admins"  # 权限管理


@attrs.define(kw_only=True, eq=False)
class Role(Aggregate):
    name: str = attrs.field(converter=lambda v: require_text("name", v, max_len=30))
    description: str = ""
    permissions: frozenset[Permission] = frozenset()
    builtin: bool = False

    def grant(self, *perms: Permission) -> None:
        self.permissions = self.permissions | set(perms)

    def revoke(self, *perms: Permission) -> None:
        if self.builtin:
            raise InvalidTransition("built-in roles cannot be changed")
        self.permissions = self.permissions - set(perms)


@attrs.frozen
class AdminLoggedIn(Event):
    account_id: int
    at: datetime


@attrs.frozen
class AdminLoginFailed(Event):
    account_id: int
    at: datetime
    locked: bool


@attrs.define(kw_only=True, eq=False)
class AdminAccount(Aggregate):
    """A console (运维/管理后台) account. The system account made at initialisation has every
    permission and cannot be disabled."""

    username: str = attrs.field(converter=lambda v: require_text("username", v, max_len=50))
    display_name: str = ""
    password_hash: str = attrs.field(repr=False)
    role_ids: frozenset[int] = frozenset()
    system: bool = False
    disabled: bool = False
    failed_logins: int = 0
    locked_until: datetime | None = None
    password_changed_at: datetime
    last_login_at: datetime | None = None
    mfa_secret_ref: str | None = attrs.field(default=None, repr=False)

    MAX_FAILURES = 5
    LOCK_FOR = timedelta(minutes=15)

    def check_can_login(self, now: datetime) -> None:
        if self.disabled:
            raise AccountLocked("this account is disabled", account=self.username)
        if self.locked_until is not None and now < self.locked_until:
            raise AccountLocked(
                f"too many failed logins; try again after {self.locked_until.isoformat(timespec='seconds')}",
                account=self.username,
                until=self.locked_until.isoformat(),
            )

    def login_succeeded(self, at: datetime) -> None:
        self.failed_logins = 0
        self.locked_until = None
        self.last_login_at = at
        self.record(AdminLoggedIn(self.id, at))

    def login_failed(self, at: datetime) -> None:
        """Count a wrong password; lock the account after MAX_FAILURES in a row."""
        self.failed_logins += 1
        locked = self.failed_logins >= self.MAX_FAILURES
        if locked:
            self.locked_until = at + self.LOCK_FOR
            self.failed_logins = 0
        self.record(AdminLoginFailed(self.id, at, locked))

    def change_password(self, new_hash: str, at: datetime) -> None:
        self.password_hash = new_hash
        self.password_changed_at = at

    def disable(self) -> None:
        if self.system:
            raise InvalidTransition("the system account cannot be disabled")
        self.disabled = True

    def enable(self) -> None:
        self.disabled = False

    def assign_roles(self, role_ids: frozenset[int]) -> None:
        self.role_ids = frozenset(role_ids)
