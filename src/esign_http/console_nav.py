"""The console's navigation: one entry per page, shown only to accounts that may open it (the
same permission the page's route handler declares for :func:`esign_http.access.console_gate`)."""

from __future__ import annotations

import attrs

from esign_core.model.permission_tree import allows
from esign_core.model.user import Permission
from esign_http.i18n import _l

P = Permission


@attrs.frozen
class NavEntry:
    label: str  # Chinese msgid
    path: str
    permission: Permission | None  # None: every logged-in account
    group: str = ""


NAV: tuple[NavEntry, ...] = (
    NavEntry(_l("首页"), "/console", None),
    NavEntry(_l("系统参数设置"), "/console/settings/system", P.SETTINGS_SYSTEM_VIEW, _l("系统设置")),
    NavEntry(_l("文件存储方式"), "/console/settings/storage", P.SETTINGS_STORAGE_VIEW, _l("系统设置")),
    NavEntry(_l("系统显示设置"), "/console/settings/appearance", P.SETTINGS_APPEARANCE_VIEW, _l("系统设置")),
    NavEntry(_l("密码安全设置"), "/console/settings/password", P.SETTINGS_PASSWORD_VIEW, _l("系统设置")),
    NavEntry(_l("其他设置"), "/console/settings/login", P.SETTINGS_LOGIN_VIEW, _l("系统设置")),
    NavEntry(_l("通用设置"), "/console/settings/general", P.SETTINGS_GENERAL_VIEW, _l("系统设置")),
    NavEntry(_l("邮件服务配置"), "/console/settings/mail", P.SETTINGS_SYSTEM_VIEW, _l("系统设置")),
    NavEntry(_l("组织架构/法人单位"), "/console/users/orgs", P.USERS, _l("用户管理")),
    NavEntry(_l("个人用户"), "/console/users/people", P.USERS, _l("用户管理")),
    NavEntry(_l("短信设置"), "/console/messages/sms", P.MESSAGES, _l("消息管理")),
    NavEntry(_l("短信记录"), "/console/messages/sms/records", P.MESSAGES, _l("消息管理")),
    NavEntry(_l("站内信与推送"), "/console/messages/notices", P.MESSAGES, _l("消息管理")),
    NavEntry(_l("消息投递队列"), "/console/messaging/outbox", P.MESSAGES, _l("消息管理")),
    NavEntry(_l("物理用印服务"), "/console/physical-seal/", P.SERVICES, _l("服务管理")),
    NavEntry(_l("计划任务"), "/console/tasks", P.SERVICES, _l("服务管理")),
    NavEntry(_l("系统日志"), "/console/services/logs", P.SERVICES_LOGS_VIEW, _l("服务管理")),
    NavEntry(_l("服务监控"), "/console/services/cluster", P.SERVICES_CLUSTER_VIEW, _l("服务管理")),
    NavEntry(_l("物理用印统计"), "/console/physical-seal/statistics", P.STATISTICS, _l("统计与监控")),
    NavEntry(_l("签署统计"), "/console/statistics/signing/", P.STATISTICS, _l("统计与监控")),
    NavEntry(_l("角色管理"), "/console/admins/roles", P.ADMINS_ROLES_VIEW, _l("权限管理")),
    NavEntry(_l("账号管理"), "/console/admins/accounts", P.ADMINS_ACCOUNTS_VIEW, _l("权限管理")),
    NavEntry(_l("操作日志"), "/console/audit", P.AUDIT_VIEW, _l("权限管理")),
    NavEntry(_l("应用接入"), "/console/integration/apps", P.INTEGRATION, _l("集成中心")),
    NavEntry(_l("连接器"), "/console/integration/connectors", P.INTEGRATION, _l("集成中心")),
    NavEntry(_l("组织成员同步"), "/console/integration/org-sync/", P.INTEGRATION, _l("集成中心")),
    NavEntry(_l("我的账号"), "/console/account", None, _l("我的账号")),
    NavEntry(_l("证书统计"), "/console/certificates/statistics", P.CERTIFICATES, _l("证书管理")),
    NavEntry(_l("事件证书"), "/console/certificates/events", P.CERTIFICATES, _l("证书管理")),
    NavEntry(_l("长期证书"), "/console/certificates/long-term", P.CERTIFICATES, _l("证书管理")),
    NavEntry(_l("UKey管理"), "/console/certificates/ukeys", P.CERTIFICATES, _l("证书管理")),
    NavEntry(_l("签署服务接入"), "/console/integration/signing/", P.INTEGRATION, _l("集成中心")),
)


def nav_for(held: frozenset[Permission]) -> list[NavEntry]:
    return [e for e in NAV if e.permission is None or allows(held, e.permission)]
