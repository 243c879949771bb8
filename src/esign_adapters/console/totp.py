"""Dynamic tokens (动态令牌, RFC 6238 TOTP) for console accounts: new secrets, the provisioning
QR code an authenticator app scans, and code checks (one step either way for clock drift)."""

from __future__ import annotations

import base64
import hmac
import io

import pyotp
import segno

ISSUER = "esign"


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, account: str, issuer: str = ISSUER) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=issuer)


def qr_data_uri(uri: str) -> str:
    """An SVG QR code as a ``data:`` URI (the CSP allows ``img-src data:``)."""
    out = io.BytesIO()
    segno.make(uri, error="m").save(out, kind="svg", scale=5, border=2)
    return "data:image/svg+xml;base64," + base64.b64encode(out.getvalue()).decode("ascii")


def verify(secret: str, code: str, *, at: float, last_step: int | None = None) -> int | None:
    """The time step (30 s) the code belongs to, one step of drift either way, or None when it is
    wrong or its step is not newer than ``last_step`` (a code is usable once)."""
    code = code.strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    now_step = int(at) // totp.interval
    for step in (now_step - 1, now_step, now_step + 1):
        if (last_step is None or step > last_step) and hmac.compare_digest(totp.at(step * totp.interval), code):
            return step
    return None


def code_at(secret: str, at: float) -> str:
    """The code at a time (tests and the CLI use it)."""
    return str(pyotp.TOTP(secret).at(int(at)))
