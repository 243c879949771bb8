"""The BlobStore contract (``esign_core.ports.storage``) as a pytest suite every backend runs.

Subclass :class:`BlobStoreContract` in a test module and define two fixtures:

``blob_store``
    A fresh, empty store for each test.
``blob_tamper``
    A callable ``tamper(key, data)`` that replaces the bytes stored under ``key`` behind the
    store's back (write the file, PUT the object …), so the suite can prove corruption is caught.

Subclass :class:`BlobStoreDownContract` and define ``down_blob_store`` (a store pointed at a closed
port or a stopped server) to prove an unavailable backend fails fast and clearly.

Class attributes tune what cannot be generic: ``streaming_memory_limit`` (``None`` for stores that
keep objects in this process, such as an in-memory fake or an in-process mock server) and
``big_object_size``.
"""

from __future__ import annotations

import hashlib
import time
import tracemalloc
from collections.abc import Callable, Iterator

import pytest

from esign_core.errors import StorageError
from esign_core.ports.storage import BlobStore, blob_key
from esign_core.values import BlobRef, Digest

MiB = 1024 * 1024
_ODD_CHUNKS = (1, 7, 4093, 65537, 1000003, 13)

Tamper = Callable[[str, bytes], None]


def reason_of(exc: BaseException) -> str | None:
    """The ``reason`` field of a StorageError."""
    return getattr(exc, "fields", {}).get("reason")


def drain(stream: Iterator[bytes]) -> bytes:
    return b"".join(stream)


def pattern(size: int, seed: bytes = b"esign") -> bytes:
    """Deterministic, incompressible-looking bytes."""
    out, block = bytearray(), hashlib.sha256(seed).digest()
    while len(out) < size:
        block = hashlib.sha256(block).digest()
        out += block * 64
    return bytes(out[:size])


def odd_chunks(data: bytes) -> Iterator[bytes]:
    i, n = 0, 0
    while i < len(data):
        step = _ODD_CHUNKS[n % len(_ODD_CHUNKS)]
        yield data[i : i + step]
        i, n = i + step, n + 1


def ref_with_key(key: str, *, backend: str = "", data: bytes = b"x") -> BlobRef:
    return BlobRef(backend, key, len(data), Digest(hashlib.sha256(data).hexdigest()))


_HEX = hashlib.sha256(b"x").hexdigest()

#: Keys that must never reach a backend (each paired with a readable id for the test report).
HOSTILE_KEYS: list[tuple[str, str]] = [
    ("dotdot", "../../etc/passwd"),
    ("absolute", "/etc/passwd"),
    ("backslash", "sha256\\ab\\.."),
    ("percent_encoded", "sha256/ab/cd/..%2f.."),
    ("percent_dots", f"sha256/{_HEX[:2]}/{_HEX[2:4]}/%2e%2e"),
    ("nul", f"sha256/{_HEX[:2]}/{_HEX[2:4]}/{_HEX}\0"),
    ("fullwidth_dots", "．．/．．/etc/passwd"),
    ("fullwidth_hex", f"sha256/{_HEX[:2]}/{_HEX[2:4]}/" + "".join(chr(ord(c) + 0xFEE0) for c in _HEX)),
    ("uppercase_hex", f"sha256/{_HEX[:2].upper()}/{_HEX[2:4].upper()}/{_HEX.upper()}"),
    ("prefix_mismatch", f"sha256/00/00/{_HEX}"),
    ("trailing_slash", f"sha256/{_HEX[:2]}/{_HEX[2:4]}/{_HEX}/"),
    ("trailing_newline", f"sha256/{_HEX[:2]}/{_HEX[2:4]}/{_HEX}\n"),
    ("dot_segment", f"sha256/{_HEX[:2]}/./{_HEX}"),
    ("empty", ""),
]


class BlobStoreContract:
    """Behaviour every BlobStore keeps. Test names state it."""

    #: Upper bound of Python memory allocated while putting and reading ``big_object_size`` bytes;
    #: ``None`` where the objects live in this process (fakes, in-process mock servers).
    streaming_memory_limit: int | None = 40 * MiB
    big_object_size: int = 64 * MiB

    @pytest.fixture
    def blob_store(self) -> BlobStore:
        pytest.fail(f"{type(self).__name__} must define the `blob_store` fixture (a fresh, empty store)")

    @pytest.fixture
    def blob_tamper(self) -> Tamper:
        pytest.fail(f"{type(self).__name__} must define the `blob_tamper` fixture: tamper(key, data) replaces "
                    "the stored bytes behind the store's back")

    # -- round trips -------------------------------------------------------------------------------
    def test_empty_object_round_trips(self, blob_store: BlobStore) -> None:
        ref = blob_store.put([])
        assert ref.size == 0
        assert ref.digest.hex == hashlib.sha256(b"").hexdigest()
        assert blob_store.read(ref) == b""
        assert blob_store.put([b""]) == ref

    def test_one_byte_round_trips(self, blob_store: BlobStore) -> None:
        ref = blob_store.put([b"\x00"])
        assert (ref.size, ref.digest.hex) == (1, hashlib.sha256(b"\x00").hexdigest())
        assert blob_store.read(ref) == b"\x00"
        assert drain(blob_store.open(ref)) == b"\x00"

    def test_three_megabytes_in_odd_chunks_round_trip(self, blob_store: BlobStore) -> None:
        data = pattern(3 * MiB + 17)
        ref = blob_store.put(odd_chunks(data))
        assert ref.size == len(data)
        assert ref.digest.hex == hashlib.sha256(data).hexdigest()
        assert drain(blob_store.open(ref)) == data

    def test_ref_is_content_addressed_and_names_the_backend(self, blob_store: BlobStore) -> None:
        ref = blob_store.put([b"hello ", b"world"])
        digest = Digest(hashlib.sha256(b"hello world").hexdigest())
        assert ref == BlobRef(blob_store.name, blob_key(digest), 11, digest)

    def test_same_content_twice_gives_same_ref_and_is_stored_once(self, blob_store: BlobStore) -> None:
        first = blob_store.put([b"same ", b"content"])
        second = blob_store.put([b"same content"])
        assert first == second
        assert [k for k, _ in blob_store.keys()].count(first.key) == 1
        assert len(list(blob_store.keys())) == 1

    def test_read_returns_verified_bytes(self, blob_store: BlobStore) -> None:
        ref = blob_store.put([b"contract.pdf bytes"])
        assert blob_store.read(ref) == b"contract.pdf bytes"

    # -- existence and deletion ---------------------------------------------------------------------
    def test_exists_is_true_after_put_and_false_for_unknown_content(self, blob_store: BlobStore) -> None:
        ref = blob_store.put([b"present"])
        assert blob_store.exists(ref) is True
        digest = Digest(hashlib.sha256(b"absent").hexdigest())
        assert blob_store.exists(BlobRef(blob_store.name, blob_key(digest), 6, digest)) is False

    def test_deleted_object_no_longer_exists_and_open_is_not_found(self, blob_store: BlobStore) -> None:
        ref = blob_store.put([b"to be deleted"])
        blob_store.delete(ref)
        assert blob_store.exists(ref) is False
        with pytest.raises(StorageError) as err:
            drain(blob_store.open(ref))
        assert reason_of(err.value) == "not_found"
        assert list(blob_store.keys()) == []

    def test_deleting_a_missing_object_is_fine(self, blob_store: BlobStore) -> None:
        digest = Digest(hashlib.sha256(b"never stored").hexdigest())
        blob_store.delete(BlobRef(blob_store.name, blob_key(digest), 12, digest))

    def test_deleting_one_object_keeps_the_others(self, blob_store: BlobStore) -> None:
        keep, drop = blob_store.put([b"keep"]), blob_store.put([b"drop"])
        blob_store.delete(drop)
        assert blob_store.read(keep) == b"keep"
        assert list(blob_store.keys()) == [(keep.key, 4)]

    # -- listing ------------------------------------------------------------------------------------
    def test_keys_lists_every_object_with_its_size(self, blob_store: BlobStore) -> None:
        assert list(blob_store.keys()) == []
        refs = [blob_store.put([pattern(n, seed=str(n).encode())]) for n in (0, 1, 1000, 70000)]
        assert sorted(blob_store.keys()) == sorted((r.key, r.size) for r in refs)

    # -- streaming ----------------------------------------------------------------------------------
    def test_big_object_streams_in_and_out_without_being_held_in_memory(self, blob_store: BlobStore) -> None:
        size, chunk = self.big_object_size, MiB
        sent = hashlib.sha256()

        def generate() -> Iterator[bytes]:
            block = hashlib.sha256(b"big").digest() * (chunk // 32)
            for i in range(size // chunk):
                piece = i.to_bytes(8, "big") + block[8:]
                sent.update(piece)
                yield piece

        limit = self.streaming_memory_limit
        if limit is not None:
            tracemalloc.start()
        try:
            ref = blob_store.put(generate())
            got, count, biggest = hashlib.sha256(), 0, 0
            for piece in blob_store.open(ref):
                got.update(piece)
                count += len(piece)
                biggest = max(biggest, len(piece))
            peak = tracemalloc.get_traced_memory()[1] if limit is not None else 0
        finally:
            if limit is not None:
                tracemalloc.stop()
        assert ref.size == size and count == size
        assert got.hexdigest() == sent.hexdigest() == ref.digest.hex
        assert biggest < size, "open() must yield chunks, not the whole object"
        if limit is not None:
            assert peak < limit, f"put/open of {size >> 20} MiB allocated {peak >> 20} MiB at peak"

    def test_open_is_lazy_and_yields_several_chunks_for_a_big_object(self, blob_store: BlobStore) -> None:
        ref = blob_store.put([pattern(5 * MiB)])
        assert len(list(blob_store.open(ref))) > 1

    # -- integrity ----------------------------------------------------------------------------------
    def test_open_of_tampered_object_raises_corrupt(self, blob_store: BlobStore, blob_tamper: Tamper) -> None:
        ref = blob_store.put([b"original contract"])
        blob_tamper(ref.key, b"forged!! contract")  # same size: the hash, not the length, must catch it
        with pytest.raises(StorageError) as err:
            drain(blob_store.open(ref))
        assert reason_of(err.value) == "corrupt"
        with pytest.raises(StorageError) as err:
            blob_store.read(ref)
        assert reason_of(err.value) == "corrupt"

    def test_open_of_truncated_object_raises_corrupt(self, blob_store: BlobStore, blob_tamper: Tamper) -> None:
        ref = blob_store.put([b"original contract"])
        blob_tamper(ref.key, b"original")
        with pytest.raises(StorageError) as err:
            drain(blob_store.open(ref))
        assert reason_of(err.value) == "corrupt"

    def test_putting_the_content_again_repairs_a_corrupt_copy(self, blob_store: BlobStore,
                                                              blob_tamper: Tamper) -> None:
        ref = blob_store.put([b"evidence"])
        blob_tamper(ref.key, b"evidenc3")
        assert blob_store.put([b"evidence"]) == ref
        assert blob_store.read(ref) == b"evidence"

    def test_ref_whose_key_does_not_match_its_digest_is_refused(self, blob_store: BlobStore) -> None:
        stored = blob_store.put([b"stored"])
        other = Digest(hashlib.sha256(b"other").hexdigest())
        with pytest.raises(StorageError) as err:
            drain(blob_store.open(BlobRef(blob_store.name, stored.key, stored.size, other)))
        assert reason_of(err.value) == "invalid_key"

    # -- confinement --------------------------------------------------------------------------------
    @pytest.mark.parametrize("key", [k for _, k in HOSTILE_KEYS], ids=[i for i, _ in HOSTILE_KEYS])
    def test_hostile_key_is_refused_by_open_exists_and_delete(self, blob_store: BlobStore, key: str) -> None:
        kept = blob_store.put([b"x"])  # the hostile keys name this content's digest
        ref = ref_with_key(key, backend=blob_store.name)
        for attempt in (lambda: drain(blob_store.open(ref)), lambda: blob_store.exists(ref),
                        lambda: blob_store.delete(ref)):
            with pytest.raises(StorageError) as err:
                attempt()
            assert reason_of(err.value) == "invalid_key"
        assert list(blob_store.keys()) == [(kept.key, 1)]
        assert blob_store.read(kept) == b"x"

    # -- connection test ----------------------------------------------------------------------------
    def test_check_writes_reads_back_and_deletes_a_probe(self, blob_store: BlobStore) -> None:
        steps = blob_store.check()
        assert [s[0] for s in steps] == ["write", "read back", "delete"]
        assert all(ok for _, ok, _ in steps), steps
        assert all(isinstance(detail, str) for _, _, detail in steps)
        assert list(blob_store.keys()) == [], "the probe object must be removed"


class BlobStoreDownContract:
    """An unreachable backend fails fast with StorageError(reason="unavailable")."""

    #: Seconds each call may take before it counts as hanging.
    down_timeout: float = 20.0

    @pytest.fixture
    def down_blob_store(self) -> BlobStore:
        pytest.fail(f"{type(self).__name__} must define `down_blob_store` (a store whose backend is unreachable)")

    def _unavailable(self, call: Callable[[], object]) -> None:
        started = time.monotonic()
        with pytest.raises(StorageError) as err:
            call()
        assert reason_of(err.value) == "unavailable", err.value
        assert time.monotonic() - started < self.down_timeout

    def test_put_to_a_down_backend_is_unavailable(self, down_blob_store: BlobStore) -> None:
        self._unavailable(lambda: down_blob_store.put([b"payload"]))

    def test_open_from_a_down_backend_is_unavailable(self, down_blob_store: BlobStore) -> None:
        ref = ref_with_key(blob_key(Digest(_HEX)), backend=down_blob_store.name)
        self._unavailable(lambda: drain(down_blob_store.open(ref)))

    def test_exists_on_a_down_backend_is_unavailable(self, down_blob_store: BlobStore) -> None:
        ref = ref_with_key(blob_key(Digest(_HEX)), backend=down_blob_store.name)
        self._unavailable(lambda: down_blob_store.exists(ref))

    def test_error_names_the_backend(self, down_blob_store: BlobStore) -> None:
        with pytest.raises(StorageError) as err:
            down_blob_store.put([b"payload"])
        assert err.value.fields.get("backend") == down_blob_store.name

    def test_check_reports_the_failed_step_without_raising(self, down_blob_store: BlobStore) -> None:
        started = time.monotonic()
        steps = down_blob_store.check()
        assert time.monotonic() - started < self.down_timeout
        assert steps and steps[0][0] == "write"
        assert not all(ok for _, ok, _ in steps)
        failed = next(s for s in steps if not s[1])
        assert failed[2], "a failed step says why"
