"""An external RFC 3161 TSA reached over HTTP(S) (RFC 3161 §3.4: POST application/timestamp-query,
answer application/timestamp-reply). Uses urllib: no extra dependency, synchronous like the rest of
the signing pipeline."""

from __future__ import annotations

import base64
import http.client
import socket
import urllib.error
import urllib.request
from collections.abc import Mapping
from urllib.parse import urlsplit

from esign_adapters.tsa.protocol import build_request, check_imprint, new_nonce, token_from_response
from esign_core.errors import ConfigurationError, SigningError

MAX_RESPONSE_BYTES = 1_000_000
_REPLY_TYPES = ("application/timestamp-reply", "application/timestamp-response")


class HttpTimeStamper:
    """Implements the ``TimeStamper`` port against a TSA URL.

    ``auth`` is (user, password) for HTTP Basic; ``headers`` are sent as well (e.g. an API token).
    Every failure (connection refused, timeout, DNS, HTTP error status, wrong content type,
    malformed/refused/mismatching response, bad token signature) raises SigningError naming the URL;
    a bad URL raises ConfigurationError.
    """

    def __init__(self, url: str, *, timeout: float = 10.0, auth: tuple[str, str] | None = None,
                 headers: Mapping[str, str] | None = None) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigurationError(f"timestamp authority URL must be http(s)://host/…, got {url!r}")
        self.url = url
        self.timeout = timeout
        self._headers = {"Content-Type": "application/timestamp-query", "Accept": "application/timestamp-reply",
                         **(headers or {})}
        if auth is not None:
            basic = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
            self._headers["Authorization"] = f"Basic {basic}"

    def __repr__(self) -> str:
        return f"HttpTimeStamper({self.url!r})"  # headers may carry credentials

    def timestamp(self, message_imprint: bytes, *, hash_algorithm: str = "sha256") -> bytes:
        """A DER TimeStampToken from the TSA, checked against our request (status, nonce, imprint,
        token signature). Raises InvalidValue for a bad digest, SigningError for everything the TSA
        or the network did wrong."""
        algorithm = check_imprint(message_imprint, hash_algorithm)
        nonce = new_nonce()
        request = build_request(message_imprint, algorithm, nonce=nonce)
        response = self.post(request.dump())
        return token_from_response(response, message_imprint=message_imprint, hash_algorithm=algorithm,
                                   nonce=nonce, source=self.url)

    def post(self, request_der: bytes) -> bytes:
        """POST a DER TimeStampReq and return the raw DER response body. Raises SigningError."""
        req = urllib.request.Request(self.url, data=request_der, headers=self._headers, method="POST")  # noqa: S310 - scheme checked in __init__
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:  # noqa: S310 - scheme checked in __init__
                content_type = (resp.headers.get("Content-Type") or "").split(";")[0].strip().lower()
                body = resp.read(MAX_RESPONSE_BYTES + 1)
        except urllib.error.HTTPError as exc:
            raise SigningError(f"timestamp authority {self.url} answered HTTP {exc.code} {exc.reason}",
                               url=self.url, status=exc.code) from None
        except urllib.error.URLError as exc:
            raise SigningError(f"timestamp authority {self.url} unavailable: {_describe(exc.reason)}",
                               url=self.url) from None
        except TimeoutError:
            raise SigningError(f"timestamp authority {self.url} unavailable: no answer within {self.timeout:g}s",
                               url=self.url) from None
        except (OSError, ValueError, http.client.HTTPException) as exc:  # reset mid-body, bad status line, …
            raise SigningError(f"timestamp authority {self.url} unavailable: {_describe(exc)}", url=self.url) from None
        if len(body) > MAX_RESPONSE_BYTES:
            raise SigningError(f"timestamp authority {self.url} sent an oversized response", url=self.url)
        if content_type not in _REPLY_TYPES:
            raise SigningError(f"timestamp authority {self.url} answered with {content_type or 'no content type'}"
                               ", not application/timestamp-reply", url=self.url)
        return body


def _describe(reason: object) -> str:
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused"
    if isinstance(reason, TimeoutError):
        return "timed out"
    if isinstance(reason, socket.gaierror):
        return f"host not found ({reason.strerror})"
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror.lower()
    return str(reason) or type(reason).__name__
