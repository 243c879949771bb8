"""The ``esign.storage`` plugin registry: entry-point discovery, lazy imports, the install hint
for a missing client library, and sealed secrets."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from esign_adapters.storage.local import LocalBlobStore
from esign_adapters.storage.registry import (
    BUILTIN_STORES,
    available_backends,
    load_store,
    reveal,
    seal_secrets,
    secret_purpose,
    store_class,
)
from esign_core.errors import ConfigurationError
from esign_core.model.policy import StorageSettings
from esign_core.testing import XorSecretBox

PLUGIN = '''
from esign_core.testing import InMemoryBlobStore

class OssBlobStore(InMemoryBlobStore):
    for_testing_only = False

    @classmethod
    def from_config(cls, config, *, name, secrets):
        if "bucket" not in config:
            from esign_core.errors import ConfigurationError
            raise ConfigurationError("oss storage: `bucket` is required", backend=name)
        return cls(name)
'''


@pytest.fixture
def plugin_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An installed third-party distribution declaring an ``esign.storage`` entry point."""
    (tmp_path / "esign_oss_plugin.py").write_text(PLUGIN)
    (tmp_path / "esign_missing_dep_plugin.py").write_text("import esign_no_such_client_lib\n")
    dist = tmp_path / "esign_oss_plugin-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: esign-oss-plugin\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[esign.storage]\noss = esign_oss_plugin:OssBlobStore\nbroken = esign_missing_dep_plugin:Store\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def test_builtin_local_store_loads_through_the_fallback_map(tmp_path: Path) -> None:
    store = load_store("local", {"root": str(tmp_path)}, secrets=XorSecretBox(), fallback=BUILTIN_STORES)
    assert isinstance(store, LocalBlobStore) and store.name == "local"


def test_third_party_plugin_is_discovered_by_entry_point(plugin_path: Path) -> None:
    assert "oss" in available_backends(BUILTIN_STORES)
    assert available_backends(BUILTIN_STORES)[:2] == ["local", "nas"]
    store = load_store("oss", {"bucket": "b"}, secrets=XorSecretBox())
    assert type(store).__name__ == "OssBlobStore" and store.name == "oss"
    with pytest.raises(ConfigurationError, match="bucket"):
        load_store("oss", {}, secrets=XorSecretBox())
    assert StorageSettings(backend="oss").backend == "oss"


def test_missing_client_library_gives_the_pip_install_hint(plugin_path: Path) -> None:
    with pytest.raises(ConfigurationError) as err:
        store_class("broken")
    assert "esign_no_such_client_lib" in str(err.value)
    assert err.value.fields["hint"] == "pip install 'esign[broken]'"


def test_missing_adapter_module_is_reported_as_not_available() -> None:
    with pytest.raises(ConfigurationError, match="not available in this installation"):
        store_class("tape", fallback={"tape": "esign_adapters.storage.tape:TapeBlobStore"})


def test_unknown_backend_lists_the_available_ones() -> None:
    with pytest.raises(ConfigurationError) as err:
        store_class("tape", fallback=BUILTIN_STORES)
    assert "unknown storage backend 'tape'" in str(err.value) and "local, nas, smb, s3" in str(err.value)


def test_only_the_selected_backend_is_imported(tmp_path: Path) -> None:
    code = textwrap.dedent(f"""
        import sys
        from esign_adapters.storage.registry import BUILTIN_STORES, load_store
        from esign_core.testing import XorSecretBox
        load_store("local", {{"root": {str(tmp_path)!r}}}, secrets=XorSecretBox(), fallback=BUILTIN_STORES)
        loaded = [m for m in ("esign_adapters.storage.s3", "esign_adapters.storage.smb", "esign_adapters.storage.hdfs",
                              "esign_adapters.storage.fastdfs", "boto3", "smbprotocol", "hdfs") if m in sys.modules]
        print(loaded)
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_secrets_are_sealed_per_backend_and_setting_and_revealed() -> None:
    box = XorSecretBox()
    sealed = seal_secrets({"server": "nas1", "password": "p@ss", "bucket": ""}, kind="smb", secrets=box)
    assert set(sealed) == {"server", "password_secret_ref", "bucket"}
    assert "p@ss" not in repr(StorageSettings(backend="smb", config=sealed))
    assert box.open(sealed["password_secret_ref"], purpose=secret_purpose("smb", "password")) == b"p@ss"
    assert reveal(sealed, "password", secrets=box, kind="smb") == "p@ss"
    assert reveal({"password": "clear"}, "password", secrets=box, kind="smb") == "clear"
    with pytest.raises(ConfigurationError, match="`password` is required"):
        reveal({}, "password", secrets=box, kind="smb", required=True)
    with pytest.raises(ConfigurationError):
        reveal(sealed, "password", secrets=box, kind="s3")  # sealed for another backend


@pytest.mark.parametrize(("kind", "config", "secret"), [
    ("smb", {"server": "nas1", "share": "esign", "username": "esign", "password": "p@ss"}, "password"),
    ("s3", {"bucket": "contracts", "access_key": "AKIA", "secret_key": "s3cr3t"}, "secret_key"),
])
def test_builtin_backends_open_the_secrets_the_registry_seals(kind: str, config: dict[str, str], secret: str) -> None:
    box = XorSecretBox()
    try:
        cls = store_class(kind, fallback=BUILTIN_STORES)
    except ConfigurationError as exc:
        pytest.skip(str(exc))
    sealed = seal_secrets(config, kind=kind, secrets=box, cls=cls)
    assert secret not in sealed and secret + "_secret_ref" in sealed
    StorageSettings(backend=kind, config=sealed)  # storable: no clear secret
    store = load_store(kind, sealed, secrets=box, fallback=BUILTIN_STORES)
    assert store.name == kind
    assert config[secret] not in repr(store)
