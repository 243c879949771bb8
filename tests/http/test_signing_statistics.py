"""签署统计 → 电子签约 in the console: the page renders real contracts (counts, SVG chart,
rankings, the signing log with paging), filters, the .xlsx and CSV exports of the current view
(opened with openpyxl / csv), refusals of bad filters, the English page and the permission."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import openpyxl
import pytest
import sqlalchemy as sa
from http_flows import ADMIN_PASSWORD, ADMIN_USER, login, post_form, submit_platform
from http_platform import backend

from esign_core.model.category import BusinessCategory
from esign_core.model.contract import Contract, ContractStatus
from esign_core.model.org import Organization, OrgUnitKind, TenantType
from esign_core.model.signatory import Action, ActionStatus, ActionType, Signatory, SignatoryStatus

BASE = "/console/statistics/signing"
RANGE = {"start": "2026-03-01", "end": "2026-03-31"}


@pytest.fixture
def database(request):  # type: ignore[no-untyped-def]
    """The wizard's database form: SQLite by default; ``postgresql`` (indirect parameter) makes a
    scratch database beside the configured test database, dropped afterwards."""
    kind = getattr(request, "param", "sqlite")
    if kind == "sqlite":
        yield {"db_type": "sqlite", "name": "esign.db"}
        return
    if backend() != "sqlite":
        pytest.skip("the in-memory platform has no SQL database")
    from tests.db.conftest import reachable_url

    url = sa.engine.make_url(reachable_url("postgresql"))
    name = f"{url.database or 'esign'}_stats_page"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    try:
        yield {"db_type": "postgresql", "host": url.host or "127.0.0.1", "port": str(url.port or 5432),
               "user": url.username or "postgres", "password": url.password or "", "name": name}
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


def _activate(client, platform, licence_code: str, database: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    r = post_form(client, "/setup", "/setup/licence", {"licence_code": licence_code})
    assert r.headers["location"] == "/setup/database"
    r = post_form(client, "/setup/database", "/setup/database", database)
    assert r.status_code in (302, 303) and r.headers["location"] == "/setup/account", r.text
    r = post_form(client, "/setup/account", "/setup/account",
                  {"username": ADMIN_USER, "password": ADMIN_PASSWORD, "password_confirm": ADMIN_PASSWORD})
    assert r.status_code in (302, 303), r.text
    assert submit_platform(client).status_code in (302, 303)
    assert platform.is_initialized()


@pytest.fixture
def console(client, platform, licence_for, database):  # type: ignore[no-untyped-def]
    _activate(client, platform, licence_for(platform.product_code), database)
    if database["db_type"] == "postgresql":
        assert platform.engine.dialect.name == "postgresql"
    ids = platform.ids
    with platform.uow() as uow:
        org = uow.organizations.platform()
        child = Organization.create(id=ids.next_id(), name="子公司乙", tenant_type=TenantType.INNER_COMPANY,
                                    unit_kind=OrgUnitKind.CHILD, parent_id=org.id, at=datetime.now(UTC))
        uow.organizations.add(child)
        buy = BusinessCategory.create(id=ids.next_id(), name="采购系统", tenant_id=org.id, at=datetime.now(UTC))
        uow.categories.add(buy)
        day = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
        for i in range(25):  # 25 signed contracts of the platform in the purchase system, one a day from 3-10
            at = day + timedelta(days=i % 5)
            action = Action(id=ids.next_id(), type=ActionType.CORPORATE, name="盖章", status=ActionStatus.SIGNED,
                            completed_at=at + timedelta(hours=1), completed_by=1)
            signatory = Signatory(id=ids.next_id(), tenant_type=TenantType.COMPANY, tenant_name=f"客户{i:02d}",
                                  serial_no=1, receiver_name="李四", status=SignatoryStatus.COMPLETE, actions=[action])
            uow.contracts.add(Contract(id=ids.next_id(), subject=f"=采购合同{i:02d}", status=ContractStatus.COMPLETE,
                                       created_at=at, tenant_id=org.id, category_id=buy.id, signatories=[signatory]))
        for i in range(3):
            uow.contracts.add(Contract(id=ids.next_id(), subject=f"人事合同{i}", status=ContractStatus.SIGNING,
                                       created_at=day + timedelta(days=1), tenant_id=child.id))
        uow.contracts.add(Contract(id=ids.next_id(), subject="四月合同", status=ContractStatus.SIGNING,
                                   created_at=datetime(2026, 3, 31, 16, 0, tzinfo=UTC), tenant_id=child.id))
        uow.commit()
    assert login(client).status_code in (302, 303)
    return {"client": client, "platform": platform, "org": org, "child": child, "buy": buy}


@pytest.mark.parametrize("database", ["sqlite", pytest.param("postgresql", marks=pytest.mark.services)],
                         indirect=True)
def test_the_page_shows_counts_chart_rankings_and_the_log(console) -> None:  # type: ignore[no-untyped-def]
    client = console["client"]
    r = client.get(BASE + "/", params=RANGE)
    assert r.status_code == 200, r.text
    assert re.search(r'id="total">28<', r.text)  # the April contract (00:00 Shanghai on 4-1) is out
    assert '<svg' in r.text and 'id="signing-chart"' in r.text and '<polyline' in r.text
    assert 'data-label="03-10" data-value="5"' in r.text and 'data-label="03-11" data-value="8"' in r.text
    assert re.search(r'data-status="COMPLETE"><td>已完成</td><td>25<', r.text)
    enterprises = r.text.split('id="by-enterprise"')[1].split("</table>")[0]
    assert enterprises.index(console["org"].name) < enterprises.index("子公司乙")
    systems = r.text.split('id="by-system"')[1].split("</table>")[0]
    assert "采购系统</td><td>25<" in systems and "未分类</td><td>3<" in systems
    assert 'id="log-page">1<' in r.text and "page=2" in r.text and r.text.count("（李四）") == 20
    assert "客户" in r.text and "（李四）" in r.text and "已签署" in r.text and "2026-03-14 11:00:00" in r.text
    second = client.get(BASE + "/", params={**RANGE, "page": "2"})
    assert 'id="log-page">2<' in second.text and second.text.count("（李四）") == 5 and "page=3" not in second.text
    assert f'data-nav="{BASE}/"' in client.get("/console").text  # in the navigation


def test_filters_narrow_every_figure(console) -> None:  # type: ignore[no-untyped-def]
    client = console["client"]
    default = client.get(BASE + "/")  # the last 30 days by day
    assert default.status_code == 200 and default.text.count("data-value=") == 30
    r = client.get(BASE + "/", params={**RANGE, "tenant_id": str(console["child"].id), "granularity": "week"})
    assert re.search(r'id="total">3<', r.text) and "（李四）" not in r.text
    assert 'data-label="03-09" data-value="3"' in r.text  # the ISO week from Monday 3-9
    r = client.get(BASE + "/", params={**RANGE, "category_id": str(console["buy"].id), "status": "COMPLETE",
                                       "granularity": "month"})
    assert re.search(r'id="total">25<', r.text) and 'data-label="2026-03" data-value="25"' in r.text


@pytest.mark.parametrize("bad", [{"start": "2026-03-31", "end": "2026-03-01"}, {"start": "yesterday"},
                                 {"granularity": "hour"}, {"status": "NOPE"}, {"tenant_id": "x"},
                                 {"start": "2000-01-01", "end": "2026-01-01"}])
def test_bad_filters_are_refused_in_the_page(console, bad) -> None:  # type: ignore[no-untyped-def]
    r = console["client"].get(BASE + "/", params=bad)
    assert r.status_code == 422 and 'id="error"' in r.text


@pytest.mark.parametrize("database", ["sqlite", pytest.param("postgresql", marks=pytest.mark.services)],
                         indirect=True)
def test_the_xlsx_export_holds_the_current_view(console) -> None:  # type: ignore[no-untyped-def]
    r = console["client"].get(BASE + "/export", params={**RANGE, "format": "xlsx",
                                                        "category_id": str(console["buy"].id)})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "signing-statistics-2026-03-01-2026-03-31.xlsx" in r.headers["content-disposition"]
    wb = openpyxl.load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames == ["筛选条件", "按状态", "趋势", "企业签署量排行", "业务系统签署量排行", "签署日志"]
    filters = {row[0]: row[1] for row in wb["筛选条件"].iter_rows(min_row=2, values_only=True)}
    assert filters["业务系统"] == "采购系统" and filters["合同总数"] == 25 and filters["时区"] == "Asia/Shanghai"
    assert ("已完成", "COMPLETE", 25) in list(wb["按状态"].iter_rows(min_row=2, values_only=True))
    series = list(wb["趋势"].iter_rows(min_row=2, values_only=True))
    assert len(series) == 31 and ("2026-03-10", 5) in series and sum(n for _, n in series) == 25
    assert list(wb["企业签署量排行"].iter_rows(min_row=2, values_only=True)) == [(1, console["org"].name, 25)]
    log = list(wb["签署日志"].iter_rows(min_row=2, values_only=True))
    assert len(log) == 25 and log[0][0] == "2026-03-14 11:00:00" and log[0][6] == "已签署"
    assert all(row[2].startswith("'=采购合同") for row in log)  # never a formula
    assert wb["签署日志"]["C2"].data_type == "s"


def test_the_csv_export_holds_the_same_tables(console) -> None:  # type: ignore[no-untyped-def]
    r = console["client"].get(BASE + "/export", params={**RANGE, "format": "csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    titles = [row[0] for row in rows if row and row[0].startswith("# ")]
    assert titles == ["# 筛选条件", "# 按状态", "# 趋势", "# 企业签署量排行", "# 业务系统签署量排行", "# 签署日志"]
    assert ["合同总数", "28"] in rows and ["已完成", "COMPLETE", "25"] in rows
    assert ["2026-03-11", "8"] in rows
    log_at = rows.index(["# 签署日志"])
    assert len([r for r in rows[log_at + 2:] if r]) == 25
    assert console["client"].get(BASE + "/export", params={"format": "pdf"}).status_code in (400, 422)


def test_the_page_in_english(console) -> None:  # type: ignore[no-untyped-def]
    client = console["client"]
    post_form(client, BASE + "/", "/lang/en", {"next": BASE + "/"})
    text = client.get(BASE + "/", params=RANGE).text
    assert "Signing statistics" in text and "Contracts by enterprise" in text and "Signing log" in text
    assert "Completed" in text or "COMPLETE" in text


def test_the_page_needs_the_statistics_permission(console) -> None:  # type: ignore[no-untyped-def]
    client, platform = console["client"], console["platform"]
    r = post_form(client, "/console/admins/roles", "/console/admins/roles",
                  {"name": "审计员", "description": "只看日志", "permission": ["audit.view"]})
    assert r.status_code == 303, r.text
    with platform.uow() as uow:
        role = uow.roles.by_name("审计员")
    r = post_form(client, "/console/admins/accounts", "/console/admins/accounts",
                  {"username": "auditor", "password": "Kfcq7293x", "display_name": "审计", "role_id": str(role.id)})
    assert r.status_code == 303, r.text
    client.cookies.clear()
    assert login(client, "auditor", "Kfcq7293x").status_code in (302, 303)
    assert f'data-nav="{BASE}/"' not in client.get("/console").text
    assert client.get(BASE + "/").status_code == 403
    assert client.get(BASE + "/export", params={"format": "csv"}).status_code == 403
