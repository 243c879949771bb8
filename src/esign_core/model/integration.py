"""Integration apps (集成中心 → 应用接入, manual 五.1.2): the credentials an integrator's system
uses to call the open API (reference §1.2), and what the app may do with them — which request
signatures it may send, from which addresses, which seals it may apply, where the external
identity checks of its signers are, and whether it may open portal sessions by single sign-on.
The secret is kept only sealed by the SecretBox; the core never sees it in clear except while
checking a request signature or a single-sign-on ticket."""

from __future__ import annotations

import enum
import ipaddress
from collections.abc import Iterable
from datetime import datetime
from urllib.parse import urlsplit

import attrs

from esign_core.errors import InvalidValue, PermissionDenied
from esign_core.model.base import Aggregate, require_text

#: SecretBox purpose of sealed app secrets.
APP_SECRET_PURPOSE = "open.app_secret"
#: The manual's limit on an app name (2.1 APPName: 限制在30个字符以内).
APP_NAME_MAX = 30
#: At most this many entries in each IP list.
MAX_IP_RULES = 200

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class AuthScheme(enum.Enum):
    """How a request to ``/open`` may be signed (docs/open-api.md, ADR 0042)."""

    #: ``x-qys-*``: md5(token + secret + timestamp), the product's own scheme
    QYS_MD5 = "QYS_MD5"
    #: ``x-esign-*``: HMAC-SHA256 over method, path, query, body hash, timestamp and nonce
    HMAC_SHA256 = "HMAC_SHA256"


class SealScope(enum.Enum):
    """可调用印章: every seal of the internal enterprises, or a custom list."""

    ALL_INTERNAL = "ALL_INTERNAL"
    CUSTOM = "CUSTOM"


class SealNotCallable(PermissionDenied):
    """The integration app may not apply this seal (集成中心 → 应用接入 → 可调用印章)."""

    code = "open.seal_not_callable"


def check_app_name(name: str) -> str:
    """The stripped name, required and at most 30 characters (InvalidValue otherwise)."""
    value = (name or "").strip()
    if not value:
        raise InvalidValue("name", "the app name is required")
    if len(value) > APP_NAME_MAX:
        raise InvalidValue("name", f"the app name is longer than {APP_NAME_MAX} characters ({len(value)})",
                           max_len=APP_NAME_MAX)
    return value


def parse_ip_rule(text: str, *, field: str = "ip") -> IpNetwork:
    """One allow/deny entry: a single IPv4/IPv6 address or a CIDR block (host bits ignored).
    Raises InvalidValue naming the entry."""
    value = text.strip()
    try:
        return ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise InvalidValue(field, f"{value!r} is not an IP address or CIDR block", entry=value) from None


def parse_ip_rules(entries: Iterable[str], *, field: str) -> tuple[str, ...]:
    """Normalised, de-duplicated rules (``10.0.0.0/8``, ``192.0.2.7/32``, ``2001:db8::/32``)."""
    seen: dict[str, None] = {}
    for entry in entries:
        if entry.strip():
            seen[str(parse_ip_rule(entry, field=field))] = None
    if len(seen) > MAX_IP_RULES:
        raise InvalidValue(field, f"at most {MAX_IP_RULES} entries")
    return tuple(seen)


def peer_address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address of a peer as compared with the rules: IPv4-mapped IPv6 (``::ffff:a.b.c.d``)
    counts as the IPv4 address; anything unparsable is None."""
    try:
        address = ipaddress.ip_address((text or "").strip().split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _matches(address: ipaddress.IPv4Address | ipaddress.IPv6Address, rules: tuple[str, ...]) -> bool:
    return any(address in ipaddress.ip_network(rule) for rule in rules
               if ipaddress.ip_network(rule).version == address.version)


def _callback_url(field: str, url: str) -> str:
    value = (url or "").strip()
    if not value:
        return ""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(ord(c) < 33 for c in value):
        raise InvalidValue(field, "an http(s) address is required")
    if len(value) > 500:
        raise InvalidValue(field, "the address is longer than 500 characters")
    return value


@attrs.define(kw_only=True, eq=False)
class IntegrationApp(Aggregate):
    """One application allowed to call ``/open``. It acts for ``tenant_id`` (an internal
    enterprise) and signs company seals as ``member_id``.

    ``legacy_static_signature`` is the legacy switch of the ``x-qys-*`` scheme: for clients
    that cannot send the time (the timestamp ``"0"``) or that re-send the same signature, the
    timestamp window and the replay check are skipped — the signature is then a replayable
    constant (security.md §3); off by default. ``accepted_schemes`` says which request
    signatures the app may use at all."""

    name: str = attrs.field(converter=lambda v: require_text("name", v, max_len=100))
    app_token: str
    sealed_secret: str = attrs.field(repr=False)
    tenant_id: int
    member_id: int | None = None
    enabled: bool = True
    legacy_static_signature: bool = False
    created_at: datetime
    accepted_schemes: frozenset[AuthScheme] = frozenset(AuthScheme)
    #: 外部个人认证 / 外部法人单位认证: the integrator's identity-check endpoints ("" = off)
    personal_auth_url: str = ""
    enterprise_auth_url: str = ""
    seal_scope: SealScope = SealScope.ALL_INTERNAL
    callable_seal_ids: frozenset[int] = frozenset()
    #: normalised networks (see :func:`parse_ip_rules`); an empty allow list allows every address
    ip_allow: tuple[str, ...] = ()
    ip_deny: tuple[str, ...] = ()
    #: may issue single-sign-on tickets for the portal (统一登录, ADR 0043)
    sso_enabled: bool = False
    secret_reset_at: datetime | None = None

    def disable(self) -> None:
        """Refuse every further request signed with this app's credentials."""
        self.enabled = False

    def enable(self) -> None:
        self.enabled = True

    def rename(self, name: str) -> None:
        """Raises InvalidValue (blank, longer than 30 characters)."""
        self.name = check_app_name(name)

    def allow_legacy_static_signature(self, allowed: bool) -> None:
        """Accept (or stop accepting) the timestamp ``"0"`` and re-sent ``x-qys-*`` signatures:
        only for clients that cannot send the time."""
        self.legacy_static_signature = allowed

    def reset_secret(self, sealed_secret: str, *, at: datetime) -> None:
        """Replace the secret: requests and tickets signed with the old one fail from now on."""
        self.sealed_secret = sealed_secret
        self.secret_reset_at = at

    def accept_schemes(self, schemes: Iterable[AuthScheme]) -> None:
        """Raises InvalidValue when no scheme is left (the app could not call anything)."""
        chosen = frozenset(schemes)
        if not chosen:
            raise InvalidValue("schemes", "accept at least one signature scheme")
        self.accepted_schemes = chosen

    def set_auth_callbacks(self, *, personal_url: str, enterprise_url: str) -> None:
        """外部个人认证 / 外部法人单位认证 addresses (blank switches one off). InvalidValue for
        anything but an http(s) URL."""
        self.personal_auth_url = _callback_url("personal_auth_url", personal_url)
        self.enterprise_auth_url = _callback_url("enterprise_auth_url", enterprise_url)

    def set_callable_seals(self, scope: SealScope, seal_ids: Iterable[int] = ()) -> None:
        """All internal seals, or only ``seal_ids`` (CUSTOM; an empty list allows none)."""
        self.seal_scope = scope
        self.callable_seal_ids = frozenset(seal_ids) if scope is SealScope.CUSTOM else frozenset()

    def set_ip_lists(self, *, allow: Iterable[str], deny: Iterable[str]) -> None:
        """IP 白名单 / 黑名单: single addresses or CIDR blocks, IPv4 or IPv6. InvalidValue for a
        bad entry (``ip_allow`` / ``ip_deny``)."""
        self.ip_allow = parse_ip_rules(allow, field="ip_allow")
        self.ip_deny = parse_ip_rules(deny, field="ip_deny")

    def allow_sso(self, allowed: bool) -> None:
        self.sso_enabled = allowed

    def ip_allowed(self, address: str) -> bool:
        """Whether a request from ``address`` may be served: never when the deny list matches
        (deny wins), else when the allow list is empty or matches. An address that cannot be
        parsed is allowed only when both lists are empty."""
        if not self.ip_allow and not self.ip_deny:
            return True
        peer = peer_address(address)
        if peer is None:
            return False
        if _matches(peer, self.ip_deny):
            return False
        return not self.ip_allow or _matches(peer, self.ip_allow)

    def may_use_seal(self, seal_id: int) -> bool:
        return self.seal_scope is SealScope.ALL_INTERNAL or seal_id in self.callable_seal_ids

    def check_seal(self, seal_id: int, seal_name: str = "") -> None:
        """Raise SealNotCallable unless the app may apply the seal."""
        if not self.may_use_seal(seal_id):
            raise SealNotCallable(f"the integration app {self.name!r} may not use the seal {seal_name or seal_id}",
                                  seal_id=str(seal_id), seal_name=seal_name, app=self.name)
