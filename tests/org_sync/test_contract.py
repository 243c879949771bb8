"""The DingTalk and WeCom directories run the shipped OrgDirectory contract suite."""

from __future__ import annotations

import pytest

from esign_adapters.org_sync.dingtalk import DingTalkOrgDirectory
from esign_adapters.org_sync.wecom import WeComOrgDirectory
from esign_adapters.testing.dingtalk_server import FakeDingTalk
from esign_adapters.testing.org_directory_contract import OrgDirectoryContract, OrgDirectoryDownContract
from esign_adapters.testing.wecom_server import FakeWeCom

from .conftest import CORP, DING_KEY, DING_SECRET, WECOM_CORP, WECOM_SECRET


class TestDingTalkContract(OrgDirectoryContract):
    @pytest.fixture
    def org_directory(self, dingtalk, tokens):  # type: ignore[no-untyped-def]
        d = DingTalkOrgDirectory(corp_id=CORP, app_key=DING_KEY, app_secret=DING_SECRET, endpoint=dingtalk.endpoint,
                                 tokens=tokens)
        yield d
        d.close()


@pytest.fixture(params=[("list", "list"), ("simplelist", "list_id")], ids=["list", "list_id"])
def wecom_style(request):  # type: ignore[no-untyped-def]
    return request.param


class TestWeComContract(OrgDirectoryContract):
    @pytest.fixture
    def org_directory(self, wecom, tokens, wecom_style):  # type: ignore[no-untyped-def]
        d = WeComOrgDirectory(corp_id=WECOM_CORP, app_secret=WECOM_SECRET, endpoint=wecom.endpoint, tokens=tokens,
                              department_api=wecom_style[0], user_api=wecom_style[1])
        yield d
        d.close()


class TestDownContract(OrgDirectoryDownContract):
    @pytest.fixture(params=["dingtalk", "wecom"])
    def down_org_directory(self, request, tokens):  # type: ignore[no-untyped-def]
        server = FakeDingTalk(app_key=DING_KEY, app_secret=DING_SECRET) if request.param == "dingtalk" \
            else FakeWeCom(corp_id=WECOM_CORP, corp_secret=WECOM_SECRET)
        endpoint = server.endpoint
        server.httpd.server_close()
        if request.param == "dingtalk":
            return DingTalkOrgDirectory(corp_id=CORP, app_key=DING_KEY, app_secret=DING_SECRET, endpoint=endpoint,
                                        tokens=tokens, timeout=1)
        return WeComOrgDirectory(corp_id=WECOM_CORP, app_secret=WECOM_SECRET, endpoint=endpoint, tokens=tokens,
                                 timeout=1)
