"""What a request can reach: the platform, the reader's language, the display settings."""

from __future__ import annotations

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
    """The peer address. Behind a reverse proxy run uvicorn with ``--proxy-headers`` and
    ``--forwarded-allow-ips`` so that this is the real client, not the proxy."""
    client = connection.client
    return client.host if client else "unknown"


def now_seconds(platform: Platform) -> float:
    """The platform clock as epoch seconds (injected, so tests can move time)."""
    return platform.clock.now().timestamp()
