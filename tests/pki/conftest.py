"""Fixtures of the PKI / TSA tests: a real CA in a temporary directory, sealed with a random KEK."""

from __future__ import annotations

import io
import os
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from esign_adapters.pki import InternalCertificateAuthority
from esign_adapters.security import AesGcmSecretBox
from esign_adapters.tsa import InternalTimeStamper
from esign_core.model.certificate import SubjectType
from esign_core.ports.signing import Subject
from esign_core.testing import FixedClock, SequentialIds

PERSON = Subject("张三", SubjectType.PERSONAL, "11010519491231002X")
COMPANY = Subject("厦门某某科技有限公司", SubjectType.ENTERPRISE, "91350100M000100Y43")


@pytest.fixture
def clock() -> FixedClock:
    # real "now": cryptography stamps OCSP producedAt with the wall clock, so tests that validate
    # OCSP responses stay coherent only if the injected clock agrees with it
    return FixedClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
def kek() -> bytes:
    return os.urandom(32)


@pytest.fixture
def make_ca(tmp_path: Path, clock: FixedClock) -> Callable[..., InternalCertificateAuthority]:
    def make(kek: bytes, **kwargs: object) -> InternalCertificateAuthority:
        return InternalCertificateAuthority(tmp_path / "pki", secret_box=AesGcmSecretBox(kek), clock=clock,
                                            ids=SequentialIds(), **kwargs)  # type: ignore[arg-type]

    return make


@pytest.fixture
def ca(make_ca: Callable[..., InternalCertificateAuthority], kek: bytes,
       clock: FixedClock) -> InternalCertificateAuthority:
    authority = make_ca(kek)
    authority.init(at=clock.now())
    return authority


@pytest.fixture
def tsa(ca: InternalCertificateAuthority, clock: FixedClock) -> InternalTimeStamper:
    return InternalTimeStamper(ca.tsa_credential(at=clock.now()), clock=clock)


@pytest.fixture(scope="session")
def blank_pdf() -> bytes:
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.writer import PdfFileWriter

    writer = PdfFileWriter()
    writer.insert_page(generic.DictionaryObject({
        generic.NameObject("/Type"): generic.NameObject("/Page"),
        generic.NameObject("/MediaBox"): generic.ArrayObject([generic.NumberObject(n) for n in (0, 0, 595, 842)]),
    }))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# (method, path, headers, body) -> (status, content type, body)
Handler = Callable[[str, str, dict[str, str], bytes], tuple[int, str, bytes]]


@pytest.fixture
def http_server() -> Iterator[Callable[[Handler], str]]:
    """Start a real HTTP server on 127.0.0.1 (random port) answering with ``handler``; returns its base URL."""
    servers: list[ThreadingHTTPServer] = []

    def start(handler: Handler) -> str:
        class _Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _serve(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                status, ctype, body = handler(method, self.path, dict(self.headers.items()),
                                              self.rfile.read(length) if length else b"")
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", ctype)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout tests)

            def do_POST(self) -> None:
                self._serve("POST")

            def do_GET(self) -> None:
                self._serve("GET")

        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()
