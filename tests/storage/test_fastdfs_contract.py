"""FastDFS: our client and the BlobStore adapter against the fake tracker + storage server, in both
tracker reply sizes (40-byte replies with 16-byte IP fields, 70-byte replies with 46-byte ones)."""

from __future__ import annotations

import errno
import hashlib
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from esign_adapters.storage.fastdfs import META_KEY, FastDfsBlobStore, parse_tracker
from esign_adapters.storage.fastdfs_protocol import (
    FastDfsBusy,
    FastDfsClient,
    FastDfsInvalidRequest,
    FastDfsNoSpace,
    FastDfsNoStorageServer,
    FastDfsNotFound,
    FastDfsProtocolError,
    FastDfsStatusError,
    FastDfsTruncatedReply,
    pack_header,
    pack_metadata,
    parse_fetch_reply,
    parse_store_reply,
    split_file_id,
    status_error,
    unpack_header,
    unpack_metadata,
)
from esign_adapters.storage.registry import BUILTIN_STORES, load_store
from esign_adapters.testing.blobstore_contract import (
    BlobStoreContract,
    BlobStoreDownContract,
    MiB,
    Tamper,
    drain,
    pattern,
    reason_of,
)
from esign_core.errors import ConfigurationError, StorageError
from tests.storage.fake_fastdfs import FakeFastDfs


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(params=[16, 46], ids=["40-byte-replies", "70-byte-replies"])
def fake(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[FakeFastDfs]:
    with FakeFastDfs(tmp_path / "fastdfs", ip_size=request.param) as server:
        yield server


@pytest.fixture
def store(fake: FakeFastDfs, tmp_path: Path) -> Iterator[FastDfsBlobStore]:
    s = FastDfsBlobStore([fake.tracker_address], index_path=tmp_path / "index" / "fastdfs.sqlite3", timeout=5)
    yield s
    s.close()


@pytest.fixture
def client(fake: FakeFastDfs) -> Iterator[FastDfsClient]:
    with FastDfsClient([fake.tracker_address], timeout=5) as c:
        yield c


class TestFastDfsContract(BlobStoreContract):
    @pytest.fixture
    def blob_store(self, store: FastDfsBlobStore) -> FastDfsBlobStore:
        return store

    @pytest.fixture
    def blob_tamper(self, fake: FakeFastDfs, store: FastDfsBlobStore) -> Tamper:
        def tamper(key: str, data: bytes) -> None:
            file_id = store.locate(key)
            assert file_id is not None
            fake.path_of(file_id).write_bytes(data)

        return tamper


class TestFastDfsDown(BlobStoreDownContract):
    down_timeout = 5.0

    @pytest.fixture
    def down_blob_store(self, tmp_path: Path) -> Iterator[FastDfsBlobStore]:
        s = FastDfsBlobStore([("127.0.0.1", closed_port()), ("127.0.0.1", closed_port())],
                             index_path=tmp_path / "index.sqlite3", timeout=2)
        yield s
        s.close()


# -- wire format ------------------------------------------------------------------------------------------
def _server_body(ip: bytes, ip_size: int, port: int, store_path: bytes = b"") -> bytes:
    return b"group1".ljust(16, b"\0") + ip.ljust(ip_size - 1, b"\0") + port.to_bytes(8, "big") + store_path


def test_header_is_body_length_int64_big_endian_then_command_then_status() -> None:
    assert pack_header(11, 0x0102030405, 0) == b"\x00\x00\x00\x01\x02\x03\x04\x05\x0b\x00"
    assert pack_header(100, 0, errno.ENOENT) == b"\x00" * 8 + b"\x64\x02"
    assert unpack_header(pack_header(14, 70, 28)) == (70, 14, 28)
    with pytest.raises(FastDfsProtocolError):
        unpack_header(b"\x00" * 9)


@pytest.mark.parametrize("ip_size", [16, 46])
def test_store_reply_of_40_or_70_bytes_names_group_server_and_store_path(ip_size: int) -> None:
    body = _server_body(b"192.168.1.20", ip_size, 23000, b"\x02")
    assert len(body) == ip_size + 24
    server = parse_store_reply(body)
    assert (server.group, server.host, server.port, server.store_path_index) == ("group1", "192.168.1.20", 23000, 2)


@pytest.mark.parametrize("ip_size", [16, 46])
def test_fetch_reply_of_39_or_69_bytes_names_the_server(ip_size: int) -> None:
    body = _server_body(b"fe80::1" if ip_size == 46 else b"10.0.0.7", ip_size, 23001)
    assert parse_fetch_reply(body).address == ("fe80::1" if ip_size == 46 else "10.0.0.7", 23001)


@pytest.mark.parametrize("size", [0, 39, 41, 69, 71])
def test_store_reply_of_any_other_length_is_a_protocol_error(size: int) -> None:
    with pytest.raises(FastDfsProtocolError, match="40 or 70"):
        parse_store_reply(b"\x01" * size)


def test_store_reply_without_a_usable_address_is_a_protocol_error() -> None:
    with pytest.raises(FastDfsProtocolError):
        parse_store_reply(_server_body(b"", 16, 23000, b"\0"))
    with pytest.raises(FastDfsProtocolError):
        parse_store_reply(_server_body(b"10.0.0.1", 16, 0, b"\0"))


def test_status_is_an_errno_mapped_to_an_exception_class() -> None:
    assert type(status_error(14, errno.ENOENT)) is FastDfsNotFound
    assert type(status_error(11, errno.ENOSPC)) is FastDfsNoSpace
    assert type(status_error(13, errno.EINVAL)) is FastDfsInvalidRequest
    assert type(status_error(101, errno.EBUSY)) is FastDfsBusy
    other = status_error(12, 99)
    assert type(other) is FastDfsStatusError and other.errno == 99
    not_found = status_error(14, errno.ENOENT)
    assert not not_found.from_tracker and "DOWNLOAD_FILE" in str(not_found) and "errno 2" in str(not_found)
    assert type(status_error(102, errno.ENOENT)) is FastDfsNoStorageServer  # a tracker's ENOENT: no server


def test_metadata_packs_records_with_0x01_and_fields_with_0x02() -> None:
    assert pack_metadata({"a": "1", "bb": "x y"}) == b"a\x021\x01bb\x02x y"
    assert unpack_metadata(b"a\x021\x01bb\x02x y") == {"a": "1", "bb": "x y"}
    assert unpack_metadata(b"") == {}
    for bad in ({"a\x01": "1"}, {"a": "1\x02"}, {"": "x"}, {"n" * 65: "x"}, {"a": "v" * 257}):
        with pytest.raises(ValueError):
            pack_metadata(bad)


def test_file_id_splits_into_group_and_remote_name() -> None:
    assert split_file_id("group1/M00/00/0A/wKgAAV.pdf") == ("group1", "M00/00/0A/wKgAAV.pdf")
    for bad in ("group1", "group1/", "/M00/x", "g" * 17 + "/M00/x", "group1/M00/x\0"):
        with pytest.raises(ValueError):
            split_file_id(bad)


# -- client against the fake ------------------------------------------------------------------------------
def test_client_accepts_the_store_reply_size_the_tracker_sends(fake: FakeFastDfs, client: FastDfsClient) -> None:
    server = client.query_store()
    assert server.address == fake.storage_address and server.group == "group1"
    assert client.query_store("group1").address == fake.storage_address


def test_upload_download_delete_round_trip(fake: FakeFastDfs, client: FastDfsClient) -> None:
    file_id = client.upload(b"%PDF-1.7 contract", ext="pdf")
    assert file_id.startswith("group1/M00/") and file_id.endswith(".pdf")
    assert fake.path_of(file_id).read_bytes() == b"%PDF-1.7 contract"
    assert b"".join(client.download(file_id)) == b"%PDF-1.7 contract"
    assert b"".join(client.download(file_id, offset=9, length=8)) == b"contract"
    client.delete(file_id)
    assert fake.file_ids() == []
    with pytest.raises(FastDfsNotFound):
        client.delete(file_id)
    with pytest.raises(FastDfsNotFound):
        drain(client.download(file_id))


def test_streamed_upload_is_sent_from_a_file_and_download_yields_1_mib_chunks(
        client: FastDfsClient, tmp_path: Path) -> None:
    data = pattern(3 * MiB + 5)
    source = tmp_path / "source.bin"
    source.write_bytes(data)
    with open(source, "rb") as fh:
        file_id = client.upload(fh, len(data))
    chunks = list(client.download(file_id))
    assert [len(c) for c in chunks] == [MiB, MiB, MiB, 5]
    assert b"".join(chunks) == data


def test_metadata_round_trip_overwrite_and_merge(client: FastDfsClient) -> None:
    file_id = client.upload(b"x")
    with pytest.raises(FastDfsNotFound):  # as the real server: no metadata file yet
        client.get_metadata(file_id)
    client.set_metadata(file_id, {"esign_key": "sha256/ab/cd/…", "size": "1"})
    assert client.get_metadata(file_id) == {"esign_key": "sha256/ab/cd/…", "size": "1"}
    client.set_metadata(file_id, {"size": "2", "note": "merged"}, merge=True)
    assert client.get_metadata(file_id) == {"esign_key": "sha256/ab/cd/…", "size": "2", "note": "merged"}
    client.set_metadata(file_id, {"only": "this"})
    assert client.get_metadata(file_id) == {"only": "this"}
    client.delete(file_id)
    with pytest.raises(FastDfsNotFound):
        client.set_metadata(file_id, {"a": "b"})


def test_storage_errors_arrive_as_errno_exceptions(client: FastDfsClient) -> None:
    with pytest.raises(FastDfsNotFound):
        drain(client.download("group1/M00/00/00/AAAAAAAAAAAAAAAAAAAAAAAAAAA"))
    with pytest.raises(FastDfsInvalidRequest):  # the storage server refuses names outside its layout
        drain(client.download("group1/M00/../../etc/passwd"))
    with pytest.raises(FastDfsNoStorageServer) as err:  # the tracker knows no such group
        client.query_store("group9")
    assert err.value.from_tracker and err.value.errno == errno.ENOENT


def test_connections_are_persistent_and_closed_with_quit(fake: FakeFastDfs) -> None:
    c = FastDfsClient([fake.tracker_address], timeout=5)
    for i in range(5):
        file_id = c.upload(b"n%d" % i)
        assert b"".join(c.download(file_id)) == b"n%d" % i
    assert fake.accepted == {"tracker": 1, "storage": 1}
    c.close()
    deadline = time.monotonic() + 2
    while (fake.sent("tracker")[-1:], fake.sent("storage")[-1:]) != ([82], [82]) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert fake.sent("tracker")[-1] == 82 and fake.sent("storage")[-1] == 82


def test_connection_closed_by_the_server_while_idle_is_replaced(fake: FakeFastDfs, client: FastDfsClient) -> None:
    file_id = client.upload(b"before")
    fake.drop_connections()
    time.sleep(0.05)
    assert b"".join(client.download(file_id)) == b"before"
    assert fake.accepted["storage"] == 2


def test_abandoned_download_does_not_return_its_connection_to_the_pool(fake: FakeFastDfs,
                                                                       client: FastDfsClient) -> None:
    file_id = client.upload(pattern(3 * MiB))
    stream = client.download(file_id)
    next(stream)
    stream.close()  # the rest of the body is still on the wire: that connection is out of step
    assert b"".join(client.download(file_id)) == pattern(3 * MiB)
    assert fake.accepted["storage"] == 2


def test_next_tracker_is_tried_when_one_is_down(fake: FakeFastDfs) -> None:
    with FastDfsClient([("127.0.0.1", closed_port()), fake.tracker_address], timeout=5) as c:
        for _ in range(3):
            assert c.query_store().address == fake.storage_address


def test_no_tracker_reachable_raises_connection_error_quickly() -> None:
    started = time.monotonic()
    with FastDfsClient([("127.0.0.1", closed_port())], timeout=5) as c, pytest.raises(ConnectionError):
        c.query_store()
    assert time.monotonic() - started < 1


def test_truncated_tracker_reply_is_a_truncated_reply_error(fake: FakeFastDfs, client: FastDfsClient) -> None:
    fake.inject(101, pack_header(100, 40) + b"group1".ljust(16, b"\0") + b"127.0", close=True)
    with pytest.raises(FastDfsTruncatedReply):
        client.query_store()
    assert client.query_store().address == fake.storage_address  # a fresh connection works


# -- the adapter ------------------------------------------------------------------------------------------
def test_each_stored_file_carries_its_key_in_fastdfs_metadata(store: FastDfsBlobStore, client: FastDfsClient) -> None:
    ref = store.put([b"evidence"])
    file_id = store.locate(ref.key)
    assert file_id is not None
    assert client.get_metadata(file_id) == {META_KEY: ref.key, "size": "8"}


def test_index_survives_a_restart(fake: FakeFastDfs, store: FastDfsBlobStore, tmp_path: Path) -> None:
    ref = store.put([b"kept across restarts"])
    store.close()
    again = FastDfsBlobStore([fake.tracker_address], index_path=tmp_path / "index" / "fastdfs.sqlite3")
    try:
        assert list(again.keys()) == [(ref.key, ref.size)]
        assert again.read(ref) == b"kept across restarts"
    finally:
        again.close()


def test_file_removed_behind_the_index_is_missing_not_an_error(fake: FakeFastDfs, store: FastDfsBlobStore,
                                                               client: FastDfsClient) -> None:
    ref = store.put([b"vanishes"])
    client.delete(store.locate(ref.key) or "")
    assert store.exists(ref) is False
    with pytest.raises(StorageError) as err:
        store.read(ref)
    assert reason_of(err.value) == "not_found"
    assert list(store.keys()) == [(ref.key, 8)], "verify sees the dangling row and can repair it"
    store.delete(ref)
    assert list(store.keys()) == []


def test_repairing_a_corrupt_copy_replaces_and_deletes_it(fake: FakeFastDfs, store: FastDfsBlobStore) -> None:
    ref = store.put([b"evidence"])
    first = store.locate(ref.key) or ""
    fake.path_of(first).write_bytes(b"evidenc3")
    assert store.put([b"evidence"]) == ref
    assert store.locate(ref.key) != first
    assert fake.file_ids() == [store.locate(ref.key)]


def test_same_content_twice_uploads_once(fake: FakeFastDfs, store: FastDfsBlobStore) -> None:
    store.put([b"once"])
    store.put([b"once"])
    assert fake.sent("storage").count(11) == 1


def test_crash_before_the_index_commit_leaves_an_unindexed_orphan(fake: FakeFastDfs, store: FastDfsBlobStore,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(*args: object) -> None:
        raise KeyboardInterrupt("killed between upload and index commit")

    monkeypatch.setattr(store.index, "put", crash)
    with pytest.raises(KeyboardInterrupt):
        store.put([b"orphan"])
    assert list(store.keys()) == []  # invisible to verify/repair (ADR 0010) …
    (orphan,) = fake.file_ids()  # … but it says what it is
    h = hashlib.sha256(b"orphan").hexdigest()
    key = f"sha256/{h[:2]}/{h[2:4]}/{h}"
    with FastDfsClient([fake.tracker_address]) as c:
        assert c.get_metadata(orphan)[META_KEY] == key


def test_read_follows_a_copy_replaced_by_a_concurrent_put(fake: FakeFastDfs, store: FastDfsBlobStore) -> None:
    ref = store.put([b"raced"])
    first = store.locate(ref.key) or ""
    real_download = store.client.download

    def download_after_a_concurrent_put(file_id: str, **kw: int) -> Iterator[bytes]:
        if file_id == first:  # another writer replaces the copy between our lookup and our request
            second = store.client.upload(b"raced")
            store.index.put(ref.key, second, 5)
            store.client.delete(first)
        return real_download(file_id, **kw)

    store.client.download = download_after_a_concurrent_put  # type: ignore[method-assign]
    assert store.read(ref) == b"raced"


def test_truncated_download_is_unavailable_not_corrupt(fake: FakeFastDfs, store: FastDfsBlobStore) -> None:
    ref = store.put([b"0123456789" * 10])
    fake.inject(14, pack_header(100, 100) + b"0123456789", close=True)
    with pytest.raises(StorageError) as err:
        store.read(ref)
    assert reason_of(err.value) == "unavailable"
    assert store.read(ref) == b"0123456789" * 10


def test_malformed_tracker_reply_is_a_storage_error(fake: FakeFastDfs, store: FastDfsBlobStore) -> None:
    fake.inject(101, pack_header(100, 41) + b"\x01" * 41)
    with pytest.raises(StorageError) as err:
        store.put([b"payload"])
    assert reason_of(err.value) == "other" and "40 or 70" in str(err.value)


def test_tracker_without_a_storage_server_is_unavailable(fake: FakeFastDfs, store: FastDfsBlobStore) -> None:
    fake.storage_up = False
    with pytest.raises(StorageError) as err:
        store.put([b"payload"])
    assert reason_of(err.value) == "unavailable" and err.value.fields["backend"] == "fastdfs"


def test_storage_status_errors_map_to_reasons(fake: FakeFastDfs, store: FastDfsBlobStore) -> None:
    ref = store.put([b"payload"])
    for status, reason in ((errno.EACCES, "denied"), (errno.EIO, "other"), (errno.EBUSY, "unavailable")):
        fake.inject(14, pack_header(100, 0, status))
        with pytest.raises(StorageError) as err:
            store.read(ref)
        assert reason_of(err.value) == reason


def test_store_in_a_configured_group(fake: FakeFastDfs, tmp_path: Path) -> None:
    s = FastDfsBlobStore([fake.tracker_address], group="group1", index_path=tmp_path / "i.sqlite3")
    try:
        assert s.read(s.put([b"grouped"])) == b"grouped"
        assert 104 in fake.sent("tracker")
    finally:
        s.close()
    wrong = FastDfsBlobStore([fake.tracker_address], group="group9", index_path=tmp_path / "j.sqlite3")
    with pytest.raises(StorageError) as err:
        wrong.put([b"x"])
    assert reason_of(err.value) == "unavailable"
    wrong.close()


# -- configuration ----------------------------------------------------------------------------------------
def test_from_config_reads_trackers_group_timeout_and_index_path(tmp_path: Path) -> None:
    s = FastDfsBlobStore.from_config({"trackers": ["10.0.0.5:22122", "[fd00::6]:22123", "tracker-3"],
                                      "group": "group2", "timeout": 3, "index_path": str(tmp_path / "i.db")},
                                     name="archive", secrets=None)
    assert s.name == "archive" and s.group == "group2" and s.client.timeout == 3.0
    assert s.client.trackers == [("10.0.0.5", 22122), ("fd00::6", 22123), ("tracker-3", 22122)]
    from_form = FastDfsBlobStore.from_config({"trackers": "a:1, b:2", "index_path": "/x/i.db", "timeout": " 2.5",
                                              "group": ""}, name="f")  # the console's form sends text
    assert from_form.client.trackers == [("a", 1), ("b", 2)]
    assert (from_form.client.timeout, from_form.group) == (2.5, None)


@pytest.mark.parametrize("config, message", [
    ({"trackers": ["a:1"], "index_path": "/i.db", "password": "x"}, "unknown setting"),
    ({"index_path": "/i.db"}, "trackers"),
    ({"trackers": [], "index_path": "/i.db"}, "trackers"),
    ({"trackers": ["a:0"], "index_path": "/i.db"}, "host:port"),
    ({"trackers": ["a:b"], "index_path": "/i.db"}, "host:port"),
    ({"trackers": [":22122"], "index_path": "/i.db"}, "host:port"),
    ({"trackers": ["a:1"]}, "index_path"),
    ({"trackers": ["a:1"], "index_path": "/i.db", "timeout": 0}, "timeout"),
    ({"trackers": ["a:1"], "index_path": "/i.db", "timeout": "ten"}, "timeout"),
    ({"trackers": ["a:1"], "index_path": "/i.db", "group": "g" * 17}, "group"),
])
def test_bad_configuration_is_refused(config: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        FastDfsBlobStore.from_config(config, name="fastdfs", secrets=None)


def test_parse_tracker_defaults_the_port() -> None:
    assert parse_tracker("10.1.2.3") == ("10.1.2.3", 22122)
    assert parse_tracker("[::1]") == ("::1", 22122)


def test_tracker_that_accepts_but_never_answers_times_out_as_unavailable(tmp_path: Path) -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)  # the kernel completes the handshake; nobody ever reads or replies
        s = FastDfsBlobStore([silent.getsockname()], index_path=tmp_path / "i.sqlite3", timeout=0.3)
        started = time.monotonic()
        with pytest.raises(StorageError) as err:
            s.put([b"payload"])
        assert reason_of(err.value) == "unavailable" and "timed out" in str(err.value)
        assert time.monotonic() - started < 2
        s.close()


def test_registry_builds_the_fastdfs_backend(fake: FakeFastDfs, tmp_path: Path) -> None:
    host, port = fake.tracker_address
    s = load_store("fastdfs", {"trackers": [f"{host}:{port}"], "index_path": str(tmp_path / "i.sqlite3")},
                   secrets=None, fallback=BUILTIN_STORES)  # type: ignore[arg-type]
    assert isinstance(s, FastDfsBlobStore)
    assert all(ok for _, ok, _ in s.check())
    s.close()


def test_tracker_without_the_group_never_makes_a_file_look_deleted(fake: FakeFastDfs, store: FastDfsBlobStore) -> None:
    ref = store.put([b"still here"])
    fake.storage_up = False  # the tracker now answers ENOENT to fetch and update queries
    for attempt in (lambda: store.read(ref), lambda: store.exists(ref), lambda: store.delete(ref)):
        with pytest.raises(StorageError) as err:
            attempt()
        assert reason_of(err.value) == "unavailable"
    fake.storage_up = True
    assert list(store.keys()) == [(ref.key, 10)] and store.read(ref) == b"still here"
