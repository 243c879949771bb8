"""Amazon S3 and S3-compatible object stores (MinIO, Ceph RGW, Aliyun OSS, Tencent COS, Huawei OBS …)
through boto3 (``pip install 'esign[s3]'``).

Integrity (security.md §4): besides the read-back every :class:`StagedBlobStore` does, uploads ask
the server to check the bytes it received. A single-part upload carries ``x-amz-checksum-sha256``
set to the object's own content hash (taken from its content-addressed key), so S3 refuses with
``BadDigest`` anything that is not exactly the content we hashed; a multipart upload sends a SHA-256
per part (``ChecksumAlgorithm="SHA256"``; S3 has no whole-object SHA-256 for multipart). Stores that
reject flexible checksums can be run with ``checksum=False``: the read-back still verifies.

Objects are never held whole in memory: uploads go through ``upload_fileobj`` from the base's spooled
file (multipart above ``multipart_threshold``), downloads stream ``get_object`` in 1 MiB chunks.
An unreachable endpoint fails fast (short connect timeout, one retry) as ``reason="unavailable"``.
"""

from __future__ import annotations

import base64
import functools
import re
import threading
from collections.abc import Iterator, Mapping
from contextlib import closing, contextmanager
from typing import IO, Any, ClassVar

import boto3
from boto3.exceptions import S3UploadFailedError
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ChecksumError,
    ClientError,
    FlexibleChecksumError,
    HTTPClientError,
    IncompleteReadError,
    NoCredentialsError,
    PartialCredentialsError,
)
from botocore.exceptions import ConnectionError as BotoConnectionError

from esign_adapters.storage.base import StagedBlobStore
from esign_adapters.storage.registry import ConfigField
from esign_core.errors import ConfigurationError, InvalidValue, StorageError
from esign_core.ports.storage import CHUNK_SIZE, blob_key, check_blob_key
from esign_core.ports.system import SecretBox
from esign_core.values import BlobRef

MiB = 1024 * 1024
MIN_PART_SIZE = 5 * MiB  # S3's smallest part (all but the last)
MAX_PART_SIZE = 5 * 1024 * MiB
IN_FLIGHT_BUDGET = 16 * MiB
MAX_PRESIGN_SECONDS = 7 * 24 * 3600  # SigV4 limit
SECRET_PURPOSE = "storage.s3.secret_key"
SETTINGS = frozenset({"bucket", "endpoint_url", "region", "access_key", "secret_key", "secret_key_secret_ref",
                      "prefix", "multipart_threshold_mb", "multipart_chunksize_mb", "timeout", "addressing_style",
                      "checksum"})

_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_PREFIX = re.compile(r"^(?:[A-Za-z0-9_.=-]+/)*$")
_NOT_FOUND = {"NoSuchKey", "NotFound", "404"}
_DENIED = {"AccessDenied", "Forbidden", "403", "InvalidAccessKeyId", "SignatureDoesNotMatch", "AllAccessDisabled",
           "AccountProblem", "ExpiredToken", "InvalidToken", "TokenRefreshRequired", "RequestTimeTooSkewed"}
_CORRUPT = {"BadDigest", "InvalidDigest", "XAmzContentSHA256Mismatch", "InvalidChecksum"}
# A missing bucket is a broken deployment, not a lost object: callers must not treat it as data loss.
_UNAVAILABLE = {"NoSuchBucket", "InternalError", "ServiceUnavailable", "SlowDown", "RequestTimeout",
                "RequestTimeoutException", "Throttling", "ThrottlingException"}


_CLIENT_LOCK = threading.Lock()


@functools.cache
def _session() -> boto3.session.Session:
    """One private session for every store (not boto3's default one): it caches the parsed S3 model,
    which a fresh session re-reads for ~0.3 s. Credentials go to each client, never to the session."""
    return boto3.session.Session()


def _client_error(exc: BaseException) -> ClientError | None:
    """The ClientError behind ``exc`` (boto3 wraps some upload failures in S3UploadFailedError)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ClientError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _reason(exc: BaseException) -> str:
    """The StorageError reason of a botocore/boto3 exception."""
    client = _client_error(exc)
    if client is not None:
        code = str(client.response.get("Error", {}).get("Code", ""))
        status = int(client.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        if code in _NOT_FOUND:
            return "not_found"
        if code in _DENIED or status == 403:
            return "denied"
        if code in _CORRUPT:
            return "corrupt"
        if code in _UNAVAILABLE or status >= 500:
            return "unavailable"
        return "other"
    if isinstance(exc, ChecksumError | FlexibleChecksumError):
        return "corrupt"
    if isinstance(exc, NoCredentialsError | PartialCredentialsError):
        return "denied"
    if isinstance(exc, BotoConnectionError | HTTPClientError | IncompleteReadError | OSError):
        return "unavailable"
    return "other"


def _status(exc: ClientError) -> int:
    return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)


class S3BlobStore(StagedBlobStore):
    """Objects in ``bucket`` under ``prefix`` (``esign/`` by default) on S3 or an S3-compatible store
    at ``endpoint_url``. The bucket must exist; the store never creates or configures it (enable
    versioning or Object Lock there: security.md §4). The credentials need ``s3:GetObject``,
    ``s3:PutObject``, ``s3:DeleteObject`` and ``s3:ListBucket`` (without ListBucket S3 answers 403,
    not 404, for a missing object, and every first put would be refused as ``denied``).

    ``addressing_style``: ``auto`` (botocore's choice: path style for IP endpoints, virtual-hosted
    otherwise, which Aliyun OSS and Tencent COS require), ``path`` (MinIO without a domain) or
    ``virtual``. Raises ConfigurationError for an invalid setting.
    """

    for_testing_only: ClassVar[bool] = False
    config_fields: ClassVar[tuple[ConfigField, ...]] = (
        ConfigField("bucket", "Bucket", required=True, help="must exist already"),
        ConfigField("endpoint_url", "Endpoint URL",
                    help="empty for AWS; e.g. https://oss-cn-hangzhou.aliyuncs.com or http://minio:9000"),
        ConfigField("region", "Region", default="us-east-1"),
        ConfigField("access_key", "Access key ID", required=True),
        ConfigField("secret_key", "Secret access key", required=True, secret=True),
        ConfigField("prefix", "Key prefix", default="esign/"),
        ConfigField("multipart_threshold_mb", "Multipart above (MiB)", default="8"),
        ConfigField("addressing_style", "Addressing style", default="auto",
                    help="auto; path for MinIO; virtual for Aliyun OSS and Tencent COS"),
        ConfigField("checksum", "Server-side SHA-256 check", default="true",
                    help="false only for stores that reject x-amz-checksum headers"),
        ConfigField("timeout", "Timeout (seconds)", default="10"),
    )

    def __init__(self, bucket: str, *, endpoint_url: str | None = None, region: str = "us-east-1",
                 access_key: str, secret_key: str, prefix: str = "esign/", multipart_threshold: int = 8 * MiB,
                 multipart_chunksize: int = 8 * MiB, timeout: float = 10, name: str = "s3",
                 addressing_style: str = "auto", checksum: bool = True) -> None:
        self.name = name
        if not isinstance(bucket, str) or not _BUCKET.fullmatch(bucket) or ".." in bucket:
            raise ConfigurationError(f"{name} storage: invalid bucket name {bucket!r}", backend=name)
        if endpoint_url is not None and not re.match(r"^https?://[^/\s]+/?$", endpoint_url):
            raise ConfigurationError(f"{name} storage: endpoint_url must be http(s)://host[:port], got "
                                     f"{endpoint_url!r}", backend=name)
        if not access_key or not secret_key:
            raise ConfigurationError(f"{name} storage: access_key and secret_key are required", backend=name)
        prefix = prefix.lstrip("/")
        if prefix and not prefix.endswith("/"):
            prefix += "/"
        if not _PREFIX.fullmatch(prefix) or any(part in (".", "..") for part in prefix.split("/")):
            raise ConfigurationError(f"{name} storage: invalid prefix {prefix!r} (letters, digits, _.=- and /)",
                                     backend=name)
        for label, size in (("multipart_threshold", multipart_threshold), ("multipart_chunksize", multipart_chunksize)):
            if not MIN_PART_SIZE <= size <= MAX_PART_SIZE:
                raise ConfigurationError(f"{name} storage: {label} must be 5 MiB .. 5 GiB, got {size}", backend=name)
        if not timeout > 0:
            raise ConfigurationError(f"{name} storage: timeout must be positive", backend=name)
        if addressing_style not in ("auto", "path", "virtual"):
            raise ConfigurationError(f"{name} storage: addressing_style must be auto, path or virtual", backend=name)
        self.bucket, self.endpoint_url, self.region, self.prefix = bucket, endpoint_url, region, prefix
        self.multipart_threshold, self.checksum = multipart_threshold, checksum
        when = "when_supported" if checksum else "when_required"
        config = Config(
            signature_version="s3v4", region_name=region, s3={"addressing_style": addressing_style},
            # Fail fast when the endpoint is down: a short connect timeout and a single retry.
            connect_timeout=min(float(timeout), 5.0), read_timeout=float(timeout),
            retries={"total_max_attempts": 2, "mode": "standard"},
            request_checksum_calculation=when, response_checksum_validation=when,
            user_agent_extra="esign")
        try:
            with _CLIENT_LOCK:  # creating clients on one session is not thread-safe
                self._client = _session().client("s3", endpoint_url=endpoint_url, region_name=region, config=config,
                                                 aws_access_key_id=access_key, aws_secret_access_key=secret_key)
        except (BotoCoreError, ValueError) as exc:  # e.g. InvalidRegionError; never names the secret
            raise ConfigurationError(f"{name} storage: {exc}", backend=name) from None
        # s3transfer reads each part into memory before sending it: keep the parts in flight within
        # IN_FLIGHT_BUDGET (2 parts of the default 8 MiB) so a big upload stays small in RAM.
        parallel = max(1, min(4, IN_FLIGHT_BUDGET // multipart_chunksize))
        self._transfer = TransferConfig(multipart_threshold=multipart_threshold,
                                        multipart_chunksize=multipart_chunksize, max_concurrency=parallel)
        self._transfer.max_in_memory_upload_chunks = parallel

    @classmethod
    def from_config(cls, config: Mapping[str, Any], *, name: str = "s3",
                    secrets: SecretBox | None = None) -> S3BlobStore:
        """Settings: ``bucket``, ``endpoint_url``, ``region``, ``access_key``, ``secret_key_secret_ref``
        (sealed with purpose ``storage.s3.secret_key``) or ``secret_key``, ``prefix``,
        ``multipart_threshold_mb``, ``multipart_chunksize_mb``, ``timeout``, ``addressing_style``,
        ``checksum``. Raises ConfigurationError for unknown or missing settings, or a secret that
        cannot be opened."""
        unknown = sorted(set(config) - SETTINGS)
        if unknown:
            raise ConfigurationError(f"{name} storage: unknown setting(s) {', '.join(unknown)}; "
                                     f"allowed: {', '.join(sorted(SETTINGS))}", backend=name)
        for required in ("bucket", "access_key"):
            if not isinstance(config.get(required), str) or not config[required]:
                raise ConfigurationError(f"{name} storage: `{required}` is required", backend=name)
        ref, plain = config.get("secret_key_secret_ref"), config.get("secret_key")
        if ref is not None and plain is not None:
            raise ConfigurationError(f"{name} storage: give secret_key_secret_ref or secret_key, not both",
                                     backend=name)
        if ref is not None:
            if secrets is None:
                raise ConfigurationError(f"{name} storage: secret_key_secret_ref needs the secret box", backend=name)
            secret = secrets.open(str(ref), purpose=SECRET_PURPOSE).decode()
        elif isinstance(plain, str) and plain:
            secret = plain
        else:
            raise ConfigurationError(f"{name} storage: `secret_key_secret_ref` (or `secret_key`) is required",
                                     backend=name)
        return cls(
            config["bucket"], endpoint_url=config.get("endpoint_url") or None,
            region=str(config.get("region") or "us-east-1"), access_key=config["access_key"], secret_key=secret,
            prefix=str(config.get("prefix", "esign/")),
            multipart_threshold=_mib(config, "multipart_threshold_mb", 8, name),
            multipart_chunksize=_mib(config, "multipart_chunksize_mb", 8, name),
            timeout=_number(config, "timeout", 10, name), name=name,
            addressing_style=str(config.get("addressing_style", "auto")),
            checksum=_flag(config.get("checksum", True)))

    def __repr__(self) -> str:
        return (f"S3BlobStore(bucket={self.bucket!r}, endpoint_url={self.endpoint_url!r}, region={self.region!r}, "
                f"prefix={self.prefix!r}, name={self.name!r})")

    # -- errors ------------------------------------------------------------------------------------
    @contextmanager
    def _errors(self, action: str, key: str = "") -> Iterator[None]:
        try:
            yield
        except StorageError:
            raise
        except (ClientError, BotoCoreError, S3UploadFailedError, OSError) as exc:
            raise self.fail(action, _reason(exc), exc, key) from exc

    # -- primitives --------------------------------------------------------------------------------
    def _object_key(self, key: str) -> str:
        return self.prefix + key

    def _write(self, key: str, data: IO[bytes], size: int) -> None:
        extra: dict[str, str] = {"ContentType": "application/octet-stream"}
        if self.checksum:
            extra["ChecksumAlgorithm"] = "SHA256"  # multipart: a SHA-256 per part
            if size < self.multipart_threshold:
                # The key ends with the content's SHA-256: S3 checks the received bytes against it.
                extra["ChecksumSHA256"] = base64.b64encode(bytes.fromhex(key[-64:])).decode()
        self._client.upload_fileobj(data, self.bucket, self._object_key(key), ExtraArgs=extra,
                                    Config=self._transfer)

    def _read(self, key: str) -> Iterator[bytes]:
        try:
            response = self._client.get_object(Bucket=self.bucket, Key=self._object_key(key))
        except ClientError as exc:
            if _reason(exc) == "not_found":
                raise self.fail("read", "not_found", f"no object {key}", key) from exc
            raise
        with closing(response["Body"]) as body:
            yield from body.iter_chunks(CHUNK_SIZE)

    def _exists(self, key: str) -> bool:
        try:
            self._client.head_object(Bucket=self.bucket, Key=self._object_key(key))
        except ClientError as exc:
            if _status(exc) == 404:
                return False
            raise
        return True

    def _delete(self, key: str) -> None:
        self._client.delete_object(Bucket=self.bucket, Key=self._object_key(key))

    def _keys(self) -> Iterator[tuple[str, int]]:
        pages = self._client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix)
        for page in pages:
            for obj in page.get("Contents", ()):
                yield obj["Key"][len(self.prefix):], int(obj["Size"])

    # -- extras ------------------------------------------------------------------------------------
    def presigned_url(self, ref: BlobRef, expires: int = 600) -> str:
        """A URL that downloads the object with a plain GET for ``expires`` seconds (1 s .. 7 days).
        The key is checked first (StorageError ``invalid_key``); whether the object exists is not.
        The bytes fetched through it are not verified by esign: the client should check the digest."""
        key = check_blob_key(ref.key, backend=self.name)
        if key != blob_key(ref.digest):
            raise StorageError("storage key does not match its digest", backend=self.name, reason="invalid_key",
                               key=key)
        if isinstance(expires, bool) or not isinstance(expires, int) or not 1 <= expires <= MAX_PRESIGN_SECONDS:
            raise InvalidValue("expires", f"expires must be 1..{MAX_PRESIGN_SECONDS} seconds, got {expires!r}")
        with self._errors("presign", key):
            return self._client.generate_presigned_url(
                "get_object", Params={"Bucket": self.bucket, "Key": self._object_key(key)}, ExpiresIn=expires)


def _number(config: Mapping[str, Any], setting: str, default: float, name: str) -> float:
    value = config.get(setting, default)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ConfigurationError(f"{name} storage: `{setting}` must be a number, got {value!r}",
                                 backend=name) from None
    if isinstance(value, bool) or not number > 0:
        raise ConfigurationError(f"{name} storage: `{setting}` must be a positive number, got {value!r}",
                                 backend=name)
    return number


def _mib(config: Mapping[str, Any], setting: str, default: float, name: str) -> int:
    return int(_number(config, setting, default, name) * MiB)


def _flag(value: object) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() not in ("0", "false", "no", "off")
