"""EsignPlatform.configure_directory_sync / sync_directory: an embedding application syncs its
e-cology directory (the HrmService test server) and reads the report."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import esign
from esign_adapters.licensing import generate_vendor_keys, issue_licence
from esign_adapters.testing.hrm_soap_server import HrmSoapServer, sample_organization
from esign_core.model.installation import Quotas
from tests.embedding.test_open_platform import activate


def test_sync_directory_through_the_facade(tmp_path: Path) -> None:
    private, public = generate_vendor_keys(tmp_path / "vendor")
    config = {"data_dir": str(tmp_path / "data"), "database_url": f"sqlite:///{tmp_path / 'esign.db'}",
              "licence_public_key": str(public)}
    with esign.open_platform(config) as platform, HrmSoapServer(sample_organization(2, 2, 2)) as oa:
        platform.migrate()
        now = datetime.now(UTC)
        activate(platform, issue_licence(private.read_bytes(), product_code=platform.product_code, licensee="x",
                                         expires_at=now + timedelta(days=30), quotas=Quotas()))
        with pytest.raises(esign.ConfigurationError):
            platform.configure_directory_sync("ecology", {"address": "not a url"})
        platform.configure_directory_sync("ecology", {"address": oa.address},
                                          companies=[esign.SyncScope(company_id="1"), esign.SyncScope(company_id="2")])
        first = platform.sync_directory()
        assert first.status is esign.SyncStatus.SUCCEEDED and first.counts["members_created"] == 8
        assert platform.sync_directory("ecology").changes == 0
        with pytest.raises(esign.ConfigurationError, match="unknown directory connector"):
            platform.configure_directory_sync("no-such-oa", {"address": oa.address})
        platform.configure_directory_sync("ecology", member_sync=False)
        with pytest.raises(esign.DomainError, match="not the member-sync source"):
            platform.sync_directory("ecology")
