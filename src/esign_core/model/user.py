"""Personal users, console admin accounts, console roles and permissions."""

from __future__ import annotations

import enum
from datetime import datetime, timedelta

import attrs

from esign_core.errors import AccountLocked, DomainError, InvalidTransition, PermissionDenied
from esign_core.model.base import Aggregate, Event, require_text
from esign_core.model.certification import (
    TENANT_STATUS_OF,
    TRANSITIONS,
    CertificationChanged,
    CertificationStatus,
    CertifiedEntity,
)
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
    #: Created by OA sync (统一认证): logs in through the OA, has no password of its own.
    passwordless: bool = False
    #: The TOTP secret sealed by the SecretBox (动态令牌); never the plain secret.
    totp_secret_ref: str | None = attrs.field(default=None, repr=False)
    #: hash of the signing password (manual 三.1.2: "signing password or SMS code"); None when unset
    signing_password_hash: str | None = attrs.field(default=None, repr=False)
    #: when the signing password was last set (the policy's forced periodic change); None when unset
    signing_password_changed_at: datetime | None = attrs.field(default=None, repr=False)

    def __attrs_post_init__(self) -> None:
        if self.mobile is None and self.email is None:
            raise DomainError("a user needs a mobile number or an e-mail address as account", field="mobile")

    @property
    def certification(self) -> CertificationStatus:
        return CertificationStatus.of(self.auth_status)

    def update_certification(self, status: CertificationStatus, *, reason: str | None = None,
                             id_number: IdNumber | None = None) -> bool:
        """更新认证状态: take the status reported by the signing platform. Returns False (and
        records nothing) when it is already that status; raises InvalidTransition for a move the
        state machine does not allow."""
        if status is self.certification:
            return False
        if status not in TRANSITIONS[self.certification] and status is not CertificationStatus.PASSED:
            raise InvalidTransition(f"certification cannot go from {self.certification.value} to {status.value}")
        if id_number is not None:
            self.id_number = id_number
        self.auth_status = TenantStatus(TENANT_STATUS_OF[status])
        self.record(CertificationChanged(CertifiedEntity.PERSONAL, self.id, status, reason))
        return True

    def edit(self, *, name: str, mobile: Phone | None, email: Email | None) -> None:
        if mobile is None and email is None:
            raise DomainError("a user needs a mobile number or an e-mail address as account", field="mobile")
        self.name = require_text("name", name, max_len=50)
        self.mobile, self.email = mobile, email

    def bind_totp(self, sealed_secret: str) -> None:
        """绑定动态令牌: keep the sealed secret (the caller checked a first code)."""
        self.totp_secret_ref = sealed_secret

    def unbind_totp(self) -> None:
        self.totp_secret_ref = None

    @property
    def account(self) -> str:
        return str(self.mobile or self.email)

    def set_signing_password(self, hashed: str, at: datetime | None = None) -> None:
        """Replace the signing password (given hashed by the PasswordHasher port), set ``at``."""
        self.signing_password_hash = hashed
        self.signing_password_changed_at = at

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
    # Fine-grained console pages and actions (manual 一.5.1, 三). A dotted value is granted by any
    # of its prefixes, so a role holding ``settings`` has every ``settings.*`` permission; see
    # esign_core.model.permission_tree for the tree the console shows.
    SETTINGS_SYSTEM_VIEW = "settings.system.view"  # 系统参数设置: 查看
    SETTINGS_SYSTEM_EDIT = "settings.system.edit"  # 系统参数设置: 修改, 测试转换
    SETTINGS_STORAGE_VIEW = "settings.storage.view"
    SETTINGS_STORAGE_EDIT = "settings.storage.edit"
    SETTINGS_APPEARANCE_VIEW = "settings.appearance.view"  # 系统显示设置, 主题, 登录背景, CSS
    SETTINGS_APPEARANCE_EDIT = "settings.appearance.edit"
    SETTINGS_PASSWORD_VIEW = "settings.password.view"  # 密码安全设置
    SETTINGS_PASSWORD_EDIT = "settings.password.edit"
    SETTINGS_LOGIN_VIEW = "settings.login.view"  # 其他设置: 多因子登录, 离职员工冻结
    SETTINGS_LOGIN_EDIT = "settings.login.edit"
    SETTINGS_GENERAL_VIEW = "settings.general.view"  # APP, 打印, 物理用印, 存证方式, 文件签署
    SETTINGS_GENERAL_EDIT = "settings.general.edit"
    ADMINS_ROLES_VIEW = "admins.roles.view"  # 角色管理
    ADMINS_ROLES_EDIT = "admins.roles.edit"
    ADMINS_ACCOUNTS_VIEW = "admins.accounts.view"  # 账号管理
    ADMINS_ACCOUNTS_EDIT = "admins.accounts.edit"
    AUDIT = "audit"  # 操作日志
    AUDIT_VIEW = "audit.view"
    # 服务管理 (manual 四.2): system logs, the cluster page, its settings and the restart over SSH
    SERVICES_LOGS_VIEW = "services.logs.view"  # 系统日志
    SERVICES_CLUSTER_VIEW = "services.cluster.view"  # 服务集群 / 服务监控
    SERVICES_CLUSTER_EDIT = "services.cluster.edit"  # 宕机通知设置, 服务器认证配置
    SERVICES_CLUSTER_RESTART = "services.cluster.restart"  # 重启 (over SSH)

    def granted_by(self, held: frozenset[Permission] | set[Permission]) -> bool:
        """True when ``held`` contains this permission or one of its dotted prefixes."""
        parts = self.value.split(".")
        return any(Permission._value2member_map_.get(".".join(parts[:i])) in held for i in range(1, len(parts) + 1))


@attrs.define(kw_only=True, eq=False)
class Role(Aggregate):
    name: str = attrs.field(converter=lambda v: require_text("name", v, max_len=30))
    description: str = ""
    permissions: frozenset[Permission] = frozenset()
    builtin: bool = False

    def grant(self, *perms: Permission) -> None:
        self.permissions = self.permissions | set(perms)

    def describe(self, *, name: str, description: str) -> None:
        if self.builtin:
            raise InvalidTransition("built-in roles cannot be changed")
        self.name = require_text("name", name, max_len=30)
        self.description = require_text("description", description, max_len=200, allow_empty=True)

    def set_permissions(self, perms: frozenset[Permission]) -> None:
        """Replace the role's permissions (built-in roles keep all of theirs)."""
        if self.builtin:
            raise InvalidTransition("built-in roles cannot be changed")
        self.permissions = frozenset(perms)

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
    mfa_secret_ref: str | None = attrs.field(default=None, repr=False)  # sealed TOTP secret (动态令牌)
    mobile: Phone | None = None  # receives the console's multi-factor SMS codes
    #: bumped whenever a login factor changes (password, token, disabling, roles): console sessions
    #: started under an older generation end (ADR 0037)
    session_generation: int = 0
    #: the last accepted TOTP time-step, kept in the database so a code is never accepted twice
    totp_last_step: int | None = None

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

    def login_failed(self, at: datetime, *, max_failures: int | None = None,
                     lock_for: timedelta | None = None) -> None:
        """Count a wrong password; lock the account for ``lock_for`` after ``max_failures`` in a
        row (the password policy's lockout settings; MAX_FAILURES and LOCK_FOR by default)."""
        self.failed_logins += 1
        locked = self.failed_logins >= (max_failures or self.MAX_FAILURES)
        if locked:
            self.locked_until = at + (lock_for or self.LOCK_FOR)
            self.failed_logins = 0
        self.record(AdminLoginFailed(self.id, at, locked))

    def change_password(self, new_hash: str, at: datetime) -> None:
        self.password_hash = new_hash
        self.password_changed_at = at
        self.session_generation += 1

    def disable(self) -> None:
        if self.system:
            raise InvalidTransition("the system account cannot be disabled")
        self.disabled = True
        self.session_generation += 1

    def enable(self) -> None:
        self.disabled = False

    def assign_roles(self, role_ids: frozenset[int]) -> None:
        if frozenset(role_ids) != self.role_ids:
            self.session_generation += 1
        self.role_ids = frozenset(role_ids)

    def bind_totp(self, secret_ref: str, step: int | None = None) -> None:
        """Bind a dynamic token (TOTP); ``secret_ref`` is the sealed secret, never the secret;
        ``step`` is the time-step of the code that confirmed the binding (not accepted again)."""
        self.mfa_secret_ref = secret_ref
        self.totp_last_step = step
        self.session_generation += 1

    def unbind_totp(self) -> None:
        self.mfa_secret_ref = None
        self.totp_last_step = None
        self.session_generation += 1

    def accept_totp_step(self, step: int) -> None:
        """Remember the time-step of an accepted TOTP code; a step not after the last one is
        refused (a replayed code), raising PermissionDenied."""
        if self.totp_last_step is not None and step <= self.totp_last_step:
            raise PermissionDenied("this dynamic token code was already used", field="code")
        self.totp_last_step = step

    def change_profile(self, *, display_name: str, mobile: Phone | None) -> None:
        self.display_name = require_text("display_name", display_name, max_len=50, allow_empty=True)
        self.mobile = mobile
