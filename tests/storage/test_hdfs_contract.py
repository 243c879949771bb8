"""HdfsBlobStore against the fake WebHDFS server (no HDFS can be installed here, integrations.md §3):
the BlobStore contract, then the fake's protocol fidelity proven with HdfsCLI and raw HTTP, then the
adapter's HDFS-specific behaviour (atomic rename, temp-file cleanup, replication, settings)."""

from __future__ import annotations

import hashlib
import io
import socket
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
from hdfs import HdfsError, InsecureClient

from esign_adapters.storage.hdfs import TEMP_MARK, HdfsBlobStore
from esign_adapters.storage.registry import BUILTIN_STORES, store_class
from esign_adapters.testing.blobstore_contract import (
    BlobStoreContract,
    BlobStoreDownContract,
    Tamper,
    pattern,
    reason_of,
    ref_with_key,
)
from esign_core.errors import ConfigurationError, StorageError
from esign_core.ports.storage import blob_key
from esign_core.values import Digest
from tests.storage.fake_webhdfs import PREFIX, FakeWebHdfs


@pytest.fixture(scope="module")
def webhdfs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeWebHdfs]:
    with FakeWebHdfs(tmp_path_factory.mktemp("webhdfs")) as fake:
        yield fake


@pytest.fixture
def store(webhdfs: FakeWebHdfs) -> HdfsBlobStore:
    return HdfsBlobStore(webhdfs.url, root=f"/esign/{uuid.uuid4().hex}", timeout=5)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def backing_files(webhdfs: FakeWebHdfs, store: HdfsBlobStore) -> list[str]:
    top = webhdfs.local_path(store.root)
    return sorted(str(p.relative_to(top)) for p in top.rglob("*") if p.is_file()) if top.exists() else []


class TestHdfsContract(BlobStoreContract):
    @pytest.fixture
    def blob_store(self, store: HdfsBlobStore) -> HdfsBlobStore:
        return store

    @pytest.fixture
    def blob_tamper(self, blob_store: HdfsBlobStore, webhdfs: FakeWebHdfs) -> Tamper:
        def tamper(key: str, data: bytes) -> None:
            webhdfs.local_path(f"{blob_store.root}/{key}").write_bytes(data)

        return tamper


class TestHdfsDown(BlobStoreDownContract):
    @pytest.fixture
    def down_blob_store(self) -> HdfsBlobStore:
        return HdfsBlobStore(f"http://127.0.0.1:{closed_port()}", timeout=5)


# -- the fake speaks WebHDFS: HdfsCLI, the reference client, works against it unchanged ----------------
@pytest.fixture
def cli(webhdfs: FakeWebHdfs) -> InsecureClient:
    return InsecureClient(webhdfs.url, user="alice", root=f"/cli/{uuid.uuid4().hex}")


def test_hdfscli_upload_download_list_status_and_delete_work_against_the_fake(cli: InsecureClient,
                                                                              tmp_path: Path) -> None:
    source = tmp_path / "contract.pdf"
    source.write_bytes(pattern(200_000))
    assert cli.upload("docs/contract.pdf", str(source)).endswith("/docs/contract.pdf")
    assert cli.list("docs") == ["contract.pdf"]
    status = cli.status("docs/contract.pdf")
    assert (status["type"], status["length"], status["owner"], status["permission"]) == ("FILE", 200_000,
                                                                                         "alice", "644")
    assert cli.status("docs")["type"] == "DIRECTORY"
    target = tmp_path / "back.pdf"
    cli.download("docs/contract.pdf", str(target))
    assert target.read_bytes() == source.read_bytes()
    with pytest.raises(HdfsError, match="already exists"):
        cli.upload("docs/contract.pdf", str(source))
    cli.upload("docs/contract.pdf", str(source), overwrite=True)  # HdfsCLI: temp upload, DELETE, RENAME
    assert cli.list("docs") == ["contract.pdf"]
    assert [p for p, _, _ in cli.walk("")] == [cli.resolve(""), cli.resolve("docs")]
    assert cli.delete("docs", recursive=True) is True
    assert cli.status("docs", strict=False) is None
    assert cli.delete("docs") is False


def test_hdfscli_resolves_relative_paths_through_the_home_directory(webhdfs: FakeWebHdfs) -> None:
    client = InsecureClient(webhdfs.url, user="bob")
    client.write("notes.txt", data=b"hi", overwrite=True)
    assert client.resolve("notes.txt") == "/user/bob/notes.txt"
    assert webhdfs.local_path("/user/bob/notes.txt").read_bytes() == b"hi"
    assert client.content("/user/bob")["length"] == 2


def test_hdfscli_reads_with_offset_and_length(cli: InsecureClient) -> None:
    cli.write("f", data=b"0123456789")
    with cli.read("f", offset=3, length=4) as reader:
        assert reader.read() == b"3456"
    with cli.read("f", offset=7) as reader:
        assert reader.read() == b"789"
    with cli.read("f", chunk_size=3) as chunks:
        assert list(chunks) == [b"012", b"345", b"678", b"9"]


def test_hdfscli_appends_and_sets_replication(cli: InsecureClient) -> None:
    cli.write("log", data=b"one,")
    cli.write("log", data=b"two", append=True)
    cli.set_replication("log", 5)
    with cli.read("log") as reader:
        assert reader.read() == b"one,two"
    assert cli.status("log")["replication"] == 5


def test_hdfscli_streaming_writer_sends_a_chunked_body_that_the_datanode_decodes(cli: InsecureClient,
                                                                                 webhdfs: FakeWebHdfs) -> None:
    with cli.write("streamed") as writer:
        for i in range(50):
            writer.write(bytes([i]) * 10_000)
    with cli.read("streamed") as reader:
        assert reader.read() == b"".join(bytes([i]) * 10_000 for i in range(50))
    upload = [r for r in webhdfs.requests if r.role == "datanode" and r.path == cli.resolve("streamed")][0]
    assert (upload.op, upload.chunked) == ("CREATE", True)


def test_hdfscli_sees_remote_exceptions_with_the_hadoop_class_names(cli: InsecureClient) -> None:
    cli.write("d/f", data=b"x")
    cases = [
        (lambda: cli.status("missing"), "FileNotFoundException"),
        (lambda: cli.write("d/f", data=b"y"), "FileAlreadyExistsException"),
        (lambda: cli.delete("d"), "PathIsNotEmptyDirectoryException"),
        (lambda: cli.write("d/f/g", data=b"y"), "ParentNotDirectoryException"),
        (lambda: cli.makedirs("d/f"), "FileAlreadyExistsException"),
    ]
    for call, exception in cases:
        with pytest.raises(HdfsError) as err:
            call()
        assert err.value.exception == exception
    with pytest.raises(HdfsError, match="is not a directory"):
        cli.list("d/f")  # relies on LISTSTATUS of a file giving one entry with an empty pathSuffix
    with pytest.raises(HdfsError, match="Unable to rename"):
        cli.rename("d/f", cli.resolve("d/f").replace("/d/f", "/nowhere/f"))  # RENAME answers false


@pytest.mark.parametrize("value", ["True", "true", "TRUE"])
def test_boolean_parameters_are_case_insensitive(webhdfs: FakeWebHdfs, value: str) -> None:
    path = f"/bool/{uuid.uuid4().hex}"
    base = f"{webhdfs.url}{PREFIX}{path}"
    for body in (b"first", b"second"):
        step1 = requests.put(f"{base}/f", params={"op": "CREATE", "overwrite": value, "user.name": "u"},
                             allow_redirects=False, timeout=5)
        assert step1.status_code == 307
        assert requests.put(step1.headers["Location"], data=body, timeout=5).status_code == 201
    assert webhdfs.local_path(f"{path}/f").read_bytes() == b"second"
    deleted = requests.delete(base, params={"op": "DELETE", "recursive": value}, timeout=5)
    assert deleted.json() == {"boolean": True}


def test_a_malformed_boolean_is_an_illegal_argument(webhdfs: FakeWebHdfs) -> None:
    res = requests.delete(f"{webhdfs.url}{PREFIX}/x", params={"op": "DELETE", "recursive": "yes"}, timeout=5)
    assert res.status_code == 400
    assert res.json()["RemoteException"]["exception"] == "IllegalArgumentException"
    assert res.json()["RemoteException"]["javaClassName"] == "java.lang.IllegalArgumentException"


def test_create_is_two_steps_through_a_datanode_redirect(webhdfs: FakeWebHdfs) -> None:
    url = f"{webhdfs.url}{PREFIX}/two-step/{uuid.uuid4().hex}"
    step1 = requests.put(url, params={"op": "CREATE", "user.name": "u"}, allow_redirects=False, timeout=5)
    assert (step1.status_code, step1.headers["Content-Length"], step1.content) == (307, "0", b"")
    location = step1.headers["Location"]
    assert location.startswith(webhdfs.datanode_url + PREFIX) and "namenoderpcaddress=" in location
    no_redirect = requests.put(url, params={"op": "CREATE", "noredirect": "true"}, timeout=5)
    assert no_redirect.status_code == 200 and no_redirect.json()["Location"].startswith(webhdfs.datanode_url)
    direct = requests.put(url.replace(webhdfs.url, webhdfs.datanode_url), params={"op": "CREATE"}, data=b"x",
                          timeout=5)
    assert direct.status_code == 400, "the DataNode only takes requests the NameNode sent"
    step2 = requests.put(location, data=b"payload", timeout=5)
    assert step2.status_code == 201 and step2.headers["Location"].startswith("webhdfs://")


def test_datanode_decodes_a_raw_chunked_upload(webhdfs: FakeWebHdfs) -> None:
    path = f"/chunked/{uuid.uuid4().hex}"
    step1 = requests.put(f"{webhdfs.url}{PREFIX}{path}", params={"op": "CREATE"}, allow_redirects=False, timeout=5)
    step2 = requests.put(step1.headers["Location"], data=iter([b"abc", b"", b"d" * 70_000, b"ef"]), timeout=5)
    assert step2.status_code == 201
    assert webhdfs.local_path(path).read_bytes() == b"abc" + b"d" * 70_000 + b"ef"


def test_unknown_operation_and_dotdot_path_are_refused(webhdfs: FakeWebHdfs) -> None:
    bad_op = requests.get(f"{webhdfs.url}{PREFIX}/", params={"op": "FROBNICATE"}, timeout=5)
    assert (bad_op.status_code, bad_op.json()["RemoteException"]["exception"]) == (400, "IllegalArgumentException")
    dotdot = requests.get(f"{webhdfs.url}{PREFIX}/a/%2E%2E/b", params={"op": "GETFILESTATUS"}, timeout=5)
    assert (dotdot.status_code, dotdot.json()["RemoteException"]["exception"]) == (400, "InvalidPathException")


# -- the adapter -----------------------------------------------------------------------------------------
def test_put_streams_through_the_redirect_with_a_content_length_then_renames(store: HdfsBlobStore,
                                                                             webhdfs: FakeWebHdfs) -> None:
    before = len(webhdfs.requests)
    ref = store.put([b"signed ", b"contract"])
    calls = [(r.role, r.op, r.chunked) for r in webhdfs.requests[before:]]
    assert ("namenode", "CREATE", False) in calls and ("datanode", "CREATE", False) in calls
    assert calls.index(("namenode", "RENAME", False)) > calls.index(("datanode", "CREATE", False))
    assert backing_files(webhdfs, store) == [ref.key]


def test_a_failed_datanode_write_leaves_no_temp_file(store: HdfsBlobStore, webhdfs: FakeWebHdfs) -> None:
    webhdfs.fail_next("CREATE", exception="IOException", message="All datanodes are bad. Aborting...")
    with pytest.raises(StorageError) as err:
        store.put([pattern(300_000)])
    assert reason_of(err.value) == "other"
    assert backing_files(webhdfs, store) == []


def test_a_datanode_dropping_the_upload_is_unavailable_and_leaves_no_temp_file(store: HdfsBlobStore,
                                                                                webhdfs: FakeWebHdfs) -> None:
    webhdfs.fail_next("CREATE", disconnect=True)
    with pytest.raises(StorageError) as err:
        store.put([pattern(3_000_000)])
    assert reason_of(err.value) == "unavailable"
    assert backing_files(webhdfs, store) == []
    assert list(store.keys()) == []


def test_a_refused_rename_is_denied_and_leaves_no_temp_file(store: HdfsBlobStore, webhdfs: FakeWebHdfs) -> None:
    webhdfs.fail_next("RENAME", exception="AccessControlException", message="Permission denied: user=esign")
    with pytest.raises(StorageError) as err:
        store.put([b"payload"])
    assert reason_of(err.value) == "denied"
    assert backing_files(webhdfs, store) == []


def test_rename_onto_the_same_content_already_in_place_keeps_it(store: HdfsBlobStore,
                                                                webhdfs: FakeWebHdfs) -> None:
    ref = store.put([b"raced"])
    store._write(ref.key, io.BytesIO(b"raced"), 5)  # what a concurrent put that lost the race does
    assert backing_files(webhdfs, store) == [ref.key]
    assert store.read(ref) == b"raced"


def test_concurrent_puts_of_the_same_content_store_it_once(store: HdfsBlobStore, webhdfs: FakeWebHdfs) -> None:
    data, refs, errors = pattern(1_500_000, seed=b"race"), [], []
    barrier = threading.Barrier(6)

    def put() -> None:
        barrier.wait()
        try:
            refs.append(store.put([data]))
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=put) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == [] and len(refs) == 6 and len(set(refs)) == 1
    assert backing_files(webhdfs, store) == [refs[0].key]
    assert store.read(refs[0]) == data


def test_keys_skips_temp_files_and_stale_temp_files_finds_them(store: HdfsBlobStore, webhdfs: FakeWebHdfs) -> None:
    ref = store.put([b"kept"])
    leftover = webhdfs.local_path(f"{store.root}/{ref.key}").with_name(f"{TEMP_MARK}dead")
    leftover.write_bytes(b"half")
    assert list(store.keys()) == [(ref.key, 4)]
    assert store.stale_temp_files(older_than=-60) == [f"{store.root}/{ref.key.rsplit('/', 1)[0]}/{TEMP_MARK}dead"]
    assert store.stale_temp_files() == []


def test_replication_is_requested_on_write_and_reported(webhdfs: FakeWebHdfs, store: HdfsBlobStore) -> None:
    two = HdfsBlobStore(webhdfs.url, root=store.root, replication=2)
    assert two.replicas(two.put([b"twice"])) == 2
    assert store.replicas(store.put([b"default"])) == 3  # the cluster's dfs.replication
    assert webhdfs.requests[-1].params["op"] == "GETFILESTATUS"


@pytest.mark.parametrize(("exception", "reason"), [("AccessControlException", "denied"),
                                                   ("StandbyException", "unavailable"),
                                                   ("SafeModeException", "unavailable"),
                                                   ("RuntimeException", "other")])
def test_namenode_exceptions_become_storage_reasons(store: HdfsBlobStore, webhdfs: FakeWebHdfs,
                                                    exception: str, reason: str) -> None:
    ref = store.put([b"x"])
    webhdfs.fail_next("GETFILESTATUS", exception=exception, message="injected")
    with pytest.raises(StorageError) as err:
        store.exists(ref)
    assert (reason_of(err.value), err.value.fields["backend"]) == (reason, "hdfs")


def test_an_unreadable_object_is_not_reported_as_corrupt_or_missing(store: HdfsBlobStore,
                                                                    webhdfs: FakeWebHdfs) -> None:
    ref = store.put([b"evidence"])
    webhdfs.fail_next("OPEN", exception="AccessControlException", role="namenode")
    with pytest.raises(StorageError) as err:
        store.read(ref)
    assert reason_of(err.value) == "denied"


def test_a_datanode_dying_mid_read_is_unavailable_not_corrupt(store: HdfsBlobStore, webhdfs: FakeWebHdfs) -> None:
    ref = store.put([pattern(3_000_000)])
    webhdfs.fail_next("OPEN", disconnect=True)
    with pytest.raises(StorageError) as err:
        store.read(ref)
    assert reason_of(err.value) == "unavailable"
    assert store.read(ref) == pattern(3_000_000)


def test_a_down_namenode_fails_fast_for_listing_and_replicas() -> None:
    down = HdfsBlobStore(f"http://127.0.0.1:{closed_port()};http://127.0.0.1:{closed_port()}", timeout=5)
    ref = ref_with_key(blob_key(Digest(hashlib.sha256(b"x").hexdigest())), backend="hdfs")
    for call in (lambda: list(down.keys()), lambda: down.replicas(ref), lambda: down.delete(ref)):
        with pytest.raises(StorageError) as err:
            call()
        assert reason_of(err.value) == "unavailable"


def test_a_server_that_is_not_webhdfs_is_named_in_the_error() -> None:
    class NotWebHdfs(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    with ThreadingHTTPServer(("127.0.0.1", 0), NotWebHdfs) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            steps = HdfsBlobStore(f"http://127.0.0.1:{server.server_address[1]}").check()
        finally:
            server.shutdown()
    assert steps[0][:2] == ("write", False) and "did not answer as WebHDFS" in steps[0][2]


# -- settings ----------------------------------------------------------------------------------------------
def test_from_config_builds_the_store_without_touching_the_network() -> None:
    store = HdfsBlobStore.from_config({"url": f"http://127.0.0.1:{closed_port()}", "user": "svc", "root": "/data/esign",
                                       "timeout": "7", "replication": "2"}, name="archive", secrets=None)
    assert (store.name, store.user, store.root, store.timeout, store.replication) == ("archive", "svc",
                                                                                      "/data/esign", 7.0, 2)
    assert "svc" in repr(store)
    assert HdfsBlobStore("http://nn:9870", root="/esign/").root == "/esign"
    assert HdfsBlobStore("https://nn1:9871;https://nn2:9871", root="/").root == "/"


@pytest.mark.parametrize("config", [
    {"url": "http://nn:9870", "password": "x"},                    # unknown setting
    {"user": "esign"},                                             # no url
    {"url": "nn:9870"},                                            # no scheme
    {"url": "http://nn:9870/webhdfs/v1"},                          # a path, not the NameNode
    {"url": "http://nn:9870", "root": "esign"},                    # relative root
    {"url": "http://nn:9870", "root": "/esign/../etc"},            # dot-dot
    {"url": "http://nn:9870", "user": "a b"},
    {"url": "http://nn:9870", "timeout": 0},
    {"url": "http://nn:9870", "timeout": "soon"},
    {"url": "http://nn:9870", "replication": 0},
    {"url": "http://nn:9870", "replication": True},
], ids=["unknown", "no_url", "no_scheme", "url_path", "relative_root", "dotdot_root", "bad_user",
        "zero_timeout", "text_timeout", "zero_replication", "bool_replication"])
def test_bad_settings_are_configuration_errors(config: dict[str, object]) -> None:
    with pytest.raises(ConfigurationError):
        HdfsBlobStore.from_config(config, name="hdfs", secrets=None)


def test_the_registry_finds_the_hdfs_backend() -> None:
    assert store_class("hdfs", fallback=BUILTIN_STORES) is HdfsBlobStore
