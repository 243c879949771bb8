"""What the DingTalk and WeCom directories share: one httpx client, an access-token cache with
refresh on expiry, and the translation of their ``errcode`` answers (always HTTP 200) and of
transport failures into :class:`~esign_core.ports.org_directory.OrgDirectoryError`.

Secrets (the corp / app secret, the access token) never reach a log line, an exception message
or a ``repr``: the vendors put them in query strings, so a filter on httpx's own logger masks
them too (ADR 0041)."""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import attrs
import httpx

from esign_core.errors import ConfigurationError
from esign_core.ports.org_directory import OrgDirectoryError

log = logging.getLogger(__name__)

_SECRET_IN_URL = re.compile(r"((?:access_token|corpsecret|appsecret|secret)=)[^&\s\"']+", re.IGNORECASE)


class _MaskSecretsInUrls(logging.Filter):
    """httpx logs every request URL at INFO; WeCom's ``gettoken`` carries the secret in it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            record.args = tuple(_SECRET_IN_URL.sub(r"\1***", str(a)) if isinstance(a, httpx.URL | str) else a
                                for a in args)
        record.msg = _SECRET_IN_URL.sub(r"\1***", str(record.msg))
        return True


_URL_FILTER = _MaskSecretsInUrls()
for _name in ("httpx", "httpcore"):
    if _URL_FILTER not in logging.getLogger(_name).filters:
        logging.getLogger(_name).addFilter(_URL_FILTER)


def mask_secrets(text: str) -> str:
    return _SECRET_IN_URL.sub(r"\1***", text)


@attrs.frozen
class IssuedToken:
    value: str = attrs.field(repr=False)
    expires_in: float


def issued_token(data: Mapping[str, Any]) -> IssuedToken:
    """The token of a ``gettoken`` answer; an unreadable ``expires_in`` counts as the usual 7200 s."""
    try:
        expires_in = float(data.get("expires_in") or 7200)
    except (TypeError, ValueError):
        expires_in = 7200.0
    return IssuedToken(str(data["access_token"]), expires_in)


@attrs.define
class _Entry:
    value: str = attrs.field(repr=False)
    fresh_until: float


class TokenCache:
    """Access tokens per application (key: endpoint + app id + a digest of the secret), shared by
    every directory object of this process, so the console's 「测试连接」 and the nightly sync
    do not each fetch one (the vendors rate-limit ``gettoken``). A token is used until
    ``expires_in`` minus a margin (a tenth, at most 5 minutes); a token the vendor calls expired
    or invalid earlier is dropped with :meth:`invalidate`. One fetch at a time per key."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._entries: dict[str, _Entry] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        self.fetches = 0

    def __repr__(self) -> str:
        return f"TokenCache({len(self._entries)} app(s))"

    def _lock(self, key: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())

    def get(self, key: str, fetch: Callable[[], IssuedToken]) -> str:
        with self._lock(key):
            entry = self._entries.get(key)
            now = self._clock()
            if entry is not None and now < entry.fresh_until:
                return entry.value
            issued = fetch()
            self.fetches += 1
            margin = min(300.0, max(0.0, issued.expires_in) / 10)
            self._entries[key] = _Entry(issued.value, now + max(0.0, issued.expires_in - margin))
            return issued.value

    def invalidate(self, key: str, value: str) -> None:
        """Drop ``value`` if it is still the cached token of ``key`` (another thread may
        already have replaced it: then nothing happens, no second fetch)."""
        with self._lock(key):
            entry = self._entries.get(key)
            if entry is not None and entry.value == value:
                del self._entries[key]

    def clear(self) -> None:
        with self._guard:
            self._entries.clear()


#: The process-wide cache the built-in connectors use.
TOKENS = TokenCache()


def cache_key(*parts: str, secret: str) -> str:
    digest = hashlib.sha256(secret.encode()).hexdigest()[:16]  # a changed secret is a new entry
    return "|".join((*parts, digest))


@attrs.frozen
class VendorRules:
    """How one vendor answers: its name for messages, the errcodes meaning "token expired or
    invalid" (refresh and retry once), and hints for the codes an operator can act on."""

    name: str
    token_errors: frozenset[int]
    hints: Mapping[int, str]
    rate_limit_errors: frozenset[int] = frozenset()


class VendorError(OrgDirectoryError):
    """An answer with ``errcode != 0``; ``errcode`` kept for callers that branch on it."""

    def __init__(self, message: str, *, errcode: int | None = None) -> None:
        super().__init__(message)
        self.errcode = errcode


def vendor_error(rules: VendorRules, what: str, data: Mapping[str, Any]) -> VendorError:
    code = errcode_of(data)
    sub = str(data.get("sub_code") or "")
    hint = rules.hints.get(code) or (rules.hints.get(int(sub)) if sub.isdigit() else None)
    if code in rules.rate_limit_errors or (sub.isdigit() and int(sub) in rules.rate_limit_errors):
        hint = hint or "rate limit reached: the sync will try again later"
    raw = str(data.get("sub_msg") or data.get("errmsg") or "")[:200]
    detail = f" ({hint})" if hint else ""
    return VendorError(f"{rules.name}: {what} refused with errcode {code}{'/' + sub if sub else ''}{detail}"
                       + (f": {mask_secrets(raw)}" if raw else ""), errcode=code)


def errcode_of(data: Mapping[str, Any]) -> int:
    """The answer's errcode as a number (-1 when it is not one; 0 when absent)."""
    try:
        return int(data.get("errcode", 0) or 0)
    except (TypeError, ValueError):
        return -1


class VendorHttp:
    """JSON calls to one vendor base address with ``access_token`` added from the cache. On a
    token errcode the token is dropped, fetched again and the call retried once."""

    def __init__(self, rules: VendorRules, endpoint: str, *, timeout: float, token_key: str,
                 fetch_token: Callable[[VendorHttp], IssuedToken], tokens: TokenCache | None = None,
                 transport: httpx.BaseTransport | None = None, rate_limit_retries: int = 3,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        url = httpx.URL(endpoint)
        if url.scheme not in ("http", "https") or not url.host:
            raise ConfigurationError(f"{rules.name}: the API address must be an http(s) address, not {endpoint!r}",
                                     field="endpoint")
        self.rules, self.base, self.timeout = rules, endpoint.rstrip("/"), timeout
        self._key, self._fetch = token_key, fetch_token
        self.rate_limit_retries, self._sleep = rate_limit_retries, sleep
        self.tokens = tokens if tokens is not None else TOKENS
        self._client = httpx.Client(timeout=httpx.Timeout(timeout), follow_redirects=False, transport=transport)

    def __repr__(self) -> str:
        return f"VendorHttp({self.rules.name}, {self.base})"

    def raw(self, method: str, path: str, *, what: str, params: Mapping[str, Any] | None = None,
            body: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """One request without a token; the JSON object answered (errcode not checked)."""
        name, host = self.rules.name, httpx.URL(self.base).host
        try:
            response = self._client.request(method, self.base + path, params=dict(params or {}),
                                            content=None if body is None else json.dumps(body).encode(),
                                            headers={"content-type": "application/json"} if body is not None else None)
        except httpx.TimeoutException as exc:
            raise OrgDirectoryError(f"{name}: {what}: no answer from {host} within {self.timeout:g} s") from exc
        except httpx.HTTPError as exc:
            raise OrgDirectoryError(f"{name}: {what}: cannot reach {host}: {type(exc).__name__}") from exc
        if response.status_code >= 500:
            raise OrgDirectoryError(f"{name}: {what}: server error HTTP {response.status_code} from {host}")
        try:
            data = json.loads(response.content or b"null")
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise OrgDirectoryError(f"{name}: {what}: unexpected answer from {host} "
                                    f"(HTTP {response.status_code}, not a JSON object)")
        return data

    def token(self) -> str:
        return self.tokens.get(self._key, lambda: self._fetch(self))

    def call(self, method: str, path: str, *, what: str, params: Mapping[str, Any] | None = None,
             body: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """A call with ``access_token``; the answer when ``errcode`` is 0, else VendorError. A
        refused token is replaced once; a rate-limit answer is retried after a pause (1 s, then
        2 s, … ``rate_limit_retries`` times), since the vendors limit calls per second."""
        refreshed, pauses = False, 0
        while True:
            token = self.token()
            data = self.raw(method, path, what=what, params={**(params or {}), "access_token": token}, body=body)
            code = errcode_of(data)
            if code == 0:
                return data
            sub = str(data.get("sub_code") or "")
            codes = {code, int(sub)} if sub.isdigit() else {code}
            if not refreshed and codes & self.rules.token_errors:
                log.info("%s: access token refused (errcode %s), fetching a new one", self.rules.name, code)
                self.tokens.invalidate(self._key, token)
                refreshed = True
                continue
            if pauses < self.rate_limit_retries and codes & self.rules.rate_limit_errors:
                pauses += 1
                log.info("%s: rate limited on %s (errcode %s), pausing %s s", self.rules.name, what, code,
                         2 ** (pauses - 1))
                self._sleep(2.0 ** (pauses - 1))
                continue
            raise vendor_error(self.rules, what, data)

    def close(self) -> None:
        self._client.close()


def malformed_as_error(vendor: str) -> Callable[[Callable[..., Any]], Callable[..., Iterator[Any]]]:
    """Decorate a listing method: a vendor answer missing a field or holding a wrong type becomes
    an OrgDirectoryError (it would otherwise escape as KeyError / TypeError / ValueError)."""

    def decorate(method: Callable[..., Any]) -> Callable[..., Iterator[Any]]:
        @functools.wraps(method)
        def listing(*args: Any, **kwargs: Any) -> Iterator[Any]:
            try:
                yield from method(*args, **kwargs)
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                raise OrgDirectoryError(f"{vendor}: {method.__name__}: malformed answer "
                                        f"({type(exc).__name__}: {mask_secrets(str(exc))[:100]})") from exc

        return listing

    return decorate


def text_or_none(value: Any) -> str | None:
    """A field the vendor left out, or sent empty because the app lacks the permission: None."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def require_setting(config: Mapping[str, Any], key: str, vendor: str) -> str:
    value = str(config.get(key) or "").strip()
    if not value:
        raise ConfigurationError(f"{vendor}: `{key}` is required", field=key, provider=vendor)
    return value
