"""The pip-installed example storage plugin on the console's storage page: offered, its form
drawn from its config_fields, tested and saved — then the platform stores contract files in it."""

from __future__ import annotations

import pytest
from http_flows import activate, csrf_of, login

from esign_core.model.policy import StorageSettings
from tests.plugin_packages import activate_storage_example

PAGE = "/console/settings/storage"


@pytest.fixture
def logged_in(client, platform, licence_for):  # type: ignore[no-untyped-def]
    activate_storage_example()
    activate(client, platform, licence_for(platform.product_code))
    assert login(client).status_code == 302
    return client


def test_the_plugin_is_offered_with_its_own_form(logged_in) -> None:  # type: ignore[no-untyped-def]
    assert '<option value="sqlite"' in logged_in.get(PAGE).text
    form = logged_in.get(PAGE, params={"backend": "sqlite"}, headers={"hx-request": "true"}).text
    assert 'name="cfg_path"' in form and 'name="cfg_table"' in form
    assert "本地存储方式仅用于测试环境" not in form  # not a testing-only backend


def test_saving_the_plugin_switches_the_platform_to_it(logged_in, platform, tmp_path) -> None:  # type: ignore[no-untyped-def]
    token = csrf_of(logged_in.get(PAGE).text)
    blobs = tmp_path / "blobs.db"
    data = {"_csrf_token": token, "backend": "sqlite", "cfg_path": str(blobs), "cfg_table": "contract_files"}
    tested = logged_in.post(f"{PAGE}/test", data=data, headers={"hx-request": "true"})
    assert tested.text.count('data-ok="true"') == 4, tested.text
    saved = logged_in.post(PAGE, data=data, follow_redirects=False)
    assert 'id="storage-save-result">已保存' in saved.text, saved.text
    with platform.uow() as uow:
        assert uow.settings.get(StorageSettings) == StorageSettings(
            backend="sqlite", config={"path": str(blobs), "table": "contract_files"})
    platform.storage_changed()
    store = platform.blob_store
    assert type(store).__name__ == "SqliteBlobStore"
    ref = store.put([b"%PDF-1.7 contract"])
    assert store.read(ref) == b"%PDF-1.7 contract" and blobs.exists()
