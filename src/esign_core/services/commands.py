"""Commands: imperative names, frozen, validated where they are built."""

from __future__ import annotations

import attrs


@attrs.frozen
class Command:
    """Base of commands handled by the message bus."""


@attrs.frozen
class InitializePlatform(Command):
    """Everything the activation wizard (manual 一.1) collects, in one command."""

    product_code: str
    licence_code: str = attrs.field(repr=False)
    admin_username: str
    admin_password: str = attrs.field(repr=False)
    platform_name: str
    platform_admin_name: str
    platform_admin_mobile: str
    platform_uscc: str | None = None
    use_external_api: bool = True


@attrs.frozen
class LoginAdmin(Command):
    username: str
    password: str = attrs.field(repr=False)


@attrs.frozen
class InstallLicence(Command):
    licence_code: str = attrs.field(repr=False)


@attrs.frozen
class AddInternalEnterprise(Command):
    """单个添加组织单元: name, parent unit, initial admin and their mobile."""

    name: str
    parent_id: int
    admin_name: str
    admin_mobile: str
    department: bool = False
    uscc: str | None = None


@attrs.frozen
class AddExternalEnterprise(Command):
    name: str
    admin_name: str
    admin_mobile: str
    uscc: str | None = None


@attrs.frozen
class ChangeSettings(Command):
    """Change one settings section; ``actor``/``ip`` say who and from where, for the audit."""

    section: str
    changes: dict = attrs.field(factory=dict)  # type: ignore[type-arg]
    actor: str = "cli"
    ip: str | None = None
