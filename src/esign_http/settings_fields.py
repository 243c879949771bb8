"""What each console settings page shows: the sections on it and, per setting, its label,
kind, help text and the clear message (Chinese msgid, translated) for a refused value."""

from __future__ import annotations

from typing import Any

import attrs

from esign_core.model import policy as p
from esign_core.model.user import Permission
from esign_http.i18n import _l

P = Permission


@attrs.frozen
class Field:
    name: str
    label: str
    kind: str  # bool | int | text | url | choice | color | textarea | path
    help: str = ""
    choices: tuple[tuple[str, str], ...] = ()
    minimum: int = 0
    maximum: int = 0


@attrs.frozen
class Card:
    section: type[p.Section]
    title: str
    fields: tuple[Field, ...]
    note: str = ""


@attrs.frozen
class SettingsPage:
    slug: str
    title: str
    view: Permission
    edit: Permission
    cards: tuple[Card, ...]


def _int(name: str, label: str, lo: int, hi: int, help: str = "") -> Field:
    return Field(name, label, "int", help, minimum=lo, maximum=hi)


STRENGTH_HELP = {
    "NORMAL": _l("正常：至少 8 位，须同时包含字母和数字。"),
    "STRONG": _l("强：至少 10 位，须同时包含大写字母、小写字母和数字。"),
    "VERY_STRONG": _l("极强：至少 12 位，须同时包含大写字母、小写字母、数字和符号（字母和数字以外的任何字符）。"),
}

PAGES: dict[str, SettingsPage] = {page.slug: page for page in (
    SettingsPage("system", _l("系统参数设置"), P.SETTINGS_SYSTEM_VIEW, P.SETTINGS_SYSTEM_EDIT, (
        Card(p.SystemParameters, _l("服务器外网地址配置"), (
            Field("external_address", _l("服务器外网地址"), "url",
                  _l("系统给用户发送合同签署链接时用作前缀的地址，例如 https://sign.example.com。")),
        )),
        Card(p.ConversionSettings, _l("文档转换服务"), (
            Field("service", _l("转换服务"), "choice",
                  _l("内置转换服务可转换文本、图片和 HTML；Word、Excel 等 Office 文档需要 Office 文档转换服务（LibreOffice）。"),  # noqa: E501
                  choices=(("BUILTIN", _l("内置文档转换服务")), ("OFFICE", _l("Office 文档转换服务（LibreOffice）")))),
            Field("office_path", _l("LibreOffice 路径"), "path",
                  _l("soffice 可执行文件的路径；留空则在 PATH 中查找。")),
        )),
    )),
    SettingsPage("password", _l("密码安全设置"), P.SETTINGS_PASSWORD_VIEW, P.SETTINGS_PASSWORD_EDIT, (
        Card(p.PasswordPolicy, _l("密码强度与更换策略"), (
            Field("strength", _l("密码强度"), "choice", "", choices=(
                ("NORMAL", STRENGTH_HELP["NORMAL"]), ("STRONG", STRENGTH_HELP["STRONG"]),
                ("VERY_STRONG", STRENGTH_HELP["VERY_STRONG"]))),
            Field("refuse_common", _l("拒绝常见密码"), "bool",
                  _l("拒绝最常见的 10000 个密码（泄露密码库中最常出现的密码），离线比对，不会调用任何在线服务。")),
            Field("rotation_enabled", _l("强制定期更换登录密码"), "bool"),
            _int("rotation_days", _l("登录密码更换周期（天）"), 7, 3650),
            Field("signing_rotation_enabled", _l("强制定期更换签署密码"), "bool"),
            _int("signing_rotation_days", _l("签署密码更换周期（天）"), 7, 3650),
            _int("lockout_threshold", _l("连续输错密码锁定次数"), 3, 20),
            _int("lockout_minutes", _l("锁定时长（分钟）"), 1, 1440),
        )),
    )),
    SettingsPage("login", _l("其他设置"), P.SETTINGS_LOGIN_VIEW, P.SETTINGS_LOGIN_EDIT, (
        Card(p.LoginSettings, _l("其他设置"), (
            Field("mfa_required", _l("多因子登录认证"), "bool",
                  _l("开启后，登录须同时通过账号密码和短信验证码验证；已绑定动态令牌的账号使用动态令牌验证码。")),
            Field("departed_policy", _l("离职员工是否自动冻结账号"), "choice", "", choices=(
                ("AUTO_FREEZE", _l("自动冻结")), ("NO_FREEZE", _l("不自动冻结")),
                ("FREEZE_IF_NO_FILES", _l("根据账号情况判断是否冻结（有文件时不冻结，没有文件时冻结）")))),
        )),
    )),
    SettingsPage("general", _l("通用设置"), P.SETTINGS_GENERAL_VIEW, P.SETTINGS_GENERAL_EDIT, (
        Card(p.SigningSettings, _l("文件签署设置"), (
            _int("validity_days", _l("默认签署有效期（天）"), 1, 3650),
            Field("signer_verification", _l("签署方身份验证方式"), "choice", "", choices=(
                ("DEFAULT", _l("默认（通过签署密码/短信验证码验证）")), ("SMS_ONLY", _l("仅允许通过短信验证码验证")),
                ("NONE", _l("无需验证")))),
            Field("require_read_confirmation", _l("签署时须勾选“我已仔细阅读文件，并同意签署”"), "bool"),
            Field("internal_real_name_required", _l("内部个人签署须实名认证"), "bool"),
            Field("allow_unfinished_download", _l("允许下载/打印未完成的文件"), "bool"),
            Field("allow_custom_seals", _l("允许企业自定义印章"), "bool"),
            Field("void_policy", _l("文件作废设置"), "choice", "", choices=(
                ("OPERATOR_CHOOSES", _l("操作人自选")), ("KEEP_ORIGINAL", _l("保留原文件")),
                ("DESTROY_ORIGINAL", _l("销毁原文件")))),
            Field("expiry_reminder_enabled", _l("文件终止提醒"), "bool"),
            _int("expiry_reminder_days", _l("提前提醒天数"), 1, 365),
        )),
        Card(p.EvidenceSettings, _l("电子签约文件存证方式"), (
            Field("notary_enabled", _l("公证处存证"), "bool"),
        ), note=_l("平台存证始终开启，不可取消。")),
        Card(p.PhysicalSealSettings, _l("物理用印设置"), (
            Field("photos_must_cover_uses", _l("用印照片须大于或等于实际用印次数"), "bool",
                  _l("开启后，用印照片少于实际用印次数的用印人无法继续发起物理用印申请。")),
        )),
        Card(p.AppSettings, _l("APP设置"), (
            Field("show_download_entry", _l("APP下载入口"), "bool", _l("开启后，电子签约平台顶栏显示下载APP按钮。")),
            Field("single_device_login", _l("APP设备限制"), "bool", _l("开启后，同一账号不允许在多台设备同时登录。")),
            Field("ios_url", _l("iOS 下载链接"), "url"),
            Field("android_url", _l("Android 下载链接"), "url"),
        )),
        Card(p.PrintSettings, _l("打印设置"), (
            Field("mode", _l("防伪打印方式"), "choice", "", choices=(
                ("BROWSER", _l("浏览器打印")), ("CLIENT", _l("客户端打印")), ("REMOTE", _l("远程打印")))),
        )),
    )),
)}

DISPLAY_FIELDS: tuple[Field, ...] = (
    Field("console_name", _l("控制台名称"), "text", maximum=30),
    Field("platform_name", _l("电子签名平台名称"), "text", maximum=30),
    Field("english_abbr", _l("企业名称英文缩写"), "text", _l("用于打印纸质签署协议摘要时显示企业名称。"), maximum=20),
    Field("short_name", _l("企业名称简称"), "text", _l("用于实名认证时区分企业名称。"), maximum=20),
    Field("screenshot_watermark", _l("文件预览截屏水印"), "bool",
          _l("在文件预览的背景上添加带有查看人账号信息的水印，防止截屏泄露合同信息。")),
    Field("theme_color", _l("主题颜色"), "color", _l("默认蓝色 #1677FF，可选择任意颜色。")),
)

_RULES = {
    "int": _l("%(label)s须为 %(minimum)s 到 %(maximum)s 之间的整数。"),
    "url": _l("%(label)s须为以 http:// 或 https:// 开头的地址，或留空。"),
    "text": _l("%(label)s须为 1 到 %(maximum)s 个字符。"),
    "choice": _l("%(label)s的取值无效，请从列表中选择。"),
    "color": _l("%(label)s须为 #RRGGBB 格式的颜色，例如 #1677FF。"),
    "bool": _l("%(label)s须为开启或关闭。"),
    "path": _l("%(label)s过长（最多 500 个字符）。"),
}


def rule_message(field: Field) -> tuple[str, dict[str, Any]]:
    """The msgid and values of the message for a refused value of ``field``."""
    return _RULES[field.kind], {"label": field.label, "minimum": field.minimum, "maximum": field.maximum}


def find_field(fields: tuple[Field, ...], name: str) -> Field | None:
    return next((f for f in fields if f.name == name), None)


def form_changes(fields: tuple[Field, ...], form: dict[str, str]) -> dict[str, Any]:
    """The section changes a submitted form asks for; an unticked checkbox is ``false``."""
    changes: dict[str, Any] = {}
    for f in fields:
        if f.kind == "bool":
            changes[f.name] = "true" if form.get(f.name) in ("on", "true", "1") else "false"
        elif f.name in form:
            value = form[f.name].strip()
            changes[f.name] = value.upper() if f.kind == "color" else value
    return changes
