"""Where an outgoing callback may go: the SSRF rule shared by certification callbacks and the
outbox's webhook delivery.

A target is an ``http(s)`` URL without credentials whose host is not loopback, private,
link-local, multicast, reserved or unspecified — unless the host (or one of its addresses, or a
network containing it) is allow-listed by an administrator. Host names are resolved with the
``resolve`` function given (DNS lives in adapters); every address must pass, so a name that
resolves to 127.0.0.1 is refused like the literal. The deliverer must check again at connect
time (DNS rebinding): :func:`check_address` is what it calls on the connected peer."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

from esign_core.errors import InvalidValue

Resolve = Callable[[str], Iterable[str]]
IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def _allowed(host: str, address: IpAddress | None, allow: Iterable[str]) -> bool:
    for entry in allow:
        entry = entry.strip().lower()
        if not entry:
            continue
        if entry == host.lower():
            return True
        if address is not None:
            try:
                if address in ipaddress.ip_network(entry, strict=False):
                    return True
            except ValueError:
                continue
    return False


def is_internal(address: IpAddress) -> bool:
    """Loopback, private, link-local, multicast, reserved, unspecified (or IPv4-mapped ones)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return (address.is_loopback or address.is_private or address.is_link_local or address.is_multicast
            or address.is_reserved or address.is_unspecified)


def check_address(host: str, address: str, *, allow: Iterable[str] = (), field: str = "url") -> None:
    """Raise InvalidValue when ``address`` (an IP literal) is internal and not allow-listed."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if is_internal(ip) and not _allowed(host, ip, allow):
        raise InvalidValue(field, f"callback target {host} ({ip}) is a loopback, private or link-local address; "
                                  "an administrator must allow-list it first")


def check_callback_url(url: str, *, allow: Iterable[str] = (), resolve: Resolve | None = None,
                       field: str = "url") -> str:
    """Return the stripped URL when it is an acceptable callback target; raise InvalidValue
    (naming ``field``) otherwise. ``resolve`` maps a host name to its addresses; without it only
    IP literals and ``localhost`` are judged (names are checked again at delivery)."""
    url = (url or "").strip()
    allow = tuple(allow)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise InvalidValue(field, f"not a valid URL: {url!r}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidValue(field, "a callback URL must be an http:// or https:// address with a host")
    if parts.username or parts.password:
        raise InvalidValue(field, "a callback URL must not carry a user name or password")
    if port == 0 or any(ch.isspace() for ch in url) or len(url) > 2000:
        raise InvalidValue(field, f"not a valid URL: {url!r}")
    host = parts.hostname
    try:
        literal: IpAddress | None = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        literal = None
    if literal is not None:
        check_address(host, str(literal), allow=allow, field=field)
        return url
    lowered = host.lower().rstrip(".")
    if (lowered == "localhost" or lowered.endswith(".localhost")) and not _allowed(host, None, allow):
        raise InvalidValue(field, f"callback target {host} is loopback; an administrator must allow-list it first")
    if resolve is not None and not _allowed(host, None, allow):
        addresses = list(resolve(host))
        if not addresses:
            raise InvalidValue(field, f"callback host {host} does not resolve")
        for address in addresses:
            check_address(host, address, allow=allow, field=field)
    return url
