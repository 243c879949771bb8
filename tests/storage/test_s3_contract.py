"""S3BlobStore against a real moto S3 server (integrations.md §2), run as a subprocess.

What moto cannot show, and how it is covered instead:
- By default moto checks no credentials (any key and secret get 200), so wrong credentials are
  tested against a second moto server in IAM mode, where header-signed SigV4 is verified.
- moto does not check ``x-amz-checksum-sha256`` (a wrong value is accepted), so a ``BadDigest``
  refusal is played by a scripted server; that the header is sent and stored is checked on moto.
- No local server checks presigned signatures or expiry: the presigned test only proves the URL
  names the right object and downloads its bytes.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import time
import tracemalloc
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config

from esign_adapters.security import AesGcmSecretBox
from esign_adapters.storage.registry import BUILTIN_STORES, load_store
from esign_adapters.storage.s3 import SECRET_PURPOSE, SETTINGS, S3BlobStore
from esign_adapters.testing.blobstore_contract import (
    HOSTILE_KEYS,
    BlobStoreContract,
    BlobStoreDownContract,
    drain,
    pattern,
    reason_of,
    ref_with_key,
)
from esign_core.errors import ConfigurationError, InvalidValue, StorageError
from esign_core.ports.storage import blob_key
from esign_core.values import BlobRef, Digest
from tests.storage.s3_server import MotoServer, ScriptedS3Server, closed_port

MiB = 1024 * 1024
KEY_ID, SECRET = "testing", "moto-secret-Zq81x"


def raw_client(endpoint_url: str, key: str = KEY_ID, secret: str = SECRET) -> Any:
    return boto3.session.Session().client(
        "s3", endpoint_url=endpoint_url, aws_access_key_id=key, aws_secret_access_key=secret,
        region_name="us-east-1", config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    with MotoServer() as server:
        yield server


@pytest.fixture(scope="session")
def s3_admin(moto_server: MotoServer) -> Any:
    """A plain boto3 client on the same server: sets up buckets and works behind the store's back."""
    return raw_client(moto_server.endpoint_url)


@pytest.fixture
def bucket(s3_admin: Any) -> Iterator[str]:
    """A fresh bucket per test, emptied and removed afterwards."""
    name = f"esign-{uuid.uuid4().hex[:16]}"
    s3_admin.create_bucket(Bucket=name)
    yield name
    for page in s3_admin.get_paginator("list_objects_v2").paginate(Bucket=name):
        for obj in page.get("Contents", ()):
            s3_admin.delete_object(Bucket=name, Key=obj["Key"])
    s3_admin.delete_bucket(Bucket=name)


@pytest.fixture
def s3_store(moto_server: MotoServer, bucket: str) -> S3BlobStore:
    return S3BlobStore(bucket, endpoint_url=moto_server.endpoint_url, access_key=KEY_ID, secret_key=SECRET)


class TestS3Contract(BlobStoreContract):
    """The shared BlobStore contract; moto runs in another process, so the memory bound applies."""

    @pytest.fixture
    def blob_store(self, s3_store: S3BlobStore) -> S3BlobStore:
        return s3_store

    @pytest.fixture
    def blob_tamper(self, s3_admin: Any, s3_store: S3BlobStore) -> Callable[[str, bytes], None]:
        def tamper(key: str, data: bytes) -> None:
            s3_admin.put_object(Bucket=s3_store.bucket, Key=s3_store.prefix + key, Body=data)

        return tamper


class TestS3Down(BlobStoreDownContract):
    down_timeout = 10.0

    @pytest.fixture
    def down_blob_store(self) -> S3BlobStore:
        return S3BlobStore("esign-down", endpoint_url=f"http://127.0.0.1:{closed_port()}", access_key=KEY_ID,
                           secret_key=SECRET, timeout=2)


# -- integrity and size ------------------------------------------------------------------------------
def _head(s3_admin: Any, store: S3BlobStore, ref: BlobRef) -> dict[str, Any]:
    return s3_admin.head_object(Bucket=store.bucket, Key=store.prefix + ref.key, ChecksumMode="ENABLED")


def test_small_object_is_uploaded_with_its_own_sha256_for_the_server_to_check(s3_store: S3BlobStore,
                                                                              s3_admin: Any) -> None:
    ref = s3_store.put([b"signed contract"])
    expected = base64.b64encode(hashlib.sha256(b"signed contract").digest()).decode()
    assert _head(s3_admin, s3_store, ref)["ChecksumSHA256"] == expected


def test_multipart_upload_of_40_mb_reads_back_verified(s3_store: S3BlobStore, s3_admin: Any) -> None:
    data = pattern(40 * MiB + 123, seed=b"multipart")
    ref = s3_store.put(data[i:i + MiB] for i in range(0, len(data), MiB))
    head = _head(s3_admin, s3_store, ref)
    assert head["ETag"].strip('"').endswith("-6"), "8 MiB parts: five full and one short"
    assert head.get("ChecksumSHA256"), "each part is sent with a SHA-256"
    assert head["ContentLength"] == len(data)
    assert ref.digest.hex == hashlib.sha256(data).hexdigest()
    assert s3_store.read(ref) == data


def test_200_mb_object_streams_in_and_out_without_being_held_in_memory(s3_store: S3BlobStore) -> None:
    size, sent = 200 * MiB, hashlib.sha256()

    def generate() -> Iterator[bytes]:
        block = hashlib.sha256(b"two hundred").digest() * (MiB // 32)
        for i in range(size // MiB):
            piece = i.to_bytes(8, "big") + block[8:]
            sent.update(piece)
            yield piece

    started = time.monotonic()
    tracemalloc.start()
    try:
        ref = s3_store.put(generate())
        got, count = hashlib.sha256(), 0
        for piece in s3_store.open(ref):
            got.update(piece)
            count += len(piece)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert count == ref.size == size
    assert got.hexdigest() == sent.hexdigest() == ref.digest.hex
    assert peak < 64 * MiB, f"put/open of 200 MiB allocated {peak >> 20} MiB at peak"
    assert time.monotonic() - started < 120


def test_server_refusing_the_checksum_is_corrupt() -> None:
    # What S3 answers when x-amz-checksum-sha256 does not match the bytes (moto does not check it).
    with ScriptedS3Server(400, "BadDigest") as server:
        store = S3BlobStore("esign-scripted", endpoint_url=server.endpoint_url, access_key=KEY_ID, secret_key=SECRET)
        with pytest.raises(StorageError) as err:
            store.put([b"bytes changed in transit"])
    assert reason_of(err.value) == "corrupt"
    assert "BadDigest" in err.value.message


@pytest.mark.parametrize(("status", "code", "reason"), [
    (503, "SlowDown", "unavailable"),
    (500, "InternalError", "unavailable"),
    (403, "AccessDenied", "denied"),
    (404, "NoSuchBucket", "unavailable"),
    (400, "InvalidArgument", "other"),
])
def test_server_refusals_become_storage_errors_with_a_reason(status: int, code: str, reason: str) -> None:
    with ScriptedS3Server(status, code) as server:
        store = S3BlobStore("esign-scripted", endpoint_url=server.endpoint_url, access_key=KEY_ID, secret_key=SECRET)
        with pytest.raises(StorageError) as err:
            store.put([b"payload"])
    assert reason_of(err.value) == reason
    assert err.value.fields["backend"] == "s3"


def test_missing_bucket_is_unavailable_not_a_lost_object(moto_server: MotoServer) -> None:
    store = S3BlobStore("esign-no-such-bucket", endpoint_url=moto_server.endpoint_url, access_key=KEY_ID,
                        secret_key=SECRET)
    ref = ref_with_key(blob_key(Digest(hashlib.sha256(b"x").hexdigest())), backend="s3")
    with pytest.raises(StorageError) as err:
        drain(store.open(ref))
    assert reason_of(err.value) == "unavailable"


# -- prefix ------------------------------------------------------------------------------------------
def test_objects_live_under_the_prefix_and_others_are_not_listed(moto_server: MotoServer, bucket: str,
                                                                 s3_admin: Any) -> None:
    s3_admin.put_object(Bucket=bucket, Key="unrelated.txt", Body=b"not ours")
    mine = S3BlobStore(bucket, endpoint_url=moto_server.endpoint_url, access_key=KEY_ID, secret_key=SECRET,
                       prefix="tenant-a/esign")
    theirs = S3BlobStore(bucket, endpoint_url=moto_server.endpoint_url, access_key=KEY_ID, secret_key=SECRET,
                         prefix="tenant-b/")
    ref = mine.put([b"ours"])
    assert mine.prefix == "tenant-a/esign/"
    s3_admin.head_object(Bucket=bucket, Key="tenant-a/esign/" + ref.key)
    assert list(mine.keys()) == [(ref.key, 4)]
    assert list(theirs.keys()) == []
    assert theirs.exists(ref) is False


# -- presigned URLs ----------------------------------------------------------------------------------
def test_presigned_url_downloads_the_bytes_with_plain_urllib(s3_store: S3BlobStore) -> None:
    data = pattern(300_000, seed=b"presign")
    ref = s3_store.put([data])
    url = s3_store.presigned_url(ref, expires=120)
    assert "X-Amz-Signature=" in url and "X-Amz-Expires=120" in url
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.read() == data


@pytest.mark.parametrize("key", [k for _, k in HOSTILE_KEYS], ids=[i for i, _ in HOSTILE_KEYS])
def test_presigned_url_refuses_a_hostile_key(s3_store: S3BlobStore, key: str) -> None:
    with pytest.raises(StorageError) as err:
        s3_store.presigned_url(ref_with_key(key, backend="s3"))
    assert reason_of(err.value) == "invalid_key"


def test_presigned_url_refuses_a_key_that_does_not_match_the_digest(s3_store: S3BlobStore) -> None:
    ref = s3_store.put([b"stored"])
    other = Digest(hashlib.sha256(b"other").hexdigest())
    with pytest.raises(StorageError) as err:
        s3_store.presigned_url(BlobRef("s3", ref.key, ref.size, other))
    assert reason_of(err.value) == "invalid_key"


@pytest.mark.parametrize("expires", [0, -5, 7 * 24 * 3600 + 1, 1.5, True])
def test_presigned_url_refuses_an_expiry_out_of_range(s3_store: S3BlobStore, expires: Any) -> None:
    ref = s3_store.put([b"x"])
    with pytest.raises(InvalidValue):
        s3_store.presigned_url(ref, expires=expires)


# -- credentials -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def iam_server() -> Iterator[tuple[str, str, str, str]]:
    """moto in IAM mode: the first 3 requests (create user, policy, key) are free, then SigV4 is
    checked. Yields endpoint, bucket, access key id and secret of a user allowed s3:*."""
    with MotoServer(env={"INITIAL_NO_AUTH_ACTION_COUNT": "3"}) as server:
        iam = boto3.session.Session().client("iam", endpoint_url=server.endpoint_url, aws_access_key_id="boot",
                                             aws_secret_access_key="boot", region_name="us-east-1")
        iam.create_user(UserName="esign")
        policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
        iam.put_user_policy(UserName="esign", PolicyName="s3", PolicyDocument=json.dumps(policy))
        key = iam.create_access_key(UserName="esign")["AccessKey"]
        raw_client(server.endpoint_url, key["AccessKeyId"], key["SecretAccessKey"]).create_bucket(Bucket="esign-iam")
        yield server.endpoint_url, "esign-iam", key["AccessKeyId"], key["SecretAccessKey"]


def test_right_credentials_work_against_a_server_that_checks_them(iam_server: tuple[str, str, str, str]) -> None:
    endpoint, bucket, key_id, secret = iam_server
    store = S3BlobStore(bucket, endpoint_url=endpoint, access_key=key_id, secret_key=secret)
    assert all(ok for _, ok, _ in store.check())


@pytest.mark.parametrize("wrong", ["secret", "key_id"])
def test_wrong_credentials_are_denied(iam_server: tuple[str, str, str, str], wrong: str) -> None:
    endpoint, bucket, key_id, secret = iam_server
    if wrong == "secret":
        secret += "x"
    else:
        key_id = "AKIAUNKNOWNUNKNOWN00"
    store = S3BlobStore(bucket, endpoint_url=endpoint, access_key=key_id, secret_key=secret)
    ref = ref_with_key(blob_key(Digest(hashlib.sha256(b"x").hexdigest())), backend="s3")
    for attempt in (lambda: store.put([b"payload"]), lambda: drain(store.open(ref)), lambda: store.exists(ref),
                    lambda: list(store.keys())):
        with pytest.raises(StorageError) as err:
            attempt()
        assert reason_of(err.value) == "denied", err.value
        assert secret not in err.value.message
    steps = store.check()
    assert steps[0][:2] == ("write", False) and "denied" in steps[0][2]


def test_secret_never_appears_in_repr_errors_or_debug_logs(moto_server: MotoServer, bucket: str,
                                                           caplog: pytest.LogCaptureFixture) -> None:
    store = S3BlobStore(bucket, endpoint_url=moto_server.endpoint_url, access_key=KEY_ID, secret_key=SECRET)
    assert SECRET not in repr(store) and SECRET not in str(store)
    with caplog.at_level(logging.DEBUG):
        ref = store.put([b"logged?"])
        assert store.read(ref) == b"logged?"
        with pytest.raises(StorageError) as err:
            S3BlobStore(bucket, endpoint_url=f"http://127.0.0.1:{closed_port()}", access_key=KEY_ID,
                        secret_key=SECRET, timeout=1).put([b"x"])
    assert caplog.records, "botocore debug logging was captured"
    assert SECRET not in caplog.text
    assert SECRET not in str(err.value) and SECRET not in repr(err.value.fields)


# -- configuration -----------------------------------------------------------------------------------
@pytest.fixture
def secret_box() -> AesGcmSecretBox:
    return AesGcmSecretBox(bytes(range(32)))


def test_from_config_opens_the_sealed_secret_and_round_trips(moto_server: MotoServer, bucket: str,
                                                            secret_box: AesGcmSecretBox) -> None:
    config = {"bucket": bucket, "endpoint_url": moto_server.endpoint_url, "region": "us-east-1",
              "access_key": KEY_ID, "secret_key_secret_ref": secret_box.seal(SECRET.encode(), purpose=SECRET_PURPOSE),
              "prefix": "files/", "multipart_threshold_mb": 16}
    store = S3BlobStore.from_config(config, name="archive", secrets=secret_box)
    assert (store.name, store.prefix, store.multipart_threshold) == ("archive", "files/", 16 * MiB)
    ref = store.put([b"configured"])
    assert ref.backend == "archive"
    assert store.read(ref) == b"configured"


def test_from_config_accepts_a_plain_secret_key(moto_server: MotoServer, bucket: str) -> None:
    store = S3BlobStore.from_config({"bucket": bucket, "endpoint_url": moto_server.endpoint_url,
                                     "access_key": KEY_ID, "secret_key": SECRET}, name="s3", secrets=None)
    assert all(ok for _, ok, _ in store.check())


BASE = {"bucket": "esign-files", "access_key": KEY_ID, "secret_key": SECRET}


@pytest.mark.parametrize("config", [
    pytest.param({**BASE, "colour": "blue"}, id="unknown_setting"),
    pytest.param({"access_key": KEY_ID, "secret_key": SECRET}, id="no_bucket"),
    pytest.param({"bucket": "esign-files", "secret_key": SECRET}, id="no_access_key"),
    pytest.param({"bucket": "esign-files", "access_key": KEY_ID}, id="no_secret"),
    pytest.param({**BASE, "secret_key_secret_ref": "v1.AAAA"}, id="both_secret_forms"),
    pytest.param({**BASE, "bucket": "Bad_Bucket"}, id="bad_bucket_name"),
    pytest.param({**BASE, "prefix": "../escape/"}, id="prefix_traversal"),
    pytest.param({**BASE, "endpoint_url": "ftp://127.0.0.1"}, id="bad_endpoint"),
    pytest.param({**BASE, "multipart_threshold_mb": 1}, id="threshold_below_s3_minimum_part"),
    pytest.param({**BASE, "multipart_threshold_mb": "lots"}, id="threshold_not_a_number"),
    pytest.param({**BASE, "timeout": 0}, id="zero_timeout"),
    pytest.param({**BASE, "addressing_style": "sideways"}, id="bad_addressing_style"),
    pytest.param({**BASE, "region": "us east/1"}, id="bad_region"),
])
def test_from_config_refuses_bad_settings(config: dict[str, Any], secret_box: AesGcmSecretBox) -> None:
    with pytest.raises(ConfigurationError):
        S3BlobStore.from_config(config, name="s3", secrets=secret_box)


def test_from_config_refuses_a_secret_sealed_for_another_purpose(secret_box: AesGcmSecretBox) -> None:
    sealed = secret_box.seal(SECRET.encode(), purpose="mail.password")
    config = {"bucket": "esign-files", "access_key": KEY_ID, "secret_key_secret_ref": sealed}
    with pytest.raises(ConfigurationError):
        S3BlobStore.from_config(config, name="s3", secrets=secret_box)
    with pytest.raises(ConfigurationError):
        S3BlobStore.from_config(config, name="s3", secrets=None)


def test_registry_loads_the_s3_backend_by_name(moto_server: MotoServer, bucket: str,
                                               secret_box: AesGcmSecretBox) -> None:
    store = load_store("s3", {"bucket": bucket, "endpoint_url": moto_server.endpoint_url, "access_key": KEY_ID,
                              "secret_key": SECRET}, secrets=secret_box, name="archive", fallback=BUILTIN_STORES)
    assert isinstance(store, S3BlobStore) and store.name == "archive"
    assert {f.name for f in S3BlobStore.config_fields} <= SETTINGS
