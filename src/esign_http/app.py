"""The HTTP composition root: one Litestar app with every mount.

==================  ==========================================================================
``/``               redirects to ``/setup`` until activation, then to ``/console``
``/setup``          activation wizard (manual 一.1)
``/console``        admin console (server-rendered, Jinja2 + htmx)
``/portal``         signing portal (sign links, SMS check, preview, sign / reject, download)
``/open``           open API compatible with the product we replace
``/api/v1``         our REST API; OpenAPI schema at ``/api/v1/schema/openapi.json``
``/health``         liveness + readiness (checks the database)
``/checkHealth``    open API health check (plain ``OK``)
``/pki``            CRLs, OCSP, RFC 3161 time-stamping and the root certificate of the internal CA
``/static``         vendored htmx and the stylesheet
==================  ==========================================================================
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from pathlib import Path

from litestar import Litestar
from litestar.datastructures import State
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.openapi.spec import Components
from litestar.static_files import create_static_files_router

from esign_adapters.bootstrap import Platform
from esign_adapters.ops.heartbeat import node_address
from esign_http.api import api_router, app_version
from esign_http.api_contracts import OPENAPI_DESCRIPTION, SECURITY_SCHEMES
from esign_http.app_access_pages import AppAccessController
from esign_http.certificate_pages import CertificateController
from esign_http.connector_pages import ConnectorController
from esign_http.console import ConsoleController
from esign_http.console_routes import CONSOLE_ROUTES
from esign_http.directory_pages import DirectoryController
from esign_http.errors import EXCEPTION_HANDLERS
from esign_http.import_pages import ImportController
from esign_http.mail_pages import MailSettingsController, NoticeSettingsController
from esign_http.member_pages import MemberController
from esign_http.messaging_pages import MESSAGING_CONTROLLERS
from esign_http.open_platform import open_router
from esign_http.ops_pages import OPS_CONTROLLERS
from esign_http.pages import check_health_root, health, root, switch_language, theme_css
from esign_http.pki_routes import pki_router
from esign_http.portal import portal_router
from esign_http.ratelimit import LoginThrottle
from esign_http.remote_signer_routes import remote_signer_router
from esign_http.request_log import NodeLifecycle, RequestLog
from esign_http.seal_pages import PhysicalSealController
from esign_http.security import add_security_headers, csrf_config
from esign_http.sessions import SESSION_STORE, session_config, session_store
from esign_http.setup_wizard import SetupController
from esign_http.signing_service_pages import SigningServiceController
from esign_http.sms_pages import SmsSettingsController
from esign_http.storage_pages import StorageSettingsController
from esign_http.templating import template_config

log = logging.getLogger("esign_http")
STATIC_DIR = Path(__file__).parent / "static"
MAX_BODY_BYTES = 16 * 1024 * 1024
_TRUE = ("1", "true", "yes", "on")


def _secure_cookies_setting(platform: Platform) -> bool:
    """``[server] secure_cookies = true`` in esign.toml when the console is served over https
    (directly or behind a TLS-terminating proxy)."""
    server = platform.settings.file_values.get("server", {})
    value = server.get("secure_cookies", False) if isinstance(server, dict) else False
    return value is True or str(value).lower() in _TRUE


def _derive(secret: bytes, purpose: bytes) -> bytes:
    # One stored secret, a separate key per use: a leak of one derived key does not give the other.
    return hmac.new(secret, purpose, hashlib.sha256).digest()


def create_app(platform: Platform | None = None, *, secure_cookies: bool | None = None,
               login_throttle: LoginThrottle | None = None) -> Litestar:
    """Build the web application.

    ``platform`` defaults to :meth:`Platform.from_settings` (``$ESIGN_DATA_DIR`` or
    ``./esign-data``). ``secure_cookies`` marks the session, CSRF and language cookies Secure;
    by default it comes from ``[server] secure_cookies`` in esign.toml. ``login_throttle``
    replaces the default login limits (10 failures per 5 minutes per address and per user name).
    """
    platform = platform or Platform.from_settings()
    secure = _secure_cookies_setting(platform) if secure_cookies is None else secure_cookies
    secret = platform.settings.session_secret()
    csrf = csrf_config(_derive(secret, b"esign-csrf-v1"), secure=secure)
    static_router = create_static_files_router(path="/static", directories=[STATIC_DIR], include_in_schema=False,
                                               name="static")
    lifecycle = NodeLifecycle(platform)  # system logs and the web node's heartbeat (ADR 0045, 0046)
    app = Litestar(
        route_handlers=[root, switch_language, theme_css, health, check_health_root, SetupController,
                        ConsoleController, StorageSettingsController, *CONSOLE_ROUTES, PhysicalSealController,
                        DirectoryController, ImportController, MemberController, SmsSettingsController,
                        MailSettingsController, NoticeSettingsController, portal_router, open_router,
                        api_router, pki_router, static_router, *MESSAGING_CONTROLLERS, AppAccessController,
                        ConnectorController, *OPS_CONTROLLERS, remote_signer_router, CertificateController,
                        SigningServiceController],
        middleware=[session_config(secure=secure).middleware],
        stores={SESSION_STORE: session_store(platform.settings.data_dir)},
        csrf_config=csrf,
        template_config=template_config(),
        openapi_config=OpenAPIConfig(title="esign REST API", version=app_version(), path="/api/v1/schema",
                                     description=OPENAPI_DESCRIPTION,
                                     components=Components(security_schemes=SECURITY_SCHEMES),  # type: ignore[arg-type]
                                     render_plugins=[JsonRenderPlugin(path=["/openapi.json", "/"])]),
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        before_send=[add_security_headers],
        on_startup=[_purge_expired_sessions, lifecycle.start],
        on_shutdown=[lifecycle.stop],
        state=State({"platform": platform, "login_throttle": login_throttle or LoginThrottle(),
                     "csrf_config": csrf, "secure_cookies": secure}),
        request_max_body_size=MAX_BODY_BYTES,
        debug=False,
    )
    app.asgi_handler = RequestLog(app.asgi_handler, platform=platform, node=node_address(platform.settings),
                                  lifecycle=lifecycle)
    return app


async def _purge_expired_sessions(app: Litestar) -> None:
    """Expired sessions are otherwise only removed when their id is presented again."""
    try:
        await app.stores.get(SESSION_STORE).delete_expired()  # type: ignore[attr-defined]
    except OSError:
        log.warning("could not purge expired sessions", exc_info=True)
