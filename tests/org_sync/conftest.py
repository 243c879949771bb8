from __future__ import annotations

from collections.abc import Iterator

import pytest

from esign_adapters.org_sync.im_http import TokenCache
from esign_adapters.testing.dingtalk_server import FakeDingTalk
from esign_adapters.testing.im_server import sample_org
from esign_adapters.testing.wecom_server import FakeWeCom

DING_KEY, DING_SECRET, CORP = "dingkey-test", "ding-secret-Z9/+", "ding-corp-1"
WECOM_CORP, WECOM_SECRET = "ww0123456789", "wecom-secret-Q7"


@pytest.fixture
def tokens() -> TokenCache:
    return TokenCache()


@pytest.fixture
def dingtalk() -> Iterator[FakeDingTalk]:
    server = FakeDingTalk(sample_org(departments=6, people=250), app_key=DING_KEY, app_secret=DING_SECRET)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def wecom() -> Iterator[FakeWeCom]:
    server = FakeWeCom(sample_org(departments=6, people=250), corp_id=WECOM_CORP, corp_secret=WECOM_SECRET)
    server.start()
    yield server
    server.stop()
