"""Messaging (消息配置管理, manual 三.6): the events the platform notifies about, their SMS and
mail templates, and which in-site / push events are switched on.

A template's text names its parameters as ``${name}``. Every event declares the parameters its
text must contain (``${code}`` for a verification code, ``${link}`` for a sign link...); a
template missing one is refused, as is one naming a parameter the event does not supply.

The event list is ours: the manual names the categories (sign link, verification code, contract
completed, rejected, expiring, enterprise certification...) and shows the full list only as a
screenshot. Required events (必要消息事件) cannot be disabled on either channel.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar

import attrs

from esign_core.errors import DomainError, InvalidValue
from esign_core.model.policy import Section

PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]{0,31})\}")
_EVENT_CODE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
SMS_CONTENT_MAX = 500
MAIL_SUBJECT_MAX = 200
MAIL_BODY_MAX = 20000
TEMPLATE_ID_MAX = 64


@attrs.frozen
class MessageEvent:
    """One event the platform sends an SMS or mail about."""

    code: str
    label: str  # Chinese (the UI translates it)
    params: tuple[str, ...]  # required parameters, in the order a positional provider receives them
    required: bool = False
    sms: str = ""  # default SMS text (the platform channel's template)
    subject: str = ""  # default mail subject
    aliases: tuple[str, ...] = ()  # older template names callers may still use


def _e(code: str, label: str, params: tuple[str, ...], sms: str, *, required: bool = False,
       aliases: tuple[str, ...] = ()) -> MessageEvent:
    return MessageEvent(code, label, params, required, sms, label, aliases)


#: The SMS / mail events (短信设置 → 消息模板, manual 三.6.1).
MESSAGE_EVENTS: tuple[MessageEvent, ...] = (
    _e("verification_code", "短信验证码", ("code",),
       "您的验证码为${code}，5分钟内有效，请勿泄露给他人。", required=True,
       aliases=("portal-verification", "console-login")),
    _e("sign_link", "合同签署通知", ("subject", "link"),
       "您有一份合同《${subject}》待签署，请点击链接签署：${link}", required=True,
       aliases=("contract-sign-link",)),
    _e("approval_pending", "合同审批通知", ("subject", "link"), "合同《${subject}》待您审批：${link}"),
    _e("contract_completed", "合同签署完成通知", ("subject", "link"),
       "合同《${subject}》已全部签署完成，查看：${link}"),
    _e("contract_rejected", "合同退回通知", ("subject", "signer"), "合同《${subject}》已被${signer}退回。"),
    _e("contract_recalled", "合同撤回通知", ("subject",), "合同《${subject}》已被发起方撤回。"),
    _e("contract_expiring", "合同即将到期提醒", ("subject", "expire_at"),
       "合同《${subject}》将于${expire_at}截止签署，请尽快处理。", aliases=("contract-expiry-reminder",)),
    _e("contract_expired", "合同过期通知", ("subject",), "合同《${subject}》已过签署截止时间。"),
    _e("contract_copied", "合同抄送通知", ("subject", "link"), "您收到合同《${subject}》的抄送：${link}"),
    _e("enterprise_auth_approved", "企业认证基本信息审核成功通知", ("company",),
       "${company}的企业认证基本信息已审核通过。"),
    _e("enterprise_auth_rejected", "企业认证基本信息审核失败通知", ("company", "reason"),
       "${company}的企业认证基本信息未通过审核：${reason}"),
    _e("server_down", "宕机通知", ("server",), "服务器${server}无法访问，请尽快处理。"),
    _e("server_recovered", "宕机恢复通知", ("server",), "服务器${server}已恢复运行。"),
)


@attrs.frozen
class NoticeEvent:
    """One physical-seal event for in-site messages (站内信) and push (推送), manual 三.6.3–6.4."""

    code: str
    label: str
    title: str
    body: str  # with ${...} parameters: subject (the application), applicant, seal...


#: The nine physical-seal events (物理用印类消息事件); the manual counts nine without naming them.
_N = NoticeEvent
SEAL_EVENTS: tuple[NoticeEvent, ...] = (
    _N("seal_apply_submitted", "用印申请待审批", "用印申请待审批",
       "${applicant}提交了用印申请《${subject}》，请审批。"),
    _N("seal_apply_approved", "用印申请审批通过", "用印申请已通过", "您的用印申请《${subject}》已审批通过。"),
    _N("seal_apply_rejected", "用印申请被驳回", "用印申请被驳回", "您的用印申请《${subject}》已被驳回。"),
    _N("seal_apply_revoked", "用印申请已撤回", "用印申请已撤回", "用印申请《${subject}》已被申请人撤回。"),
    _N("seal_unlocked", "印章已解锁待用印", "印章已解锁", "《${subject}》的印章${seal}已解锁，请在规定时间内用印。"),
    _N("seal_use_finished", "用印完成", "用印完成", "用印申请《${subject}》已完成用印。"),
    _N("seal_photos_missing", "用印照片待补充", "请补充用印照片",
       "用印申请《${subject}》的用印照片少于用印次数，请补充。"),
    _N("seal_apply_expired", "用印申请已过期", "用印申请已过期", "用印申请《${subject}》已超过有效期。"),
    _N("seal_device_abnormal", "印控仪异常告警", "印控仪异常", "印控仪${seal}状态异常，请及时处理。"),
)

_BY_CODE: dict[str, MessageEvent] = {}
for _ev in MESSAGE_EVENTS:
    for _name in (_ev.code, *_ev.aliases):
        _BY_CODE[_name] = _ev
_NOTICES: dict[str, NoticeEvent] = {n.code: n for n in SEAL_EVENTS}


def message_event(code: str) -> MessageEvent:
    """The event named ``code`` (or one of its aliases); InvalidValue listing the known ones."""
    try:
        return _BY_CODE[code]
    except KeyError:
        known = ", ".join(e.code for e in MESSAGE_EVENTS)
        raise InvalidValue("event", f"unknown message event {code!r}; known: {known}") from None


def notice_event(code: str) -> NoticeEvent:
    try:
        return _NOTICES[code]
    except KeyError:
        known = ", ".join(n.code for n in SEAL_EVENTS)
        raise InvalidValue("event", f"unknown physical-seal event {code!r}; known: {known}") from None


def placeholders(text: str) -> list[str]:
    """The parameter names of ``text`` in order of first appearance."""
    seen: list[str] = []
    for name in PLACEHOLDER.findall(text):
        if name not in seen:
            seen.append(name)
    return seen


def check_text(text: str, event: MessageEvent, *, field: str, max_len: int, need_all: bool = True) -> None:
    """Refuse ``text`` when it is empty or too long, misses a required parameter of ``event`` or
    names one the event does not supply (InvalidValue naming ``field``)."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidValue(field, f"{field} must not be empty")
    if len(text) > max_len:
        raise InvalidValue(field, f"{field} must be at most {max_len} characters")
    names = placeholders(text)
    unknown = [n for n in names if n not in event.params]
    if unknown:
        raise InvalidValue(field, f"${{{unknown[0]}}} is not a parameter of {event.code}; "
                                  f"its parameters: {', '.join('${' + p + '}' for p in event.params)}")
    missing = [p for p in event.params if p not in names]
    if need_all and missing:
        raise InvalidValue(field, f"the text of {event.code} must contain the required parameter(s) "
                                  f"{', '.join('${' + p + '}' for p in missing)}", missing=missing)


def render(text: str, params: Mapping[str, str]) -> str:
    """Fill ``${name}``; a parameter without a value is an error (InvalidValue)."""
    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in params:
            raise InvalidValue("params", f"the message needs the parameter {name!r}")
        return str(params[name])

    return PLACEHOLDER.sub(fill, text)


@attrs.frozen
class SmsTemplate:
    """An event's template on the own channel: our text (which must name the required
    parameters), the template ID registered with the provider, and whether it is switched on."""

    event: str
    content: str
    provider_template_id: str = ""
    enabled: bool = False

    def __attrs_post_init__(self) -> None:
        ev = message_event(self.event)
        check_text(self.content, ev, field="content", max_len=SMS_CONTENT_MAX)
        tid = self.provider_template_id
        if not isinstance(tid, str) or len(tid) > TEMPLATE_ID_MAX or any(c.isspace() for c in tid):
            raise InvalidValue("provider_template_id", f"the provider template ID is at most {TEMPLATE_ID_MAX} "
                                                       "characters without spaces")
        if self.enabled and not tid:
            raise InvalidValue("provider_template_id", f"{ev.label} ({ev.code}) cannot be enabled without "
                                                       "the template ID given by the SMS provider")

    @property
    def param_order(self) -> tuple[str, ...]:
        """The order of the parameters in the text (a positional provider such as Tencent Cloud
        receives the values in this order)."""
        return tuple(placeholders(self.content))


def _json_map(inst: object, attribute: attrs.Attribute, value: object) -> None:  # type: ignore[type-arg]
    if not isinstance(value, dict) or len(value) > 200:
        raise InvalidValue(attribute.name, f"{attribute.name} must be a mapping")


@attrs.frozen
class SmsTemplates(Section):
    """Per-event SMS templates: ``own`` (event → content / provider_template_id / enabled) for
    the own channel, ``platform_disabled`` (event → true) for events switched off on the platform
    channel. Changed only through the messaging use cases."""

    SECTION: ClassVar[str] = "sms_templates"
    DIRECT_CHANGE: ClassVar[bool] = False
    own: dict[str, Any] = attrs.field(factory=dict, validator=_json_map, hash=False)
    platform_disabled: dict[str, Any] = attrs.field(factory=dict, validator=_json_map, hash=False)

    def own_template(self, code: str) -> SmsTemplate:
        """The own channel's template of an event (the default text, not yet enabled, if never saved;
        a required event counts as enabled once it has a template ID)."""
        ev = message_event(code)
        saved = self.own.get(ev.code) or {}
        tid = str(saved.get("provider_template_id", ""))
        enabled = bool(saved.get("enabled", False)) or (ev.required and bool(tid))
        return SmsTemplate(ev.code, str(saved.get("content") or ev.sms), tid, enabled)

    def platform_enabled(self, code: str) -> bool:
        ev = message_event(code)
        return ev.required or not self.platform_disabled.get(ev.code, False)

    def with_own(self, template: SmsTemplate) -> SmsTemplates:
        own = {**self.own, template.event: {"content": template.content,
                                            "provider_template_id": template.provider_template_id,
                                            "enabled": template.enabled}}
        return attrs.evolve(self, own=own)

    def not_ready(self) -> list[str]:
        """Events that stop a switch to the own channel: required events without a template ID."""
        return [e.code for e in MESSAGE_EVENTS if e.required and not self.own_template(e.code).enabled]


@attrs.frozen
class MailTemplate:
    event: str
    subject: str
    body: str
    enabled: bool = True

    def __attrs_post_init__(self) -> None:
        ev = message_event(self.event)
        check_text(self.subject, ev, field="subject", max_len=MAIL_SUBJECT_MAX, need_all=False)
        check_text(self.body, ev, field="body", max_len=MAIL_BODY_MAX, need_all=False)
        # Subject and body together must carry every required parameter.
        check_text(self.subject + "\n" + self.body, ev, field="body", max_len=MAIL_SUBJECT_MAX + MAIL_BODY_MAX + 1)
        if ev.required and not self.enabled:
            raise DomainError(f"{ev.code} is a required event (必要消息事件) and cannot be disabled", event=ev.code)


@attrs.frozen
class MailTemplates(Section):
    """Per-event mail templates (subject + body with ``${...}`` parameters)."""

    SECTION: ClassVar[str] = "mail_templates"
    DIRECT_CHANGE: ClassVar[bool] = False
    templates: dict[str, Any] = attrs.field(factory=dict, validator=_json_map, hash=False)

    def template(self, code: str) -> MailTemplate:
        ev = message_event(code)
        saved = self.templates.get(ev.code) or {}
        return MailTemplate(ev.code, str(saved.get("subject") or ev.subject), str(saved.get("body") or ev.sms),
                            bool(saved.get("enabled", True)) or ev.required)

    def with_template(self, template: MailTemplate) -> MailTemplates:
        saved = {"subject": template.subject, "body": template.body, "enabled": template.enabled}
        return attrs.evolve(self, templates={**self.templates, template.event: saved})


@attrs.frozen
class NoticeSettings(Section):
    """站内信 / 推送 (三.6.3–6.4): the nine physical-seal events, each on (default) or off."""

    SECTION: ClassVar[str] = "notices"
    DIRECT_CHANGE: ClassVar[bool] = False
    inbox_disabled: dict[str, Any] = attrs.field(factory=dict, validator=_json_map, hash=False)
    push_disabled: dict[str, Any] = attrs.field(factory=dict, validator=_json_map, hash=False)

    def enabled(self, kind: str, code: str) -> bool:
        notice_event(code)
        return not self._disabled(kind).get(code, False)

    def _disabled(self, kind: str) -> dict[str, Any]:
        if kind == "inbox":
            return self.inbox_disabled
        if kind == "push":
            return self.push_disabled
        raise InvalidValue("kind", "kind must be inbox or push")

    def switched(self, kind: str, code: str, enabled: bool) -> NoticeSettings:
        notice_event(code)
        disabled = {k: v for k, v in self._disabled(kind).items() if k != code}
        if not enabled:
            disabled[code] = True
        return attrs.evolve(self, **{f"{kind}_disabled": disabled})


def check_event_code(code: str) -> str:
    if not isinstance(code, str) or not _EVENT_CODE.match(code):
        raise InvalidValue("event", "an event code is lower-case letters, digits and _")
    return code
