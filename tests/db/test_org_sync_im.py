"""Directory sync from DingTalk and WeCom, end to end: the connectors talk HTTP to their
stand-in servers and the generic sync service of the e-cology branch (h-ecology) writes through the
SQL store on SQLite, PostgreSQL and MariaDB. Skipped until that branch is merged; verified against
a scratch merge of both branches (12 passed)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine

pytest.importorskip("esign_core.services.org_sync")

from esign_adapters.db.org_sync_store import SqlOrgSyncStore  # noqa: E402
from esign_adapters.db.uow import SqlUnitOfWork  # noqa: E402
from esign_adapters.org_sync.registry import load_directory  # noqa: E402
from esign_adapters.testing.dingtalk_server import FakeDingTalk  # noqa: E402
from esign_adapters.testing.im_server import sample_org  # noqa: E402
from esign_adapters.testing.wecom_server import FakeWeCom  # noqa: E402
from esign_core.model.org_sync import SyncReport, SyncScope, SyncStatus  # noqa: E402
from esign_core.services.org_sync import (  # noqa: E402
    ConfigureSyncSource,
    SyncDirectory,
    configure_sync_source,
    sync_directory,
)
from esign_core.testing.fakes import FixedClock, SequentialIds, XorSecretBox  # noqa: E402
from tests.db import samples  # noqa: E402

IDS = SequentialIds(7_100_000_000_000_000_000)


def _setup(engine: Engine) -> None:
    with SqlUnitOfWork(engine) as uow:
        uow.installation.add(samples.installation())
        uow.organizations.add(samples.platform_org("同步集团"))
        uow.commit()


def _sync(engine: Engine, clock: FixedClock, source: str) -> SyncReport:
    secrets = XorSecretBox()
    return sync_directory(SyncDirectory(source=source), store=SqlOrgSyncStore(engine),
                          directories=lambda s: load_directory(s.source, s.config, secrets=secrets),
                          uow=SqlUnitOfWork(engine), clock=clock, ids=IDS)


def _counts(report: SyncReport) -> dict[str, int]:
    return {k: v for k, v in report.counts.items() if v and k != "unchanged"}


def _configured(engine: Engine, clock: FixedClock, vendor: str, org: Any) -> Any:
    server: Any = (FakeDingTalk(org, app_key="k", app_secret="s") if vendor == "dingtalk"
                   else FakeWeCom(org, corp_id="ww1", corp_secret="s")).start()
    _setup(engine)
    corp = "corp-1" if vendor == "dingtalk" else "ww1"
    config = {"corp_id": corp, "app_secret": "s", "endpoint": server.endpoint,
              **({"app_key": "k"} if vendor == "dingtalk" else {})}
    configure_sync_source(ConfigureSyncSource(source=vendor, config=config, member_sync=True,
                                              scopes=(SyncScope(company_id=corp),)),
                          store=SqlOrgSyncStore(engine), clock=clock, ids=IDS)
    return server


@pytest.mark.parametrize("vendor", ["dingtalk", "wecom"])
def test_a_corp_is_synced_once_and_a_second_run_changes_nothing(sql_engine: Engine, vendor: str) -> None:
    clock = FixedClock(samples.T0 + timedelta(days=1))
    server = _configured(sql_engine, clock, vendor, sample_org(departments=6, people=120))
    try:
        first = _sync(sql_engine, clock, vendor)
        # every 15th person has neither a mobile nor an e-mail: reported per person, not fatal
        assert first.status is SyncStatus.SUCCEEDED_WITH_ERRORS and first.error_count == 8, first.message
        left = 2 if vendor == "wecom" else 0  # WeCom status 5 (left): not created
        assert _counts(first) == {"orgs_created": 1, "departments_created": 6, "members_created": 112 - left,
                                  "users_created": 112 - left}
        clock.advance(days=1)
        server.expire_tokens()  # the next run refreshes its token
        second = _sync(sql_engine, clock, vendor)
        assert second.error_count == 8 and _counts(second) == {}
    finally:
        server.stop()


@pytest.mark.parametrize("vendor", ["dingtalk", "wecom"])
def test_withheld_contacts_are_reported_not_fatal(sql_engine: Engine, vendor: str) -> None:
    clock = FixedClock(samples.T0 + timedelta(days=1))
    server = _configured(sql_engine, clock, vendor, sample_org(departments=3, people=30))
    server.withhold_contacts = True
    try:
        report = _sync(sql_engine, clock, vendor)
        assert report.status is SyncStatus.SUCCEEDED_WITH_ERRORS
        assert report.error_count == 30
        assert _counts(report) == {"orgs_created": 1, "departments_created": 3}
    finally:
        server.stop()
