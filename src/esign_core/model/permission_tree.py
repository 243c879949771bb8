"""The permission tree the role editor shows (manual 一.5.1): every console page and action.

Each branch is a top-level :class:`~esign_core.model.user.Permission` (granting it grants every
leaf under it); each leaf is one page's ``view`` or its change ``edit``. Labels are Chinese
msgids, translated by the web layer.
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from esign_core.model.user import AdminAccount, Permission, Role

P = Permission


@attrs.frozen
class PermissionNode:
    permission: Permission
    label: str
    children: tuple[PermissionNode, ...] = ()


def _page(label: str, view: Permission, edit: Permission | None = None) -> PermissionNode:
    leaves = (PermissionNode(view, "查看"),) + ((PermissionNode(edit, "修改"),) if edit else ())
    # A page node has no permission of its own: it groups its view and edit leaves.
    return PermissionNode(view, label, leaves)


PERMISSION_TREE: tuple[PermissionNode, ...] = (
    PermissionNode(P.SETTINGS, "系统设置", (
        _page("系统参数设置", P.SETTINGS_SYSTEM_VIEW, P.SETTINGS_SYSTEM_EDIT),
        _page("文件存储方式", P.SETTINGS_STORAGE_VIEW, P.SETTINGS_STORAGE_EDIT),
        _page("系统显示设置", P.SETTINGS_APPEARANCE_VIEW, P.SETTINGS_APPEARANCE_EDIT),
        _page("密码安全设置", P.SETTINGS_PASSWORD_VIEW, P.SETTINGS_PASSWORD_EDIT),
        _page("其他设置", P.SETTINGS_LOGIN_VIEW, P.SETTINGS_LOGIN_EDIT),
        _page("通用设置", P.SETTINGS_GENERAL_VIEW, P.SETTINGS_GENERAL_EDIT),
    )),
    PermissionNode(P.ADMINS, "权限管理", (
        _page("角色管理", P.ADMINS_ROLES_VIEW, P.ADMINS_ROLES_EDIT),
        _page("账号管理", P.ADMINS_ACCOUNTS_VIEW, P.ADMINS_ACCOUNTS_EDIT),
    )),
    PermissionNode(P.AUDIT, "操作日志", (_page("操作日志", P.AUDIT_VIEW),)),
    PermissionNode(P.USERS, "用户管理"),
    PermissionNode(P.MESSAGES, "消息管理"),
    PermissionNode(P.STATISTICS, "统计与监控"),
    PermissionNode(P.SERVICES, "服务管理", (
        _page("系统日志", P.SERVICES_LOGS_VIEW),
        PermissionNode(P.SERVICES_CLUSTER_VIEW, "服务监控", (
            PermissionNode(P.SERVICES_CLUSTER_VIEW, "查看"),
            PermissionNode(P.SERVICES_CLUSTER_EDIT, "修改"),
            PermissionNode(P.SERVICES_CLUSTER_RESTART, "重启服务器"),
        )),
    )),
    PermissionNode(P.CERTIFICATES, "证书管理"),
    PermissionNode(P.INTEGRATION, "集成中心"),
)


def leaves(nodes: Iterable[PermissionNode] = PERMISSION_TREE) -> list[Permission]:
    """Every permission a role can be given, branches and leaves, in tree order."""
    out: list[Permission] = []
    for node in nodes:
        if node.permission not in out:
            out.append(node.permission)
        out.extend(p for p in leaves(node.children) if p not in out)
    return out


def effective_permissions(account: AdminAccount, roles: Iterable[Role | None]) -> frozenset[Permission]:
    """What an account may do: the system account (made at activation) and holders of a built-in
    role have every permission; others the union of their roles' permissions."""
    roles = [r for r in roles if r is not None]
    if account.system or any(r.builtin for r in roles):
        return frozenset(Permission)
    return frozenset(p for r in roles for p in r.permissions)


def allows(held: frozenset[Permission], needed: Permission) -> bool:
    return needed.granted_by(held)
