"""Another esign instance as a signing provider (docs/adr/0048-remote-signer-protocol.md).

``POST <url>/api/remote-signer/v1/sign`` with a JSON body::

    {"pdf": "<base64>", "subject": {"name": "…", "type": "ENTERPRISE|PERSONAL", "code": "…"},
     "level": "B-T", "reason": "…", "location": "…", "business_system": "…", "file_subject": "…",
     "stamps": [{"type": "SEAL_CORPORATE", "image_png": "<base64>", "width_mm": 42, "height_mm": 42,
                 "position": {"page": 1, "offset_x": 0.1, "offset_y": 0.1}   # or {"keyword": …}, or null
                }]}

authenticated by an integration app (应用接入) of the remote instance: ``X-Esign-App-Token``,
``X-Esign-Timestamp`` (Unix seconds) and ``X-Esign-Signature: v1=<hex HMAC-SHA256(app secret,
"<timestamp>.<token>.<hex SHA-256 of the body>")>``. The answer is the signed PDF
(``application/pdf``). The remote instance issues its own event certificate for the subject
and signs with its engine; we read that certificate from the signature and record it instead
of ours (``Certificate.reissued_by_provider``), so the evidence names what validators see.
Validators must trust the remote instance's root (``<url>/pki/root.pem``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import ipaddress
import json
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx

from esign_core.errors import ConfigurationError, InvalidValue, SigningError
from esign_core.model.certificate import SubjectType
from esign_core.model.contract import StamperType
from esign_core.model.signing_service import SECRET_PURPOSE, SECRET_SUFFIX
from esign_core.ports.signing import SignatureLevel, SignRequest, Stamp, Subject
from esign_core.ports.system import SecretBox
from esign_core.services.signing_services import remote_signature
from esign_core.values import KeywordPosition, PagePosition

SIGN_PATH = "/api/remote-signer/v1/sign"
MAX_BODY = 64 * 1024 * 1024
_CONFIG_KEYS = {"url", "app_token", "timeout", "app_secret" + SECRET_SUFFIX}


# -- wire format ---------------------------------------------------------------------------------
def _position(p: PagePosition | KeywordPosition | None) -> dict[str, Any] | None:
    if isinstance(p, PagePosition):
        return {"page": p.page, "offset_x": p.offset_x, "offset_y": p.offset_y}
    if isinstance(p, KeywordPosition):
        return {"keyword": p.keyword, "keyword_index": p.keyword_index, "offset_x": p.offset_x,
                "offset_y": p.offset_y}
    return None


def encode_request(pdf: bytes, request: SignRequest) -> bytes:
    """The JSON body for ``request`` (the subject is the credential's; its key never leaves)."""
    cert = request.credential.certificate
    body = {
        "pdf": base64.b64encode(pdf).decode(),
        "subject": {"name": cert.subject_name, "type": cert.subject_type.value, "code": cert.subject_code or ""},
        "level": request.level.value, "reason": request.reason, "location": request.location,
        "business_system": request.business_system, "file_subject": request.file_subject,
        "stamps": [{"type": s.type.value, "image_png": base64.b64encode(s.image_png).decode(),
                    "width_mm": s.width_mm, "height_mm": s.height_mm, "position": _position(s.position)}
                   for s in request.stamps],
    }
    return json.dumps(body, ensure_ascii=False).encode()


def decode_request(body: bytes) -> dict[str, Any]:
    """Parse a request body into the fields of a SignPdf command. Raises InvalidValue."""
    try:
        data = json.loads(body)
        pdf = base64.b64decode(data["pdf"], validate=True)
        subject = data["subject"]
        stamps = tuple(_stamp(s) for s in data.get("stamps") or ())
        return {"pdf": pdf,
                "signer": Subject(str(subject["name"]), SubjectType(subject["type"]), str(subject["code"])),
                "stamps": stamps, "level": SignatureLevel(data.get("level", "B-T")),
                "reason": str(data.get("reason", ""))[:200], "location": str(data.get("location", ""))[:200],
                "business_system": str(data.get("business_system", ""))[:100],
                "file_subject": str(data.get("file_subject", ""))[:100]}
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise InvalidValue("body", f"not a remote-signer request: {exc}") from None


def _stamp(s: Mapping[str, Any]) -> Stamp:
    pos = s.get("position")
    position: PagePosition | KeywordPosition | None = None
    if isinstance(pos, dict) and "keyword" in pos:
        position = KeywordPosition(str(pos["keyword"]), int(pos.get("keyword_index", 1)),
                                   float(pos.get("offset_x", 0)), float(pos.get("offset_y", 0)))
    elif isinstance(pos, dict):
        position = PagePosition(int(pos["page"]), float(pos["offset_x"]), float(pos["offset_y"]))
    return Stamp(StamperType(s["type"]), base64.b64decode(s["image_png"], validate=True), position,
                 float(s.get("width_mm", 42.0)), float(s.get("height_mm", 42.0)))


def signed_headers(body: bytes, *, token: str, secret: str, now: float | None = None) -> dict[str, str]:
    timestamp = str(int(time.time() if now is None else now))
    digest = hashlib.sha256(body).hexdigest()
    return {"content-type": "application/json", "x-esign-app-token": token, "x-esign-timestamp": timestamp,
            "x-esign-signature": remote_signature(secret, token=token, timestamp=timestamp, body_sha256=digest)}


# -- the provider --------------------------------------------------------------------------------
def _check_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError("the remote esign URL must be an http(s) address", field="url")
    if parts.scheme == "http":
        try:
            loopback = ipaddress.ip_address(parts.hostname).is_loopback
        except ValueError:
            loopback = parts.hostname == "localhost"
        if not loopback:
            raise ConfigurationError("the remote esign URL must use https (plain http only to this machine)",
                                     field="url")
    return url.rstrip("/")


class RemoteEsignPdfSigner:
    """PdfSigner calling another esign instance; see the module docstring. Raises SigningError
    when the remote instance is unreachable, refuses, or answers something that is not the
    signed PDF (the dispatcher then fails over)."""

    uses_local_keys = False

    def __init__(self, url: str, *, app_token: str, app_secret: str, timeout: float = 60.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.url = _check_url(url)
        self._token, self._secret = app_token, app_secret
        self._client = httpx.Client(timeout=timeout, follow_redirects=False, transport=transport)

    def __repr__(self) -> str:
        return f"RemoteEsignPdfSigner({self.url!r})"

    @classmethod
    def from_config(cls, config: Mapping[str, Any], *, name: str, secrets: SecretBox) -> RemoteEsignPdfSigner:
        unknown = set(config) - _CONFIG_KEYS
        if unknown:
            raise ConfigurationError(f"unknown settings of remote provider {name!r}: {', '.join(sorted(unknown))}")
        sealed = config.get("app_secret" + SECRET_SUFFIX)
        if not config.get("url") or not config.get("app_token") or not sealed:
            raise ConfigurationError(f"remote provider {name!r} needs url, app_token and app_secret")
        secret = secrets.open(str(sealed), purpose=SECRET_PURPOSE).decode()
        return cls(str(config["url"]), app_token=str(config["app_token"]), app_secret=secret,
                   timeout=float(config.get("timeout", 60)))

    def sign(self, pdf: bytes, request: SignRequest) -> bytes:
        body = encode_request(pdf, request)
        try:
            answer = self._client.post(self.url + SIGN_PATH, content=body,
                                       headers=signed_headers(body, token=self._token, secret=self._secret))
        except httpx.HTTPError as exc:
            raise SigningError(f"remote esign {self.url} unreachable: {type(exc).__name__}") from exc
        if answer.status_code != 200:
            raise SigningError(f"remote esign {self.url} answered HTTP {answer.status_code}: "
                               f"{_problem(answer)}")
        signed = answer.content
        if not signed.startswith(pdf[:5]) or len(signed) <= len(pdf) or signed[: len(pdf)] != pdf:
            raise SigningError(f"remote esign {self.url} did not answer an incremental update of the PDF")
        _adopt_certificate(signed, request)
        return signed

    def close(self) -> None:
        self._client.close()


def _problem(answer: httpx.Response) -> str:
    try:
        data = answer.json()
        return str(data.get("detail") or data.get("title") or data)[:200]
    except ValueError:
        return answer.text[:200]


def _adopt_certificate(signed: bytes, request: SignRequest) -> None:
    """Record the remote instance's event certificate (read from the last signature) instead of
    ours, which signed nothing."""
    from cryptography import x509
    from pyhanko.pdf_utils.reader import PdfFileReader

    from esign_adapters.pki.profiles import display_name, key_type, serial_hex

    try:
        reader = PdfFileReader(io.BytesIO(signed), strict=False)
        embedded = reader.embedded_signatures[-1]
        cert = x509.load_der_x509_certificate(embedded.signer_cert.dump())
    except Exception as exc:  # pyHanko raises many kinds on a broken file
        raise SigningError(f"the remote signature cannot be read: {type(exc).__name__}") from exc
    request.credential.certificate.reissued_by_provider(
        serial=serial_hex(cert.serial_number), issuer=cert.issuer.rfc4514_string(), ca_name=display_name(cert.issuer),
        not_before=cert.not_valid_before_utc, not_after=cert.not_valid_after_utc, key_type=key_type(cert.public_key()))
