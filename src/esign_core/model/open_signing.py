"""Request signatures of the open API (docs/open-api.md, ADR 0042), computed the same way by the
server and by clients — this module is stdlib only, so an integrator can copy it.

``x-qys-*`` (the product's scheme, reference §1.2)::

    x-qys-signature = hex(md5(AppToken + AppSecret + x-qys-timestamp))

``x-esign-*`` (HMAC-SHA256; binds the request itself)::

    canonical = "ESIGN-HMAC-SHA256\\n" + METHOD + "\\n" + path + "\\n" + canonical_query + "\\n"
                + timestamp + "\\n" + nonce + "\\n" + hex(sha256(body))
    x-esign-signature = hex(hmac_sha256(AppSecret, canonical))

``path`` is the request path relative to the open API root (``/contract/detail``, whether the
server is reached as ``http://host:9181/open`` or ``http://host:9182``), percent-encoded as
:func:`canonical_path` does; ``canonical_query`` is :func:`canonical_query` of the query string.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping
from urllib.parse import parse_qsl, quote, unquote

#: First line of the canonical string (names the scheme and its version).
HMAC_ALGORITHM = "ESIGN-HMAC-SHA256"
TOKEN_HEADER = "x-esign-token"
TIMESTAMP_HEADER = "x-esign-timestamp"
NONCE_HEADER = "x-esign-nonce"
SIGNATURE_HEADER = "x-esign-signature"
QYS_TOKEN_HEADER = "x-qys-accesstoken"
QYS_TIMESTAMP_HEADER = "x-qys-timestamp"
QYS_SIGNATURE_HEADER = "x-qys-signature"
#: A nonce is 16 to 64 characters of A–Z, a–z, 0–9, ``-`` and ``_``.
NONCE_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,64}")
EMPTY_BODY_SHA256 = hashlib.sha256(b"").hexdigest()
_UNRESERVED = "-_.~"


def qys_signature(token: str, secret: str, timestamp: str) -> str:
    """``md5(token + secret + timestamp)`` as 32 lowercase hex digits (what the v4 SDK sends)."""
    return hashlib.md5((token + secret + timestamp).encode(), usedforsecurity=False).hexdigest()


def canonical_path(path: str) -> str:
    """The path, percent-decoded then re-encoded as UTF-8 with only ``A–Z a–z 0–9 - _ . ~ /``
    left as they are; empty becomes ``/``."""
    return quote(unquote(path or "/"), safe="/" + _UNRESERVED) or "/"


def canonical_query(query: str | Mapping[str, str] | Iterable[tuple[str, str]]) -> str:
    """The query as ``name=value`` pairs, each side decoded (``+`` is a space) and re-encoded as
    in :func:`canonical_path` (``/`` encoded too), sorted by name then value, joined with ``&``.
    A raw query string, a mapping or pairs are accepted."""
    if isinstance(query, str):
        pairs = parse_qsl(query, keep_blank_values=True)
    elif isinstance(query, Mapping):
        pairs = [(str(k), str(v)) for k, v in query.items()]
    else:
        pairs = [(str(k), str(v)) for k, v in query]
    encoded = sorted((quote(k, safe=_UNRESERVED), quote(v, safe=_UNRESERVED)) for k, v in pairs)
    return "&".join(f"{k}={v}" for k, v in encoded)


def body_sha256(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def canonical_request(method: str, path: str, query: str, timestamp: str, nonce: str, body_hash: str) -> str:
    """The string that is signed (``path`` and ``query`` already canonical)."""
    return "\n".join((HMAC_ALGORITHM, method.upper(), path, query, timestamp, nonce, body_hash))


def hmac_signature(secret: str, canonical: str) -> str:
    return hmac.new(secret.encode(), canonical.encode(), hashlib.sha256).hexdigest()


def sign_request(token: str, secret: str, method: str, path: str, *, timestamp: str, nonce: str,
                 query: str | Mapping[str, str] | Iterable[tuple[str, str]] = "", body: bytes = b"") -> dict[str, str]:
    """The four ``x-esign-*`` headers of one request. ``path`` is relative to the open API root;
    ``body`` the exact bytes sent (``b""`` for a GET); ``timestamp`` epoch milliseconds as text.
    (``esign.open_signing.sign_request`` fills in the time and a random nonce.)"""
    canonical = canonical_request(method, canonical_path(path), canonical_query(query), timestamp, nonce,
                                  body_sha256(body))
    return {TOKEN_HEADER: token, TIMESTAMP_HEADER: timestamp, NONCE_HEADER: nonce,
            SIGNATURE_HEADER: hmac_signature(secret, canonical)}


def qys_headers(token: str, secret: str, timestamp: str) -> dict[str, str]:
    """The three ``x-qys-*`` headers."""
    return {QYS_TOKEN_HEADER: token, QYS_TIMESTAMP_HEADER: timestamp,
            QYS_SIGNATURE_HEADER: qys_signature(token, secret, timestamp)}
