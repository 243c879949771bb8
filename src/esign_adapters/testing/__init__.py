"""Port contract test suites, shipped so that built-in adapters and third-party plugins prove the
same behaviour. They need pytest (``pip install 'esign[dev]'``)::

    from esign_adapters.testing.blobstore_contract import BlobStoreContract

    class TestMyStore(BlobStoreContract):
        @pytest.fixture
        def blob_store(self, tmp_path): ...
        @pytest.fixture
        def blob_tamper(self, blob_store): ...
"""

import pytest

# The suites are plain modules outside the test tree: ask pytest to rewrite their asserts so a
# failure shows the compared values.
pytest.register_assert_rewrite("esign_adapters.testing.blobstore_contract")
pytest.register_assert_rewrite("esign_adapters.testing.org_directory_contract")
