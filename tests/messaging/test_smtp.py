"""The SMTP mail sender against real aiosmtpd servers: STARTTLS with AUTH LOGIN and PLAIN,
implicit TLS, wrong passwords, untrusted certificates, refused recipients, stable Message-IDs."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from email.header import decode_header, make_header
from pathlib import Path

import pytest

from esign_adapters.mail.smtp import SmtpMailSender
from esign_core.errors import ConfigurationError, MailError
from tests.messaging.smtp_server import PASSWORD, USER, Capture, make_certificate, start

TO = "zhangsan@example.com"
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")


@pytest.fixture(scope="module")
def cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return make_certificate(tmp_path_factory.mktemp("smtp"))


@pytest.fixture
def capture() -> Capture:
    return Capture()


@pytest.fixture
def server(request, capture, cert) -> Iterator[tuple[int, Capture]]:  # type: ignore[no-untyped-def]
    mode, mechanisms = request.param
    controller = start(capture, cert=cert[0], key=cert[1], mode=mode, mechanisms=mechanisms)
    yield controller.port, capture
    controller.stop()


def _sender(port: int, cert: tuple[Path, Path], *, tls: str, password: str = PASSWORD,
            context: ssl.SSLContext | None = None) -> SmtpMailSender:
    return SmtpMailSender(host="127.0.0.1", port=port, sender=USER, tls=tls, username=USER, password=password,
                          timeout=5, ssl_context=context or ssl.create_default_context(cafile=str(cert[0])))


def _subject(message) -> str:  # type: ignore[no-untyped-def]
    return str(make_header(decode_header(message["Subject"])))


@pytest.mark.parametrize("server", [("STARTTLS", ("LOGIN",)), ("STARTTLS", ("PLAIN",))], indirect=True,
                         ids=["login", "plain"])
def test_starttls_with_auth_delivers(server, cert):
    port, capture = server
    _sender(port, cert, tls="STARTTLS").send(to=TO, subject="合同签署通知", body="请签署《采购合同》。",
                                             idempotency_key="mail-1")
    (message,) = capture.messages
    assert _subject(message) == "合同签署通知" and message["To"] == TO and message["From"] == USER
    assert message["X-Authenticated"] == "True" and message["X-Tls"] == "True"
    assert message.get_payload(decode=True).decode("utf-8").strip() == "请签署《采购合同》。"
    assert capture.auth == [(capture.auth[0][0], True)] and capture.auth[0][0] in ("LOGIN", "PLAIN")


@pytest.mark.parametrize("server", [("SSL", ("LOGIN", "PLAIN"))], indirect=True)
def test_implicit_tls_with_auth_delivers(server, cert):
    port, capture = server
    _sender(port, cert, tls="SSL").send(to=TO, subject="test", body="hello", idempotency_key="k")
    assert capture.messages[0]["X-Tls"] == "True" and capture.messages[0]["X-Authenticated"] == "True"


@pytest.mark.parametrize("server", [("STARTTLS", ("LOGIN", "PLAIN")), ("SSL", ("LOGIN", "PLAIN"))], indirect=True,
                         ids=["starttls", "ssl"])
def test_wrong_password_is_a_clear_mail_error(server, cert, request):
    port, capture = server
    tls = "STARTTLS" if "starttls" in request.node.name else "SSL"
    with pytest.raises(MailError) as info:
        _sender(port, cert, tls=tls, password="wrong-pw").send(to=TO, subject="s", body="b", idempotency_key="k")
    assert info.value.fields["reason"] == "auth"
    assert "refused the user name or password (535)" in info.value.message
    assert "wrong-pw" not in info.value.message and capture.messages == []


@pytest.mark.parametrize("server", [("STARTTLS", ("LOGIN", "PLAIN"))], indirect=True)
def test_plain_connection_to_a_starttls_server_says_auth_is_not_offered(server, cert):
    port, _ = server
    with pytest.raises(MailError, match="does not offer.*choose STARTTLS or SSL"):
        _sender(port, cert, tls="NONE").send(to=TO, subject="s", body="b", idempotency_key="k")


@pytest.mark.parametrize("server", [("SSL", ("LOGIN", "PLAIN"))], indirect=True)
def test_an_untrusted_certificate_is_refused(server, cert):
    port, _ = server
    with pytest.raises(MailError, match="TLS with 127.0.0.1.* failed") as info:
        _sender(port, cert, tls="SSL", context=ssl.create_default_context()).send(
            to=TO, subject="s", body="b", idempotency_key="k")
    assert info.value.fields["reason"] == "tls"


@pytest.mark.parametrize("server", [("STARTTLS", ("LOGIN", "PLAIN"))], indirect=True)
def test_a_refused_recipient_is_named_masked(server, cert):
    port, _ = server
    with pytest.raises(MailError, match=r"refused the recipient z\*\*\*@elsewhere.org: 550"):
        _sender(port, cert, tls="STARTTLS").send(to="zhangsan@elsewhere.org", subject="s", body="b",
                                                 idempotency_key="k")


def test_nothing_listening_is_unavailable(cert):
    from tests.messaging.smtp_server import free_port

    with pytest.raises(MailError, match="cannot reach the mail server") as info:
        _sender(free_port(), cert, tls="NONE").send(to=TO, subject="s", body="b", idempotency_key="k")
    assert info.value.fields["reason"] == "unavailable"


@pytest.mark.parametrize("server", [("STARTTLS", ("LOGIN", "PLAIN"))], indirect=True)
def test_a_repeated_delivery_carries_the_same_message_id(server, cert):
    port, capture = server
    sender = _sender(port, cert, tls="STARTTLS")
    for _ in range(2):
        sender.send(to=TO, subject="s", body="b", idempotency_key="outbox-42")
    sender.send(to=TO, subject="s", body="b", idempotency_key="outbox-43")
    ids = [m["Message-ID"] for m in capture.messages]
    assert ids[0] == ids[1] != ids[2] and ids[0].endswith("@esign.local>")


def test_password_never_in_repr_and_settings_are_checked(cert):
    sender = _sender(25, cert, tls="SSL")
    assert PASSWORD not in repr(sender)
    with pytest.raises(ConfigurationError, match="tls must be"):
        SmtpMailSender(host="h", port=25, sender=USER, tls="TLS1")
    with pytest.raises(ConfigurationError, match="not configured"):
        SmtpMailSender(host="", port=25, sender=USER)


def test_a_slow_reply_to_the_end_of_the_message_is_awaited_not_resent() -> None:
    """Issue 12: a server that takes the message and answers after the command timeout. Giving up
    there would make the outbox send it again (RFC 1047); the end-of-data reply gets minutes
    (RFC 5321 §4.5.3.2.6), the commands keep their short timeout."""
    import asyncio

    from aiosmtpd.controller import Controller

    from tests.messaging.smtp_server import free_port

    received: list[str] = []

    class SlowAfterData:
        async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]  # noqa: N802
            received.append(envelope.content.decode())
            await asyncio.sleep(2.5)
            return "250 OK"

    port = free_port()
    controller = Controller(SlowAfterData(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        patient = SmtpMailSender(host="127.0.0.1", port=port, sender=USER, tls="NONE", timeout=1)
        patient.send(to=TO, subject="s", body="b", idempotency_key="slow-1")
        assert len(received) == 1
        hasty = SmtpMailSender(host="127.0.0.1", port=port, sender=USER, tls="NONE", timeout=1,
                               data_reply_timeout=1)
        with pytest.raises(MailError, match="timed out|did not answer"):  # what the old behaviour did
            hasty.send(to=TO, subject="s", body="b", idempotency_key="slow-2")
    finally:
        controller.stop()
