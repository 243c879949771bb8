"""Cost of listing a DingTalk / WeCom address book through the adapters (token cache, paging,
errcode checks, OrgPerson records) vs a bare httpx loop making the same calls against the same
local stand-in server in the same run. The ratio is what the adapter adds per call; over the
internet the vendors' latency (and their per-second limits) dominate both."""

from __future__ import annotations

import time

import httpx

from esign_adapters.org_sync.dingtalk import DingTalkOrgDirectory
from esign_adapters.org_sync.im_http import TokenCache
from esign_adapters.org_sync.wecom import WeComOrgDirectory
from esign_adapters.testing.dingtalk_server import FakeDingTalk
from esign_adapters.testing.im_server import sample_org
from esign_adapters.testing.wecom_server import FakeWeCom


def _bare_dingtalk(endpoint: str) -> int:
    with httpx.Client(timeout=30) as c:
        token = c.get(f"{endpoint}/gettoken", params={"appkey": "k", "appsecret": "s"}).json()["access_token"]
        depts, queue = [1], [1]
        while queue:
            parent = queue.pop(0)
            for d in c.post(f"{endpoint}/topapi/v2/department/listsub", params={"access_token": token},
                            json={"dept_id": parent}).json()["result"]:
                depts.append(d["dept_id"])
                queue.append(d["dept_id"])
        seen: set[str] = set()
        for dept in depts:
            cursor = 0
            while True:
                r = c.post(f"{endpoint}/topapi/v2/user/list", params={"access_token": token},
                           json={"dept_id": dept, "cursor": cursor, "size": 100}).json()["result"]
                seen.update(u["userid"] for u in r["list"])
                if not r["has_more"]:
                    break
                cursor = r["next_cursor"]
    return len(seen)


def _bare_wecom(endpoint: str) -> int:
    with httpx.Client(timeout=30) as c:
        token = c.get(f"{endpoint}/cgi-bin/gettoken", params={"corpid": "ww", "corpsecret": "s"}).json()["access_token"]
        depts = [d["id"] for d in c.get(f"{endpoint}/cgi-bin/department/list",
                                       params={"access_token": token}).json()["department"]]
        seen: set[str] = set()
        for dept in depts:
            seen.update(u["userid"] for u in c.get(f"{endpoint}/cgi-bin/user/list", params={
                "access_token": token, "department_id": dept, "fetch_child": 0}).json()["userlist"])
    return len(seen)


def _timed(fn, repeat: int = 3) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    """The best of ``repeat`` runs (the stand-in server shares this process's GIL)."""
    best, n = float("inf"), 0
    for _ in range(repeat):
        start = time.perf_counter()
        n = fn()
        best = min(best, time.perf_counter() - start)
    return best, n


def run(people: int = 20_000) -> None:
    org = sample_org(departments=20, people=people)
    ding = FakeDingTalk(org, app_key="k", app_secret="s").start()
    wecom = FakeWeCom(org, corp_id="ww", corp_secret="s").start()
    try:
        bare_d, n1 = _timed(lambda: _bare_dingtalk(ding.endpoint))
        ours_d, n2 = _timed(lambda: sum(1 for _ in DingTalkOrgDirectory(
            corp_id="c", app_key="k", app_secret="s", endpoint=ding.endpoint, tokens=TokenCache()).people([])))
        bare_w, n3 = _timed(lambda: _bare_wecom(wecom.endpoint))
        ours_w, n4 = _timed(lambda: sum(1 for _ in WeComOrgDirectory(
            corp_id="ww", app_secret="s", endpoint=wecom.endpoint, tokens=TokenCache()).people([])))
    finally:
        ding.stop()
        wecom.stop()
    assert n1 == n2 == n3 == n4 == people, (n1, n2, n3, n4)
    print(f"dingtalk {people} people: bare httpx {bare_d:.2f} s, adapter {ours_d:.2f} s; ratio = {ours_d / bare_d:.2f}")
    print(f"wecom    {people} people: bare httpx {bare_w:.2f} s, adapter {ours_w:.2f} s; ratio = {ours_w / bare_w:.2f}")
