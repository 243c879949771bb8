"""examples/plugins/esign-storage-example, installed with pip: its entry point is discovered, and
its own test file — the shipped BlobStore contract suite subclassed, as every plugin does — passes
here (the test classes below are that file's)."""

from __future__ import annotations

import importlib.util
from importlib.metadata import distribution

from esign_adapters.plugins import check, discover
from esign_adapters.storage.registry import BUILTIN_STORES, available_backends
from tests.plugin_packages import STORAGE_EXAMPLE, activate_storage_example

SITE = activate_storage_example()


def _plugin_tests():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("esign_storage_example_tests",
                                                  STORAGE_EXAMPLE / "tests" / "test_contract.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_shipped = _plugin_tests()
TestSqliteBlobStore = _shipped.TestSqliteBlobStore
TestSqliteBlobStoreWithoutItsDirectory = _shipped.TestSqliteBlobStoreWithoutItsDirectory
test_the_entry_point_builds_the_store_from_its_settings = (
    _shipped.test_the_entry_point_builds_the_store_from_its_settings)
test_bad_settings_name_the_setting = _shipped.test_bad_settings_name_the_setting


def test_pip_installed_the_distribution_with_its_entry_point() -> None:
    dist = distribution("esign-storage-example")
    assert dist.version == "1.0.0"
    assert [(ep.group, ep.name) for ep in dist.entry_points] == [("esign.storage", "sqlite")]
    assert str(dist.locate_file("")).startswith(str(SITE))


def test_the_plugin_is_listed_after_the_builtins_and_loads() -> None:
    assert available_backends(BUILTIN_STORES)[-1] == "sqlite"
    (info,) = [p for p in discover("esign.storage") if p.name == "sqlite"]
    assert (info.distribution, info.status) == ("esign-storage-example", "unchecked")
    assert info.hint == "pip install 'esign-storage-example'"
    assert check(info).status == "ok"
