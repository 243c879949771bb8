"""SMTP delivery (邮件服务配置) with the standard library: plain, STARTTLS or implicit TLS
(SMTPS), AUTH (smtplib picks CRAM-MD5, PLAIN or LOGIN from what the server offers), timeouts, and
every failure translated into :class:`~esign_core.errors.MailError` with what to fix.

The Message-ID is derived from the idempotency key, so that a delivery repeated after a crash
carries the same id and mail systems that de-duplicate by Message-ID show it once.
"""

from __future__ import annotations

import hashlib
import logging
import smtplib
import ssl
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid

from esign_core.errors import ConfigurationError, MailError
from esign_core.model.messaging import MailTemplates, render
from esign_core.model.policy import MailSettings
from esign_core.ports.system import SecretBox

log = logging.getLogger(__name__)
TLS_MODES = ("NONE", "STARTTLS", "SSL")
#: How long to wait for the server's reply to the end of the message (RFC 5321 §4.5.3.2.6 asks
#: for 10 minutes; kept under the outbox lease of 5 minutes). Giving up earlier is what makes a
#: slow server that has taken the message receive it twice (RFC 1047): the sender must then
#: assume it was not delivered and send it again.
DATA_REPLY_TIMEOUT_S = 240.0


class _PatientData:
    """After the message's final ``.`` the socket waits :data:`DATA_REPLY_TIMEOUT_S` for the
    reply instead of the short command timeout."""

    data_reply_timeout: float = DATA_REPLY_TIMEOUT_S
    sock: object

    def send(self, s: str | bytes) -> None:
        super().send(s)  # type: ignore[misc]
        if isinstance(s, bytes) and s.endswith(b"\r\n.\r\n") and self.sock is not None:
            self.sock.settimeout(max(self.data_reply_timeout, self.sock.gettimeout() or 0))  # type: ignore[attr-defined]


class _Smtp(_PatientData, smtplib.SMTP):
    pass


class _SmtpSsl(_PatientData, smtplib.SMTP_SSL):
    pass
MAIL_PASSWORD_PURPOSE = "mail.password"  # the same purpose as esign_core.services.messaging


def _mask_address(address: str) -> str:
    local, _, domain = address.partition("@")
    return (local[:1] + "***@" + domain) if domain else "***"


class SmtpMailSender:
    """Sends one message per connection (notifications are few; no connection to keep alive)."""

    def __init__(self, *, host: str, port: int, sender: str, tls: str = "SSL", username: str = "",
                 password: str = "", timeout: float = 15.0, ssl_context: ssl.SSLContext | None = None,
                 sender_name: str = "", data_reply_timeout: float = DATA_REPLY_TIMEOUT_S) -> None:
        if tls not in TLS_MODES:
            raise ConfigurationError("mail: tls must be NONE, STARTTLS or SSL", field="tls")
        if not host or not sender:
            raise ConfigurationError("mail: the sender address and the SMTP server are not configured",
                                     field="smtp_host" if not host else "sender")
        self.host, self.port, self.sender, self.tls = host, port, sender, tls
        self.username = username
        self._password = password
        self.timeout = timeout
        self.data_reply_timeout = data_reply_timeout
        self.sender_name = sender_name
        self._context = ssl_context or ssl.create_default_context()

    def __repr__(self) -> str:
        return f"SmtpMailSender({self.host}:{self.port}, tls={self.tls}, user={self.username!r}, password=***)"

    @classmethod
    def from_settings(cls, settings: MailSettings, *, secrets: SecretBox, sender_name: str = "") -> SmtpMailSender:
        password = ""
        if settings.password_secret_ref:
            password = secrets.open(settings.password_secret_ref, purpose=MAIL_PASSWORD_PURPOSE).decode()
        context = None
        if settings.ca_file:
            try:
                context = ssl.create_default_context(cafile=settings.ca_file)
            except (OSError, ssl.SSLError) as exc:
                raise ConfigurationError(f"mail: the CA file {settings.ca_file} cannot be read: {exc}",
                                         field="ca_file") from exc
        return cls(host=settings.smtp_host, port=settings.smtp_port, sender=settings.sender, tls=settings.tls,
                   username=settings.username, password=password, timeout=settings.timeout, ssl_context=context,
                   sender_name=sender_name)

    def with_password(self, password: str) -> SmtpMailSender:
        """The same server with another password (a test of settings not saved yet)."""
        return SmtpMailSender(host=self.host, port=self.port, sender=self.sender, tls=self.tls,
                              username=self.username, password=password, timeout=self.timeout,
                              ssl_context=self._context, sender_name=self.sender_name)

    def message(self, *, to: str, subject: str, body: str, idempotency_key: str) -> EmailMessage:
        msg = EmailMessage()
        msg["From"] = formataddr((self.sender_name, self.sender)) if self.sender_name else self.sender
        msg["To"] = to
        msg["Subject"] = subject
        msg["Date"] = formatdate(localtime=False, usegmt=True)
        domain = self.sender.rpartition("@")[2] or "esign.local"
        if idempotency_key:
            msg["Message-ID"] = f"<{hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]}@{domain}>"
        else:
            msg["Message-ID"] = make_msgid(domain=domain)
        msg.set_content(body)
        return msg

    def send(self, *, to: str, subject: str, body: str, idempotency_key: str) -> None:
        """Deliver one message; raises MailError saying what went wrong."""
        msg = self.message(to=to, subject=subject, body=body, idempotency_key=idempotency_key)
        where = f"{self.host}:{self.port}"
        try:
            with self._connect() as smtp:
                if self.tls == "STARTTLS":
                    smtp.starttls(context=self._context)
                    smtp.ehlo()
                if self.username:
                    smtp.login(self.username, self._password)
                smtp.send_message(msg)
        except smtplib.SMTPAuthenticationError as exc:
            raise MailError(f"the mail server {where} refused the user name or password ({exc.smtp_code})",
                            reason="auth", smtp_code=exc.smtp_code) from None
        except smtplib.SMTPNotSupportedError as exc:
            hint = "; choose STARTTLS or SSL" if self.tls == "NONE" else ""
            raise MailError(f"the mail server {where} does not offer this ({_text(exc)}){hint}",
                            reason="unsupported") from None
        except smtplib.SMTPRecipientsRefused as exc:
            codes = ", ".join(f"{code} {_decode(text)}" for code, text in exc.recipients.values())
            raise MailError(f"the mail server {where} refused the recipient {_mask_address(to)}: {codes}",
                            reason="recipient") from None
        except smtplib.SMTPSenderRefused as exc:
            raise MailError(f"the mail server {where} refused the sender {self.sender}: {exc.smtp_code} "
                            f"{_decode(exc.smtp_error)}", reason="sender") from None
        except smtplib.SMTPResponseException as exc:
            raise MailError(f"the mail server {where} answered {exc.smtp_code} {_decode(exc.smtp_error)}",
                            reason="refused", smtp_code=exc.smtp_code) from None
        except ssl.SSLError as exc:
            raise MailError(f"TLS with {where} failed ({exc.reason or type(exc).__name__}): check the TLS mode "
                            "and the server certificate", reason="tls") from None
        except TimeoutError:
            raise MailError(f"the mail server {where} did not answer within {self.timeout:g} s",
                            reason="timeout") from None
        except (smtplib.SMTPException, OSError) as exc:
            raise MailError(f"cannot reach the mail server {where}: {_text(exc)}", reason="unavailable") from None
        log.info("mail sent to %s via %s", _mask_address(to), where)

    def _connect(self) -> smtplib.SMTP:
        if self.tls == "SSL":
            smtp: smtplib.SMTP = _SmtpSsl(self.host, self.port, timeout=self.timeout, context=self._context)
        else:
            smtp = _Smtp(self.host, self.port, timeout=self.timeout)
        smtp.data_reply_timeout = max(self.data_reply_timeout, self.timeout)  # type: ignore[attr-defined]
        return smtp


def _decode(value: bytes | str) -> str:
    return (value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value))[:200]


def _text(exc: BaseException) -> str:
    return (str(exc) or type(exc).__name__)[:200]


class SelectingMailSender:
    """The platform's MailSender: built from the stored mail settings at each send (a change in
    the console applies at once). ``event`` + ``params`` render that event's mail template
    instead of the given subject and body; a disabled event is not sent."""

    def __init__(self, current: Callable[[], tuple[MailSettings, MailTemplates]], *, secrets: SecretBox,
                 sender_name: Callable[[], str] | None = None) -> None:
        self._current = current
        self._secrets = secrets
        self._sender_name = sender_name or (lambda: "")

    def send(self, *, to: str, subject: str, body: str, idempotency_key: str, event: str = "",
             params: dict[str, str] | None = None) -> None:
        settings, templates = self._current()
        if not settings.configured:
            raise MailError("the mail service is not configured (邮件服务配置): set the sender address and the "
                            "SMTP server first", reason="not_configured")
        if event:
            template = templates.template(event)
            if not template.enabled:
                return
            subject, body = render(template.subject, params or {}), render(template.body, params or {})
        sender = SmtpMailSender.from_settings(settings, secrets=self._secrets, sender_name=self._sender_name())
        sender.send(to=to, subject=subject, body=body, idempotency_key=idempotency_key)
