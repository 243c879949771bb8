"""Webhooks: signed as Standard Webhooks say (checked by a receiver with its own implementation),
secrets rotated, private targets refused unless allow-listed, redirects not followed."""

from __future__ import annotations

import ipaddress
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from esign_adapters.outbox.targets import AllowList, check_target, refusal
from esign_adapters.outbox.webhook import HttpWebhookSender, new_secret, sign
from esign_core.errors import ConfigurationError, WebhookError
from tests.outbox.sink import Sink, standard_webhooks_verify

LOCAL = AllowList.parse(["127.0.0.1/32"])


def test_a_webhook_is_signed_and_verified_by_the_receiver() -> None:
    secret = new_secret()
    with Sink(secret) as sink:
        sender = HttpWebhookSender(secrets=[secret], allow=LOCAL)
        sender.send(url=sink.url, message_id="msg_1", topic="contract.signed", data={"contractId": "42", "名": "值"})
    assert sink.arrivals == ["msg_1"] and sink.bad_signatures == 0
    assert sink.bodies["msg_1"]["type"] == "contract.signed"
    assert sink.bodies["msg_1"]["data"] == {"contractId": "42", "名": "值"}


def test_rotation_signs_with_every_secret_so_either_verifies() -> None:
    old, new = new_secret(), new_secret()
    header = sign([new, old], "msg_2", 1700000000, b"{}")
    assert len(header.split(" ")) == 2
    for secret in (old, new):
        assert standard_webhooks_verify(secret, {"webhook-id": "msg_2", "webhook-timestamp": "1700000000",
                                                 "webhook-signature": header}, b"{}")
    assert not standard_webhooks_verify(new_secret(), {"webhook-id": "msg_2", "webhook-timestamp": "1700000000",
                                                       "webhook-signature": header}, b"{}")


def test_the_signature_matches_the_specification_example() -> None:
    # The example of the Standard Webhooks specification (and of its reference libraries).
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = b'{"test": 2432232314}'
    assert sign([secret], "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body) == (
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")


def test_loopback_is_refused_unless_allow_listed() -> None:
    secret = new_secret()
    with Sink(secret) as sink:
        sender = HttpWebhookSender(secrets=[secret], allow=AllowList())
        with pytest.raises(ConfigurationError, match="loopback"):
            sender.send(url=sink.url, message_id="msg_3", topic="t", data={})
        assert sink.arrivals == []
        by_host = HttpWebhookSender(secrets=[secret], allow=AllowList.parse(["127.0.0.1"]))
        by_host.send(url=sink.url, message_id="msg_4", topic="t", data={})
    assert sink.arrivals == ["msg_4"]


@pytest.mark.parametrize("address, reason", [
    ("127.0.0.1", "loopback"), ("10.1.2.3", "private"), ("192.168.0.1", "private"), ("172.16.5.5", "private"),
    ("169.254.169.254", "link-local"), ("224.0.0.1", "multicast"), ("0.0.0.0", "unspecified"),
    ("::1", "loopback"), ("fd00::1", "private"), ("fe80::1", "link-local"), ("::ffff:127.0.0.1", "loopback"),
    ("100.64.0.1", "not globally routable"), ("240.0.0.1", "reserved"),
])
def test_non_public_addresses_are_refused(address: str, reason: str) -> None:
    assert refusal(ipaddress.ip_address(address)) == reason
    with pytest.raises(ConfigurationError):
        check_target(f"http://[{address}]/x" if ":" in address else f"http://{address}/x", AllowList())


def test_public_addresses_pass_and_are_pinned() -> None:
    target = check_target("https://93.184.215.14:8443/hook?a=1", AllowList())
    assert (target.connect_url, target.host_header) == ("https://93.184.215.14:8443/hook?a=1", "93.184.215.14:8443")
    assert refusal(ipaddress.ip_address("8.8.8.8")) is None


def test_bad_urls_and_unresolvable_hosts() -> None:
    for url in ("ftp://example.com/x", "http://user:pw@example.com/", "http:///nohost"):
        with pytest.raises(ConfigurationError):
            check_target(url, AllowList())
    with pytest.raises(WebhookError):
        check_target("http://no-such-host.invalid/x", AllowList())
    with pytest.raises(ConfigurationError):
        AllowList.parse(["10.0.0.0/99"])


def test_redirects_are_not_followed_and_errors_are_retryable() -> None:
    hits: list[str] = []

    class Redirect(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:  # noqa: N802
            hits.append(self.path)
            self.send_response(302 if self.path == "/r" else 503)
            self.send_header("location", "http://169.254.169.254/latest/meta-data")
            self.send_header("content-length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    sender = HttpWebhookSender(secrets=[new_secret()], allow=LOCAL)
    try:
        with pytest.raises(ConfigurationError, match="redirect"):
            sender.send(url=base + "/r", message_id="m", topic="t", data={})
        with pytest.raises(WebhookError, match="503"):
            sender.send(url=base + "/e", message_id="m", topic="t", data={})
    finally:
        server.shutdown()
        server.server_close()
    assert hits == ["/r", "/e"]


def test_malformed_secrets_are_refused() -> None:
    with pytest.raises(ConfigurationError):
        HttpWebhookSender(secrets=["whsec_c2hvcnQ="], allow=AllowList())
    with pytest.raises(ConfigurationError):
        HttpWebhookSender(secrets=[], allow=AllowList())
