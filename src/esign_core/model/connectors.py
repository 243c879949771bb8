"""The connector catalogue of 集成中心 → 业务系统集成 (manual 五.1.1): the business systems the
product ships a standard integration for, what each one offers (directory sync, single sign-on,
signing notifications, contract creation, events) and how much of it this platform implements.

The catalogue states what the code does, not what the manual promises: docs/integrations-im.md
says the same per connector, and a test keeps the two in step. Which directory adapters are
actually installed is checked at run time by the adapter layer (an ``esign.org_directories``
entry point may be missing), so a connector's directory sync shows "not available" then."""

from __future__ import annotations

import enum
import re
from typing import Any, ClassVar

import attrs

from esign_core.errors import InvalidValue, NotFoundError
from esign_core.model.policy import SECRET_SETTING, Section


class ConnectorStatus(enum.Enum):
    IMPLEMENTED = "implemented"  # 已实现
    PARTIAL = "partial"  # 部分实现
    NOT_AVAILABLE = "not_available"  # 暂不支持


class Capability(enum.Enum):
    ORG_SYNC = "org_sync"  # 组织成员同步
    SSO = "sso"  # 单点登录
    NOTIFICATIONS = "notifications"  # 签署消息推送
    CONTRACT_CREATION = "contract_creation"  # 流程中创建合同 / 电子化签署
    EVENTS = "events"  # 事件订阅（消息队列）


@attrs.frozen(kw_only=True)
class CapabilityState:
    capability: Capability
    status: ConnectorStatus
    note: str = ""  # what is and is not done, in one sentence (Chinese; translated by the console)


@attrs.frozen(kw_only=True)
class Connector:
    """One business system. ``directory`` is its ``esign.org_directories`` entry-point name (None:
    no directory adapter); ``configurable`` means the console has a settings form for it."""

    code: str
    name: str
    vendor: str
    capabilities: tuple[CapabilityState, ...]
    directory: str | None = None
    configurable: bool = False

    @property
    def status(self) -> ConnectorStatus:
        """Implemented when every capability is, not available when none is, partial otherwise."""
        states = {c.status for c in self.capabilities}
        if states == {ConnectorStatus.IMPLEMENTED}:
            return ConnectorStatus.IMPLEMENTED
        if states <= {ConnectorStatus.NOT_AVAILABLE}:
            return ConnectorStatus.NOT_AVAILABLE
        return ConnectorStatus.PARTIAL

    def state(self, capability: Capability) -> CapabilityState | None:
        return next((c for c in self.capabilities if c.capability is capability), None)

    def supports(self, capability: Capability) -> bool:
        state = self.state(capability)
        return state is not None and state.status is not ConnectorStatus.NOT_AVAILABLE

    def with_directory_missing(self) -> Connector:
        """The same connector when its directory adapter is not installed."""
        caps = tuple(attrs.evolve(c, status=ConnectorStatus.NOT_AVAILABLE, note="目录同步适配器未安装")
                     if c.capability is Capability.ORG_SYNC else c for c in self.capabilities)
        return attrs.evolve(self, capabilities=caps)


DONE, PART, NONE = ConnectorStatus.IMPLEMENTED, ConnectorStatus.PARTIAL, ConnectorStatus.NOT_AVAILABLE
C = Capability
_OPEN_API = "业务系统通过开放平台接口（与原产品开放平台 v4 兼容）发起合同；该系统一侧的集成插件不随本产品提供"

CONNECTORS: tuple[Connector, ...] = (
    Connector(code="ecology", name="泛微e-cology", vendor="泛微", directory="ecology", capabilities=(
        CapabilityState(capability=C.ORG_SYNC, status=DONE, note="通过 HrmService WebService 同步分部、部门与人员"),
        CapabilityState(capability=C.SSO, status=NONE, note="OA 一侧签发单点登录票据的统一登录另行交付"),
        CapabilityState(capability=C.CONTRACT_CREATION, status=PART, note=_OPEN_API),
    )),
    Connector(code="landray_ekp", name="蓝凌EKP", vendor="蓝凌", capabilities=(
        CapabilityState(capability=C.ORG_SYNC, status=NONE, note="蓝凌组织架构同步接口未公开，未实现"),
        CapabilityState(capability=C.SSO, status=NONE, note="CAS 单点登录未实现"),
        CapabilityState(capability=C.CONTRACT_CREATION, status=PART, note=_OPEN_API),
    )),
    Connector(code="eoffice", name="泛微e-office", vendor="泛微", capabilities=(
        CapabilityState(capability=C.ORG_SYNC, status=NONE, note="e-office 组织接口未公开，未实现"),
        CapabilityState(capability=C.SSO, status=NONE, note="未实现"),
        CapabilityState(capability=C.CONTRACT_CREATION, status=PART, note=_OPEN_API),
    )),
    Connector(code="wecom", name="企业微信", vendor="腾讯", directory="wecom", configurable=True, capabilities=(
        CapabilityState(capability=C.ORG_SYNC, status=DONE, note="通讯录：部门与成员（游标分页、令牌自动刷新）"),
        CapabilityState(capability=C.SSO, status=PART,
                        note="网页授权 code 换取 userid 已实现；与平台账号绑定并登录门户未实现"),
        CapabilityState(capability=C.NOTIFICATIONS, status=NONE, note="应用消息推送未实现"),
    )),
    Connector(code="wechat_mp", name="微信公众号", vendor="腾讯", configurable=False, capabilities=(
        CapabilityState(capability=C.SSO, status=PART,
                        note="网页授权（OAuth2）code 换取 openid 已实现；openid 与平台账号绑定并登录门户未实现"),
    )),
    Connector(code="dingtalk", name="钉钉", vendor="阿里巴巴", directory="dingtalk", configurable=True, capabilities=(
        CapabilityState(capability=C.ORG_SYNC, status=DONE, note="通讯录：部门与成员（游标分页、令牌自动刷新）"),
        CapabilityState(capability=C.SSO, status=PART,
                        note="免登 code 换取 userid 已实现；与平台账号绑定并登录门户未实现"),
        CapabilityState(capability=C.NOTIFICATIONS, status=NONE, note="工作通知推送未实现"),
    )),
    Connector(code="rabbitmq", name="RabbitMQ", vendor="Broadcom", capabilities=(
        CapabilityState(capability=C.EVENTS, status=DONE, note="合同、印章、用户事件经发件箱发布到交换机（发布确认）"),
    )),
    Connector(code="yonyou_nc", name="用友NC", vendor="用友", capabilities=(
        CapabilityState(capability=C.CONTRACT_CREATION, status=PART,
                        note="NC 通过开放平台接口自动创建合同；NC 一侧的插件与单据映射不随本产品提供"),
    )),
)
CONNECTORS_BY_CODE: dict[str, Connector] = {c.code: c for c in CONNECTORS}


def connector(code: str) -> Connector:
    try:
        return CONNECTORS_BY_CODE[code]
    except KeyError:
        raise NotFoundError(f"unknown connector {code!r}; known: {', '.join(CONNECTORS_BY_CODE)}",
                            field="connector") from None


_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


def _configs(inst: object, attribute: attrs.Attribute, value: object) -> None:  # type: ignore[type-arg]
    if not isinstance(value, dict) or len(value) > 20:
        raise InvalidValue("configs", "connector settings must be a mapping of at most 20 connectors")
    for code, config in value.items():
        # a code this release does not know (a plugin removed since) is kept, not refused: a
        # stored section must always load; SaveConnectorSettings checks codes when saving
        if not isinstance(code, str) or not _NAME.match(code):
            raise InvalidValue("configs", f"connector code {code!r} must be lower-case letters, digits and _")
        if not isinstance(config, dict) or len(config) > 30:
            raise InvalidValue(code, f"the settings of {code} must be a mapping of at most 30 values")
        for key, item in config.items():
            if not isinstance(key, str) or not _NAME.match(key):
                raise InvalidValue(code, f"setting name {key!r} must be lower-case letters, digits and _")
            if SECRET_SETTING.search(key) and not key.endswith("_secret_ref"):
                raise InvalidValue(key, f"{key!r} is a secret: store it sealed, as {key}_secret_ref")
            if item is not None and not isinstance(item, str | int | float | bool):
                raise InvalidValue(key, f"setting {key!r} must be text, a number or true/false")
            if isinstance(item, str) and len(item) > 4000:
                raise InvalidValue(key, f"setting {key!r} is too long")


def _masked(configs: dict[str, Any]) -> str:
    return repr({code: {k: "***" if k.endswith("_secret_ref") else v for k, v in cfg.items()}
                 for code, cfg in configs.items()})


@attrs.frozen
class ConnectorSettings(Section):
    """The settings of the configurable connectors (DingTalk, WeCom), per connector code; secrets
    only as sealed ``*_secret_ref`` tokens, never in ``repr``. Changed through
    ``SaveConnectorSettings``, after the adapter has checked them."""

    SECTION: ClassVar[str] = "connectors"
    DIRECT_CHANGE: ClassVar[bool] = False
    configs: dict[str, Any] = attrs.field(factory=dict, validator=_configs, repr=_masked, hash=False)

    def config(self, code: str) -> dict[str, Any]:
        return dict(self.configs.get(code) or {})

    def configured(self, code: str) -> bool:
        return bool(self.configs.get(code))
