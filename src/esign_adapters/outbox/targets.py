"""Which addresses a webhook may be sent to (server-side request forgery guard).

A webhook URL comes from an integrator or an admin, so the platform must not be turned into a
proxy towards its own network: the host is resolved once, every address it resolves to must be a
public unicast address — loopback, private (RFC 1918, ULA), link-local (cloud metadata at
169.254.169.254), multicast, reserved, unspecified and shared (CGNAT) ranges are refused — and
the request is then made to the checked address (so a second DNS answer cannot point elsewhere).
Hosts or networks on the admin allow-list (``[webhooks] allow`` in esign.toml) are let through:
an internal receiver must be allowed explicitly.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from urllib.parse import urlsplit

import attrs

from esign_core.errors import ConfigurationError, WebhookError

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@attrs.frozen
class AllowList:
    """Host names (exact, case-insensitive) and networks that may be targeted although private."""

    hosts: frozenset[str] = frozenset()
    networks: tuple[IpNetwork, ...] = ()

    @classmethod
    def parse(cls, entries: Iterable[str]) -> AllowList:
        """``["10.1.0.0/16", "127.0.0.1", "hooks.internal"]``; raises ConfigurationError."""
        hosts, networks = set(), []
        for raw in entries:
            entry = str(raw).strip()
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                if "/" in entry or " " in entry:
                    raise ConfigurationError(f"webhook allow-list entry {entry!r} is neither a host nor a network",
                                             field="webhooks.allow") from None
                hosts.add(entry.lower().rstrip("."))
        return cls(frozenset(hosts), tuple(networks))

    def allows_address(self, ip: IpAddress) -> bool:
        return any(ip.version == n.version and ip in n for n in self.networks)


@attrs.frozen
class Target:
    """A checked webhook target: connect to ``address``, present ``host`` (Host header, TLS SNI
    and certificate check)."""

    scheme: str
    host: str
    port: int
    address: str
    path: str

    @property
    def connect_url(self) -> str:
        ip = ipaddress.ip_address(self.address)
        literal = f"[{ip}]" if ip.version == 6 else str(ip)
        return f"{self.scheme}://{literal}:{self.port}{self.path}"

    @property
    def host_header(self) -> str:
        default = 443 if self.scheme == "https" else 80
        name = f"[{self.host}]" if ":" in self.host else self.host
        return name if self.port == default else f"{name}:{self.port}"


def refusal(ip: IpAddress) -> str | None:
    """Why an address is not a public unicast one, or None."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return refusal(ip.ipv4_mapped)
    checks = (("loopback", ip.is_loopback), ("link-local", ip.is_link_local), ("multicast", ip.is_multicast),
              ("unspecified", ip.is_unspecified), ("reserved", ip.is_reserved), ("private", ip.is_private))
    for name, hit in checks:
        if hit:
            return name
    if not ip.is_global:
        return "not globally routable"
    return None


def resolve(host: str, port: int) -> list[IpAddress]:
    """Every address of ``host``; raises WebhookError (retried) when the name does not resolve."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise WebhookError(f"webhook host {host} does not resolve: {exc.strerror or exc}", host=host) from None
    seen: list[IpAddress] = []
    for info in infos:
        ip = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if ip not in seen:
            seen.append(ip)
    return seen


def check_target(url: str, allow: AllowList) -> Target:
    """Parse, resolve and check ``url``. Raises ConfigurationError (permanent: the message is
    dead-lettered) for a malformed URL or a refused address, WebhookError when resolution fails."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError("a webhook URL must be http(s)://host/…", field="url")
    if parts.username or parts.password:
        raise ConfigurationError("a webhook URL must not carry credentials", field="url")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise ConfigurationError("the webhook URL has an invalid port", field="url") from None
    host = parts.hostname.lower().rstrip(".")
    addresses = resolve(host, port)
    if not addresses:
        raise WebhookError(f"webhook host {host} has no address", host=host)
    host_allowed = host in allow.hosts
    for ip in addresses:
        reason = refusal(ip)
        if reason and not host_allowed and not allow.allows_address(ip):
            raise ConfigurationError(
                f"webhook target {host} resolves to {ip}, a {reason} address; add the host or network to the "
                "webhook allow-list ([webhooks] allow) to permit it", field="url", host=host)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(parts.scheme, host, port, str(addresses[0]), path)
