"""What a request can reach: the platform, the reader's language, the display settings."""

from __future__ import annotations

import functools
import ipaddress
import logging
from typing import Any

from litestar.connection import ASGIConnection

from esign_adapters.bootstrap import Platform
from esign_core.errors import EsignError
from esign_core.model.policy import DisplaySettings
from esign_core.services.settings import get_settings
from esign_http.i18n import LANG_COOKIE, normalise_language

log = logging.getLogger("esign_http")
Connection = ASGIConnection[Any, Any, Any, Any]


def platform_of(connection: Connection) -> Platform:
    return connection.app.state["platform"]  # type: ignore[no-any-return]


def language_of(connection: Connection) -> str:
    """The ``esign_lang`` cookie, else the deployment's default language (Chinese)."""
    default = normalise_language(platform_of(connection).settings.language)
    return normalise_language(connection.cookies.get(LANG_COOKIE), default)


def initialized(connection: Connection) -> bool:
    return platform_of(connection).is_initialized()


def display_settings(platform: Platform) -> DisplaySettings:
    """The stored display settings; the defaults before activation or when the database is down
    (so that error pages still render)."""
    try:
        if not platform.is_initialized():
            return DisplaySettings()
        return get_settings(DisplaySettings.SECTION, uow=platform.uow())  # type: ignore[return-value]
    except EsignError as exc:
        log.warning("display settings unavailable: %s", exc.code)
        return DisplaySettings()
    except Exception:  # an error page must render even when the database layer misbehaves
        log.warning("display settings unavailable", exc_info=True)
        return DisplaySettings()


def client_ip(connection: Connection) -> str:
    """The client's address: the peer of the connection, unless the peer is one of the trusted
    proxies of the settings (``[server] trusted_proxies`` / ``ESIGN_TRUSTED_PROXIES``, empty by
    default): then ``X-Forwarded-For`` is read from the right, skipping trusted proxies, and the
    first other address is the client. Without trusted proxies the header is ignored, so a client
    cannot choose its own address (login rate limit, the open API's IP lists)."""
    client = connection.client
    peer = client.host if client else "unknown"
    trusted = _networks(getattr(platform_of(connection).settings, "trusted_proxies", ()))
    if not trusted or not _in(peer, trusted):
        return peer
    hops = [hop.strip() for value in connection.headers.getall("x-forwarded-for", [])
            for hop in value.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _in(hop, trusted):
            return hop if _address(hop) is not None else peer
    return hops[0] if hops else peer


@functools.lru_cache(maxsize=8)
def _networks(rules: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(rule, strict=False) for rule in rules)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _in(text: str, networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]) -> bool:
    address = _address(text)
    return address is not None and any(address.version == n.version and address in n for n in networks)


def now_seconds(platform: Platform) -> float:
    """The platform clock as epoch seconds (injected, so tests can move time)."""
    return platform.clock.now().timestamp()
