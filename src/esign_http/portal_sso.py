"""Unified login (统一登录, manual 二.2.1 2; ADR 0043): ``GET /portal/sso?ticket=…``.

An OA system registered as an integration app (single sign-on allowed) sends its user here with
a ticket it signed with its AppSecret (format in docs/open-api.md and
:mod:`esign_core.model.sso_ticket`). A valid, fresh, unused ticket opens the portal directly on
the contract's page for the signatory the user acts for — no password; the ticket is used up.
The signing settings still decide what signing itself needs (an SMS code or signing password,
or nothing). An expired, reused, forged or misdirected ticket gets an error page that says so."""

from __future__ import annotations

import logging
from typing import Any

from litestar import Response, get
from litestar.response import Redirect

from esign_core.services.sso import RedeemSsoTicket, SsoTicketRefused
from esign_http.context import client_ip, language_of, platform_of
from esign_http.i18n import _l, translate
from esign_http.portal import AnyRequest, _sign_url
from esign_http.portal_links import DEFAULT_EXPIRES_IN
from esign_http.portal_view import portal_links
from esign_http.templating import page

log = logging.getLogger("esign_http")
SSO_ERRORS = {
    "invalid": _l("登录凭证无效或已被篡改。"),
    "disabled": _l("该业务系统未开通统一登录，或已被停用。"),
    "expired": _l("登录凭证已过期（有效期 5 分钟）。"),
    "lifetime": _l("登录凭证的有效期超过 5 分钟，不予接受。"),
    "account": _l("统一登录账号不存在或已被冻结，请先同步组织架构。"),
    "contract": _l("该账号不是此合同的签署方，无法打开。"),
    "reused": _l("登录凭证已被使用过，每个凭证只能使用一次。"),
}
_STATUS = {"expired": 410, "reused": 409}


@get("/sso", sync_to_thread=True)
def sso(request: AnyRequest) -> Response[Any]:
    """Redeem the ticket and go to the contract's sign page (a fresh sign link for 30 minutes)."""
    platform = platform_of(request)
    command = RedeemSsoTicket(ticket=request.query_params.get("ticket", ""), ip=client_ip(request))
    try:
        grant = platform.handle(command)
    except SsoTicketRefused as exc:
        log.warning("single sign-on refused: reason=%s app=%s ip=%s", exc.reason, exc.fields.get("app", ""),
                    command.ip)
        return page(request, "portal/sso_error.html", status_code=_STATUS.get(exc.reason, 403), reason=exc.reason,
                    message=translate(SSO_ERRORS[exc.reason], language_of(request)))
    token = portal_links(platform).token(grant.contract_id, grant.signatory_id, grant.account,
                                         expires_in=DEFAULT_EXPIRES_IN)
    log.info("single sign-on: app=%s contract=%s ip=%s", grant.app_name, grant.contract_id, command.ip)
    return Redirect(_sign_url(token))
