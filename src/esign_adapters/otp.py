"""TOTP tokens (绑定动态令牌) with pyotp; the secret is sealed by the SecretBox before it is stored."""

from __future__ import annotations

from typing import Any

import pyotp

from esign_core.errors import InvalidValue
from esign_core.services.org_admin import BindTotp

TOTP_PURPOSE = "user-totp"


def bind_totp_token(platform: Any, user_id: int, *, secret: str | None, code: str | None) -> str:
    """Without ``secret``: a new secret and its otpauth:// URI to show once (nothing stored).
    With ``secret`` and ``code``: verify the code and store the sealed secret. Raises
    InvalidValue (wrong code), NotFoundError (user)."""
    with platform.uow() as uow:
        user = uow.users.get(user_id)
    if secret is None:
        secret = pyotp.random_base32()
        uri = pyotp.TOTP(secret).provisioning_uri(name=user.account, issuer_name="esign")
        return f"secret: {secret}\nuri: {uri}"
    if not code or not pyotp.TOTP(secret).verify(code, valid_window=1):
        raise InvalidValue("code", "the code does not match the token; check the device clock and try again")
    sealed = platform.secrets.seal(secret.encode(), purpose=TOTP_PURPOSE)
    platform.handle(BindTotp(user_id=user_id, sealed_secret=sealed))
    return "bound"


def verify_totp(platform: Any, sealed_secret: str, code: str) -> bool:
    secret = platform.secrets.open(sealed_secret, purpose=TOTP_PURPOSE).decode()
    return bool(pyotp.TOTP(secret).verify(code, valid_window=1))
