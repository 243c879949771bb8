"""aiosmtpd servers for the mail tests: STARTTLS with AUTH required (LOGIN and PLAIN offered, or
LOGIN only), implicit TLS (SMTPS) with AUTH, and a plain relay; the certificate is self-signed,
made in the test with ``cryptography``."""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

USER, PASSWORD = "noreply@esign.local", "smtp-Passw0rd"


def make_certificate(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "smtp-cert.pem", directory / "smtp-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Capture:
    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.auth: list[tuple[str, bool]] = []

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:  # noqa: N802
        if not address.endswith("@example.com"):
            return "550 5.1.1 not relaying to that domain"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = message_from_bytes(envelope.content)
        message["X-Authenticated"] = str(bool(session.authenticated))
        message["X-Tls"] = str(server.transport.get_extra_info("ssl_object") is not None)
        self.messages.append(message)
        return "250 Message accepted for delivery"


def start(capture: Capture, *, cert: Path, key: Path, mode: str, mechanisms: tuple[str, ...] = ("LOGIN", "PLAIN"),
          auth: bool = True) -> Controller:
    """``mode``: STARTTLS (TLS and AUTH required), SSL (implicit TLS), NONE (plain, no AUTH)."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(cert), str(key))

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (USER.encode(), PASSWORD.encode())
        capture.auth.append((mechanism, ok))
        return AuthResult(success=ok, handled=False)

    exclude = [m for m in ("LOGIN", "PLAIN") if m not in mechanisms]
    kwargs: dict[str, Any] = {"hostname": "127.0.0.1", "port": free_port()}
    if mode == "STARTTLS":
        kwargs.update(tls_context=context, require_starttls=True, authenticator=authenticator, auth_required=True,
                      auth_require_tls=True, auth_exclude_mechanism=exclude)
    elif mode == "SSL":
        kwargs.update(ssl_context=context, authenticator=authenticator, auth_required=auth, auth_require_tls=False,
                      auth_exclude_mechanism=exclude)
    controller = Controller(capture, **kwargs)
    controller.start()
    return controller
