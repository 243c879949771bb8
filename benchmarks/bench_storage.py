"""Storage throughput per backend, as a ratio to the raw client library doing the same transfer in
the same run (target: ours >= 0.8x raw).

- put: ``BlobStore.put`` (hash while spooling, write, **read back and re-hash** — the port demands
  it) vs the raw baseline = raw write + raw read-back + SHA-256 of what was read back.
- get: ``BlobStore.open`` streamed to the end (verified by SHA-256 on the way) vs a raw read; the
  raw read + SHA-256 is printed too, since verification is part of the port's promise.
- sizes: 1 MB and 100 MB objects; every put stores new content (content addressing would
  otherwise turn a repeated put into a no-op).

Backends: ``local`` and ``nas`` (a directory; a real NAS mount when ``ESIGN_BENCH_NAS`` names one).
``ESIGN_BENCH_BACKENDS=local,nas`` runs only those. Other backends register in :data:`BACKENDS`: a
function taking a scratch directory and returning a ``(store, raw)`` pair, or ``None`` when its
server is not available (the row is skipped).
"""

from __future__ import annotations

import atexit
import hashlib
import io
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Protocol

from esign_adapters.storage.fastdfs import FastDfsBlobStore, FastDfsClient
from esign_adapters.storage.local import LocalBlobStore, NasBlobStore
from esign_core.ports.storage import CHUNK_SIZE, BlobStore

MB = 1024 * 1024
SIZES = ((1 * MB, 15), (100 * MB, 3))  # (object size, repetitions; the median is reported)


class RawClient(Protocol):
    """The vendor library used directly: no hashing, no verification, no key checks."""

    def put(self, name: str, chunks: Iterable[bytes]) -> None: ...

    def get(self, name: str) -> Iterator[bytes]: ...

    def delete(self, name: str) -> None: ...


class RawFiles:
    """Plain file I/O, with the same fsync the durable store does (a write without it is not the
    same transfer)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def put(self, name: str, chunks: Iterable[bytes]) -> None:
        with open(self.root / name, "wb") as fh:
            for chunk in chunks:
                fh.write(chunk)
            fh.flush()
            os.fsync(fh.fileno())

    def get(self, name: str) -> Iterator[bytes]:
        with open(self.root / name, "rb") as fh:
            while chunk := fh.read(CHUNK_SIZE):
                yield chunk

    def delete(self, name: str) -> None:
        (self.root / name).unlink(missing_ok=True)


Backend = Callable[[Path], "tuple[BlobStore, RawClient] | None"]


def _local(scratch: Path) -> tuple[BlobStore, RawClient]:
    return LocalBlobStore(scratch / "local"), RawFiles(scratch / "raw-local")


def _nas(scratch: Path) -> tuple[BlobStore, RawClient] | None:
    mount = os.environ.get("ESIGN_BENCH_NAS")
    if mount:
        base = Path(mount) / f"esign-bench-{os.getpid()}"
        base.mkdir()
        return NasBlobStore(mount, require_mount=True), RawFiles(base)
    (scratch / "nas").mkdir()
    return NasBlobStore(scratch / "nas", require_mount=False), RawFiles(scratch / "raw-nas")


class RawFastDfs:
    """Our FastDFS client without the BlobStore layer (no PyPI client accepts both tracker reply
    sizes, ADR 0010): one upload from memory, one streamed download."""

    def __init__(self, client: FastDfsClient) -> None:
        self.client = client
        self.ids: dict[str, str] = {}

    def put(self, name: str, chunks: Iterable[bytes]) -> None:
        self.ids[name] = self.client.upload(b"".join(chunks))

    def get(self, name: str) -> Iterator[bytes]:
        return self.client.download(self.ids[name])

    def delete(self, name: str) -> None:
        self.client.delete(self.ids.pop(name))


def _fastdfs(scratch: Path) -> tuple[BlobStore, RawClient]:
    """Against the fake tracker + storage server (no FastDFS server exists here), run in its own
    process so that it does not compete for this one's GIL; both sides share it, so the ratio
    measures our layer."""
    server = subprocess.Popen([sys.executable, "-m", "tests.storage.fake_fastdfs", str(scratch / "fake-fastdfs"),
                               "46"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert server.stdout is not None and server.stdin is not None
    host, _, port = server.stdout.readline().strip().rpartition(":")
    tracker = (host, int(port))
    store = FastDfsBlobStore([tracker], index_path=scratch / "fastdfs-index.sqlite3")
    raw = FastDfsClient([tracker])
    atexit.register(server.wait, 10)
    atexit.register(server.stdin.close)  # the fake stops when its stdin closes
    atexit.register(store.close)
    atexit.register(raw.close)
    return store, RawFastDfs(raw)


class _ChunkReader(io.RawIOBase):
    """A non-seekable file object over an iterator of chunks: what ``upload_fileobj`` streams from."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks, self._left = iter(chunks), b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        while not self._left:
            self._left = next(self._chunks, b"")
            if not self._left:
                return 0
        n = min(len(buffer), len(self._left))
        buffer[:n], self._left = self._left[:n], self._left[n:]
        return n


class RawS3:
    """boto3 used directly, with its default transfer settings: ``upload_fileobj`` of the stream,
    ``get_object`` streamed in the same 1 MiB chunks."""

    def __init__(self, client, bucket: str) -> None:  # type: ignore[no-untyped-def]
        self.client, self.bucket = client, bucket

    def put(self, name: str, chunks: Iterable[bytes]) -> None:
        self.client.upload_fileobj(io.BufferedReader(_ChunkReader(chunks), CHUNK_SIZE), self.bucket, name)

    def get(self, name: str) -> Iterator[bytes]:
        body = self.client.get_object(Bucket=self.bucket, Key=name)["Body"]
        with body:
            yield from body.iter_chunks(CHUNK_SIZE)

    def delete(self, name: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=name)


def _s3(scratch: Path) -> tuple[BlobStore, RawClient] | None:
    """Against a moto server in its own process (integrations.md §2; no MinIO here), shared by both
    sides, so the ratio measures our layer (spooling, SHA-256 checksums, read-back)."""
    try:
        import boto3
        from botocore.config import Config

        from esign_adapters.storage.s3 import S3BlobStore
        from tests.storage.s3_server import MotoServer
    except ImportError:
        return None
    server = MotoServer().start()
    atexit.register(server.stop)
    raw = boto3.session.Session().client(
        "s3", endpoint_url=server.endpoint_url, aws_access_key_id="bench", aws_secret_access_key="bench",
        region_name="us-east-1", config=Config(signature_version="s3v4"))
    raw.create_bucket(Bucket="esign-bench")
    store = S3BlobStore("esign-bench", endpoint_url=server.endpoint_url, access_key="bench", secret_key="bench")
    return store, RawS3(raw, "esign-bench")



class RawSmb:
    """smbclient used directly: a file written through its buffered writer in 1 MiB chunks and
    flushed to the server (SMB2 FLUSH, as the store does before its rename), read in 1 MiB chunks."""

    def __init__(self, base: str, **kw: object) -> None:
        self.base, self.kw = base, kw

    def put(self, name: str, chunks: Iterable[bytes]) -> None:
        import smbclient

        with smbclient.open_file(rf"{self.base}\{name}", mode="wb", buffering=CHUNK_SIZE, **self.kw) as fh:
            for chunk in chunks:
                fh.write(chunk)
            fh.flush()
            fh.raw.flush()

    def get(self, name: str) -> Iterator[bytes]:
        import smbclient

        with smbclient.open_file(rf"{self.base}\{name}", mode="rb", buffering=CHUNK_SIZE, **self.kw) as fh:
            while chunk := fh.read(CHUNK_SIZE):
                yield chunk

    def delete(self, name: str) -> None:
        import smbclient

        smbclient.remove(rf"{self.base}\{name}", **self.kw)


def _smb(scratch: Path) -> tuple[BlobStore, RawClient] | None:
    """Against a real smbd on 127.0.0.1 (integrations.md §1; needs Samba and root), shared by both
    sides, each with its own connection, so the ratio measures our layer (spooling, temp file +
    rename, read-back)."""
    try:
        import smbclient

        from esign_adapters.storage.smb import SmbBlobStore
        from tests.storage.smb_server import HOST, PASSWORD, USER, SambaServer, missing_requirement
    except ImportError:
        return None
    if missing_requirement():
        return None
    # smbd's state and shares live outside ``scratch``: that is deleted before the exit handlers
    # run, and smbd would answer the closing tree disconnects with errors.
    state = Path(tempfile.mkdtemp(prefix="esign-bench-samba-"))
    atexit.register(shutil.rmtree, state, ignore_errors=True)
    server = SambaServer(state).start()
    atexit.register(server.stop)
    store = SmbBlobStore(HOST, "esign", port=server.port, username=USER, password=PASSWORD, root="store")
    atexit.register(store.close)
    pool: dict[str, object] = {}
    kw = {"username": USER, "password": PASSWORD, "port": server.port, "connection_cache": pool}
    atexit.register(smbclient.reset_connection_cache, fail_on_error=False, connection_cache=pool)
    base = rf"\\{HOST}\esign\raw"
    smbclient.makedirs(base, exist_ok=True, **kw)
    return store, RawSmb(base, **kw)

#: name -> factory; the other backends' engineers add theirs (S3 via moto/minio, SMB, HDFS, FastDFS).
class RawHdfs:
    """HdfsCLI used directly: one streamed write, one streamed read (1 MiB chunks)."""

    def __init__(self, client: object, root: str) -> None:
        self.client, self.root = client, root

    def put(self, name: str, chunks: Iterable[bytes]) -> None:
        self.client.write(f"{self.root}/{name}", data=b"".join(chunks), overwrite=True)  # type: ignore[attr-defined]

    def get(self, name: str) -> Iterator[bytes]:
        with self.client.read(f"{self.root}/{name}", chunk_size=CHUNK_SIZE) as reader:  # type: ignore[attr-defined]
            yield from reader

    def delete(self, name: str) -> None:
        self.client.delete(f"{self.root}/{name}")  # type: ignore[attr-defined]


def _hdfs(scratch: Path) -> tuple[BlobStore, RawClient] | None:
    """Against the protocol-faithful WebHDFS fake (integrations.md §3: no HDFS server here), served
    from this process's threads and shared by both sides, so the ratio measures our layer."""
    try:
        from hdfs import InsecureClient

        from esign_adapters.storage.hdfs import HdfsBlobStore
        from tests.storage.fake_webhdfs import FakeWebHdfs
    except ImportError:
        return None
    fake = FakeWebHdfs(scratch / "webhdfs").start()
    atexit.register(fake.stop)
    store = HdfsBlobStore(fake.url, root="/esign-bench")
    return store, RawHdfs(InsecureClient(fake.url, user="esign"), "/raw-bench")


BACKENDS: dict[str, Backend] = {"local": _local, "nas": _nas, "fastdfs": _fastdfs, "s3": _s3, "smb": _smb,
                                "hdfs": _hdfs}


def _chunks(data: memoryview, tag: int) -> Iterator[bytes]:
    yield tag.to_bytes(8, "big")  # new content every time
    for i in range(8, len(data), CHUNK_SIZE):
        yield bytes(data[i : i + CHUNK_SIZE])


def _median(samples: list[float]) -> float:
    return statistics.median(samples)


def measure(store: BlobStore, raw: RawClient, size: int, reps: int) -> dict[str, float]:
    """Seconds (median) for each operation on objects of ``size`` bytes."""
    data = memoryview(os.urandom(size))
    times: dict[str, list[float]] = {k: [] for k in ("put", "raw_put", "get", "raw_get", "raw_get_hash")}
    for rep in range(reps + 1):  # the first round warms caches and is dropped
        tag = rep * 2 + 1
        t0 = time.perf_counter()
        ref = store.put(_chunks(data, tag))
        t1 = time.perf_counter()
        name = f"obj-{tag}"
        raw.put(name, _chunks(data, tag))
        h = hashlib.sha256()
        for chunk in raw.get(name):  # the baseline of our read-back verification
            h.update(chunk)
        t2 = time.perf_counter()
        for _ in store.open(ref):
            pass
        t3 = time.perf_counter()
        for _ in raw.get(name):
            pass
        t4 = time.perf_counter()
        h = hashlib.sha256()
        for chunk in raw.get(name):
            h.update(chunk)
        t5 = time.perf_counter()
        store.delete(ref)
        raw.delete(name)
        if rep:
            for key, value in (("put", t1 - t0), ("raw_put", t2 - t1), ("get", t3 - t2), ("raw_get", t4 - t3),
                               ("raw_get_hash", t5 - t4)):
                times[key].append(value)
    return {k: _median(v) for k, v in times.items()}


def run() -> None:
    print("put = write + read-back verification (SHA-256); raw put = raw write + raw read-back + SHA-256.")
    print("get = streamed read verified by SHA-256; raw get = raw read (raw+hash: raw read + SHA-256).")
    print(f"{'backend':8} {'size':>6} {'op':4} {'ours MB/s':>10} {'raw MB/s':>10} {'ratio':>7}  note")
    with tempfile.TemporaryDirectory(prefix="esign-bench-") as tmp:
        wanted = {n.strip() for n in os.environ.get("ESIGN_BENCH_BACKENDS", "").split(",") if n.strip()}
        for name, factory in BACKENDS.items():
            if wanted and name not in wanted:
                continue
            scratch = Path(tmp) / name
            scratch.mkdir()
            pair = factory(scratch)
            if pair is None:
                print(f"{name:8} skipped (backend not available)")
                continue
            store, raw = pair
            for size, reps in SIZES:
                t = measure(store, raw, size, reps)
                mb = size / MB

                def rate(seconds: float, mb: float = mb) -> float:
                    return mb / seconds

                put_ratio = rate(t["put"]) / rate(t["raw_put"])
                get_ratio = rate(t["get"]) / rate(t["raw_get"])
                hashed = rate(t["get"]) / rate(t["raw_get_hash"])
                label = f"{size // MB}MB"
                print(f"{name:8} {label:>6} put  {rate(t['put']):10.0f} {rate(t['raw_put']):10.0f} "
                      f"{put_ratio:6.2f}x  {'ok' if put_ratio >= 0.8 else 'BELOW 0.8x'}")
                print(f"{name:8} {label:>6} get  {rate(t['get']):10.0f} {rate(t['raw_get']):10.0f} "
                      f"{get_ratio:6.2f}x  {'ok' if get_ratio >= 0.8 else 'BELOW 0.8x'}; vs raw+hash {hashed:.2f}x")


if __name__ == "__main__":
    run()
