"""External identity checks of an integration app (外部个人认证 / 外部法人单位认证, manual 五.1.2):
when the app has the check's address set, every signature it asks for a person (or an
enterprise) is preceded by a call to that address; a refusal or an unreachable endpoint stops
the signing (fail closed)."""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from esign_core.errors import PermissionDenied
from esign_core.model.integration import APP_SECRET_PURPOSE
from esign_core.ports import SecretBox, UnitOfWork
from esign_core.ports.external_identity import IdentityVerifier
from esign_core.services.commands import Command

PERSONAL, COMPANY = "PERSONAL", "COMPANY"


class ExternalIdentityRefused(PermissionDenied):
    """The integrator's identity check did not vouch for the signer (外部认证未通过)."""

    code = "open.external_identity_refused"


@attrs.frozen(kw_only=True)
class VerifyExternalIdentity(Command):
    """``kind`` PERSONAL (``subject``: name, contact, cardNo) or COMPANY (tenantName)."""

    app_id: int
    kind: str
    subject: Mapping[str, str] = attrs.field(repr=False)


def verify_external_identity(cmd: VerifyExternalIdentity, *, uow: UnitOfWork, secrets: SecretBox,
                             identities: IdentityVerifier) -> bool:
    """False when the app has no check of that kind; True when its endpoint vouched. Raises
    ExternalIdentityRefused, OaError (endpoint unreachable or a malformed answer)."""
    with uow:
        app = uow.apps.get(cmd.app_id)
    url = app.personal_auth_url if cmd.kind == PERSONAL else app.enterprise_auth_url
    if not url:
        return False
    secret = secrets.open(app.sealed_secret, purpose=APP_SECRET_PURPOSE).decode()
    if not identities.verify(url, app_token=app.app_token, secret=secret, kind=cmd.kind, subject=dict(cmd.subject)):
        who = cmd.subject.get("tenantName") or cmd.subject.get("name") or ""
        raise ExternalIdentityRefused(f"the external {cmd.kind.lower()} authentication of {app.name!r} did not "
                                      f"vouch for {who}", app=app.name, kind=cmd.kind, signer=who)
    return True
