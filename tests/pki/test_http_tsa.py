"""HttpTimeStamper against real HTTP servers on 127.0.0.1: success, and every failure as SigningError."""

from __future__ import annotations

import base64
import hashlib
import io
import time

import pytest

from esign_adapters.pki.pyhanko_bridge import pyhanko_signer
from esign_adapters.tsa import HttpTimeStamper, as_pyhanko_timestamper, rfc3161_respond
from esign_adapters.tsa.protocol import build_request, verify_token
from esign_core.errors import ConfigurationError, SigningError

from .conftest import PERSON

DIGEST = hashlib.sha256(b"contract.pdf").digest()
REPLY = "application/timestamp-reply"


def test_http_tsa_returns_a_checked_token(tsa, http_server) -> None:
    seen: list[dict[str, str]] = []

    def handler(method, path, headers, body):
        seen.append(headers)
        assert method == "POST" and path == "/tsa"
        return 200, REPLY, rfc3161_respond(tsa, body)

    base = http_server(handler)
    stamper = HttpTimeStamper(f"{base}/tsa", timeout=5, auth=("user", "pa55"))
    token = stamper.timestamp(DIGEST)
    assert verify_token(token)["message_imprint"]["hashed_message"].native == DIGEST
    assert seen[0]["Content-Type"] == "application/timestamp-query"
    assert seen[0]["Authorization"] == "Basic " + base64.b64encode(b"user:pa55").decode()
    assert "pa55" not in repr(stamper)


def test_closed_port_is_a_clear_signing_error() -> None:
    with pytest.raises(SigningError) as info:
        HttpTimeStamper("http://127.0.0.1:1/tsa", timeout=5).timestamp(DIGEST)
    assert str(info.value) == "timestamp authority http://127.0.0.1:1/tsa unavailable: connection refused"


@pytest.mark.parametrize(("status", "ctype", "body", "message"), [
    (500, "text/plain", b"boom", "answered HTTP 500"),
    (200, REPLY, b"\x00garbage\xff", "malformed response"),
    (200, "text/html", b"<html>login</html>", "answered with text/html"),
])
def test_broken_server_answers_are_signing_errors(http_server, status, ctype, body, message) -> None:
    base = http_server(lambda *_: (status, ctype, body))
    with pytest.raises(SigningError, match=message):
        HttpTimeStamper(f"{base}/tsa", timeout=5).timestamp(DIGEST)


def test_refusal_replay_and_silence_are_signing_errors(tsa, http_server) -> None:
    refusal = http_server(lambda *_: (200, REPLY, tsa.respond(b"garbage")))
    with pytest.raises(SigningError, match="refused the request: rejection"):
        HttpTimeStamper(refusal, timeout=5).timestamp(DIGEST)

    stale = rfc3161_respond(tsa, build_request(DIGEST, "sha256", nonce=42).dump())  # an old answer replayed
    replay = http_server(lambda *_: (200, REPLY, stale))
    with pytest.raises(SigningError, match="wrong nonce"):
        HttpTimeStamper(replay, timeout=5).timestamp(DIGEST)

    def slow(*_):
        time.sleep(1.5)
        return 200, REPLY, b""

    silent = http_server(slow)
    with pytest.raises(SigningError, match="within 0.3s|timed out"):
        HttpTimeStamper(silent, timeout=0.3).timestamp(DIGEST)


def test_only_http_urls_are_accepted() -> None:
    for url in ("file:///etc/passwd", "ftp://tsa.test/", "http://"):
        with pytest.raises(ConfigurationError):
            HttpTimeStamper(url)


def test_unavailable_tsa_makes_pyhanko_signing_fail_with_our_error(ca, clock, blank_pdf) -> None:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers

    cred = ca.issue_event_certificate(PERSON, at=clock.now())
    with pytest.raises(SigningError, match="unavailable: connection refused"):
        signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(blank_pdf)),
                         signers.PdfSignatureMetadata(field_name="Sig1"), signer=pyhanko_signer(cred),
                         timestamper=as_pyhanko_timestamper(HttpTimeStamper("http://127.0.0.1:1/tsa")))
