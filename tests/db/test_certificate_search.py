"""Certificate search and statistics and the UKey repository (manual 四.3), on every backend
(part of the repository contract suite), and migration 0002 that adds their table and indexes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Engine

from esign_adapters.db import tables
from esign_adapters.db.engine import make_engine
from esign_adapters.db.migrate import alembic_config, current_revision, head_revision, upgrade
from esign_adapters.db.uow import SqlUnitOfWork
from esign_core.errors import AlreadyExists, ConcurrencyError, InvalidValue
from esign_core.model.certificate import (
    Certificate,
    CertificateKind,
    SubjectType,
    UKey,
    UKeyStatus,
)
from tests.db import samples
from tests.db.conftest import UowFactory

EVENT, LONG_TERM = CertificateKind.EVENT, CertificateKind.LONG_TERM
PERSONAL, ENTERPRISE = SubjectType.PERSONAL, SubjectType.ENTERPRISE
T0 = samples.T0
DAY = timedelta(days=1)


def cert(
    name: str,
    kind: CertificateKind = EVENT,
    subject_type: SubjectType = PERSONAL,
    *,
    ca: str = "esign-ca",
    start: Any = T0,
    days: int = 1,
) -> Certificate:
    id_ = samples.next_id()
    return Certificate(
        id=id_,
        kind=kind,
        subject_name=name,
        subject_type=subject_type,
        serial=f"{id_:x}",
        issuer=f"CN={ca}",
        ca_name=ca,
        not_before=start,
        not_after=start + timedelta(days=days),
    )


def ukey(
    device_no: str, *, serial: str = "0a1b", holder: str = "张三", code: str = samples.USCC, org: int | None = None
) -> UKey:
    key = UKey.register(
        id=samples.next_id(),
        certificate_serial=serial,
        holder=holder,
        subject_code=code,
        device_no=device_no,
        owner_org_id=org,
        at=T0,
    )
    key.collect_events()
    return key


def _save_all(uow_factory: UowFactory, repo: str, *items: Any) -> None:
    with uow_factory() as uow:
        for item in items:
            getattr(uow, repo).add(item)
        uow.commit()


def _ids(items: Any) -> list[int]:
    return [i.id for i in items]


# -- certificate search ---------------------------------------------------------------------------
@pytest.fixture
def certs(uow_factory: UowFactory) -> dict[str, Certificate]:
    made = {
        "a": cert("张三", ca="esign-ca", start=T0),
        "b": cert("张三", ca="CFCA", start=T0 + DAY),
        "c": cert("ACME 科技", LONG_TERM, ENTERPRISE, start=T0 + 2 * DAY, days=730),
        "d": cert("acme 100%_co", EVENT, ENTERPRISE, ca="cfca", start=T0 + 3 * DAY),
        "root": cert("esign Root CA", CertificateKind.CA, ENTERPRISE, start=T0 - 10 * DAY, days=3650),
    }
    _save_all(uow_factory, "certificates", *made.values())
    return made


def test_certificate_search_by_kind_name_type_and_ca(uow_factory: UowFactory, certs: dict[str, Certificate]) -> None:
    a, b, c, d, root = (certs[k].id for k in ("a", "b", "c", "d", "root"))
    with uow_factory() as uow:
        search = uow.certificates.search
        assert _ids(search()) == [a, b, c, d, root]
        assert _ids(search(kind=EVENT)) == [a, b, d]
        assert _ids(search(subject_name="张")) == [a, b]
        assert _ids(search(subject_type=ENTERPRISE)) == [c, d, root]
        assert _ids(search(ca_name="esign")) == [a, c, root]
        assert _ids(search(kind=LONG_TERM, subject_name="ACME")) == [c]  # the original two-filter call
        assert _ids(search(kind=EVENT, subject_type=PERSONAL, ca_name="esign", subject_name="三")) == [a]
        assert search(subject_name="王五") == []


def test_certificate_name_and_ca_filters_are_case_sensitive_substrings(
    uow_factory: UowFactory, certs: dict[str, Certificate]
) -> None:
    c, d = certs["c"].id, certs["d"].id
    with uow_factory() as uow:
        search = uow.certificates.search
        assert _ids(search(subject_name="ACME")) == [c]
        assert _ids(search(subject_name="acme")) == [d]
        assert _ids(search(ca_name="CFCA")) == [certs["b"].id]
        # LIKE wildcards are plain characters here
        assert _ids(search(subject_name="%")) == [d]
        assert _ids(search(subject_name="_")) == [d]
        assert _ids(search(subject_name="100%_c")) == [d]


def test_certificate_validity_ranges_include_the_lower_and_exclude_the_upper_bound(
    uow_factory: UowFactory, certs: dict[str, Certificate]
) -> None:
    a, b, c, d, root = (certs[k].id for k in ("a", "b", "c", "d", "root"))
    with uow_factory() as uow:
        search = uow.certificates.search
        assert _ids(search(not_before_from=T0 + DAY)) == [b, c, d]
        assert _ids(search(not_before_to=T0 + DAY)) == [a, root]
        assert _ids(search(not_before_from=T0, not_before_to=T0 + 2 * DAY)) == [a, b]
        assert _ids(search(not_after_from=T0 + 2 * DAY)) == [b, c, d, root]
        assert _ids(search(not_after_to=T0 + 2 * DAY)) == [a]
        assert _ids(search(not_after_from=T0 + DAY, not_after_to=T0 + 5 * DAY, kind=EVENT)) == [a, b, d]
        # the same instant given in Beijing time
        beijing = (T0 + DAY).astimezone(samples.BEIJING)
        assert _ids(search(not_before_from=beijing)) == [b, c, d]
        # microseconds count: one microsecond later excludes the certificate starting exactly then
        assert _ids(search(not_before_from=T0 + DAY + timedelta(microseconds=1))) == [c, d]


def test_certificate_search_pages_by_id(uow_factory: UowFactory, certs: dict[str, Certificate]) -> None:
    a, b, c, d, root = (certs[k].id for k in ("a", "b", "c", "d", "root"))
    with uow_factory() as uow:
        search = uow.certificates.search
        assert _ids(search(limit=2)) == [a, b]
        assert _ids(search(limit=2, offset=2)) == [c, d]
        assert _ids(search(offset=4)) == [root]
        assert _ids(search(kind=EVENT, limit=1, offset=1)) == [b]
        assert search(limit=0) == []
        assert search(offset=10) == []


def test_certificate_search_pages_include_what_this_unit_of_work_added(
    uow_factory: UowFactory, certs: dict[str, Certificate]
) -> None:
    a, b = certs["a"].id, certs["b"].id
    with uow_factory() as uow:
        added = cert("张三", start=T0 + 9 * DAY)
        uow.certificates.add(added)
        assert _ids(uow.certificates.search(subject_name="张三")) == [a, b, added.id]
        assert _ids(uow.certificates.search(subject_name="张三", limit=2, offset=1)) == [b, added.id]
        assert _ids(uow.certificates.search(not_before_from=T0 + 8 * DAY)) == [added.id]


@pytest.mark.parametrize(
    "bad",
    [
        {"not_before_from": T0.replace(tzinfo=None)},
        {"not_after_to": T0.replace(tzinfo=None)},
        {"limit": -1},
        {"offset": -1},
    ],
)
def test_certificate_search_refuses_naive_datetimes_and_negative_pages(
    uow_factory: UowFactory, bad: dict[str, Any]
) -> None:
    with uow_factory() as uow, pytest.raises(InvalidValue):
        uow.certificates.search(**bad)


# -- certificate statistics -----------------------------------------------------------------------
def test_statistics_count_user_certificates_per_name_and_type_most_first(
    uow_factory: UowFactory, certs: dict[str, Certificate]
) -> None:
    _save_all(
        uow_factory,
        "certificates",
        cert("张三", LONG_TERM, ENTERPRISE),  # same name, other type: a row of its own
        cert("esign TSA", CertificateKind.SERVICE, ENTERPRISE),  # ours: not counted
    )
    with uow_factory() as uow:
        stats = uow.certificates.statistics
        assert stats() == [
            ("张三", PERSONAL, 2),
            ("ACME 科技", ENTERPRISE, 1),
            ("acme 100%_co", ENTERPRISE, 1),
            ("张三", ENTERPRISE, 1),
        ]
        assert stats(subject_type=PERSONAL) == [("张三", PERSONAL, 2)]
        assert stats(subject_name="acme") == [("acme 100%_co", ENTERPRISE, 1)]
        assert stats(subject_name="%") == [("acme 100%_co", ENTERPRISE, 1)]
        assert stats(subject_name="张", subject_type=ENTERPRISE) == [("张三", ENTERPRISE, 1)]
        assert stats(subject_name="esign") == []
        assert stats(subject_name="王五") == []


def test_statistics_count_what_this_unit_of_work_added(uow_factory: UowFactory, certs: dict[str, Certificate]) -> None:
    with uow_factory() as uow:
        uow.certificates.get(certs["d"].id)  # held, unchanged: counted once
        uow.certificates.add(cert("acme 100%_co", LONG_TERM, ENTERPRISE))
        uow.certificates.add(cert("王五"))
        assert uow.certificates.statistics(subject_name="acme") == [("acme 100%_co", ENTERPRISE, 2)]
        assert uow.certificates.statistics(subject_type=PERSONAL) == [("张三", PERSONAL, 2), ("王五", PERSONAL, 1)]


def test_statistics_are_grouped_by_the_database_not_loaded(sql_engine: Engine) -> None:
    _save_all(lambda: SqlUnitOfWork(sql_engine), "certificates", cert("张三"), cert("张三"), cert("李四"))
    statements: list[str] = []

    def capture(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    sa.event.listen(sql_engine, "before_cursor_execute", capture)
    try:
        with SqlUnitOfWork(sql_engine) as uow:
            assert uow.certificates.statistics() == [("张三", PERSONAL, 2), ("李四", PERSONAL, 1)]
    finally:
        sa.event.remove(sql_engine, "before_cursor_execute", capture)
    selects = [s for s in statements if "certificates" in s]
    assert len(selects) == 1 and "GROUP BY" in selects[0].upper()
    assert "key_ref" not in selects[0]


# -- UKeys --------------------------------------------------------------------------------------------
def test_every_ukey_field_survives_a_round_trip(uow_factory: UowFactory, backend: str) -> None:
    key = ukey("FT-0001", code=samples.ID_NUMBER, org=samples.next_id())
    key.report_lost(at=samples.T_BEIJING)
    key.revoke(reason="丢失", at=samples.T_BEIJING + DAY)
    key.collect_events()
    expected = samples.state(key)
    _save_all(uow_factory, "ukeys", key)
    with uow_factory() as uow:
        loaded = uow.ukeys.get(key.id)
    assert samples.state(loaded) == expected
    assert loaded.version == 1
    # the fake keeps the Beijing offset; the databases hand back the same instants in UTC
    assert all(d.utcoffset() == timedelta(0) or backend == "memory" for d in samples.datetimes(loaded))


def test_ukeys_by_device_number_and_by_serial(uow_factory: UowFactory) -> None:
    first, second, other = ukey("FT-0001"), ukey("FT-0002"), ukey("FT-0003", serial="ff")
    _save_all(uow_factory, "ukeys", first, second, other)
    with uow_factory() as uow:
        found = uow.ukeys.by_device_no(" ft-0002 ")
        assert found is not None and found.id == second.id
        assert uow.ukeys.by_device_no("FT-9999") is None
        assert _ids(uow.ukeys.by_serial("00:0A:1B")) == [first.id, second.id]
        assert uow.ukeys.by_serial("abc") == []


def test_ukey_search_by_every_field(uow_factory: UowFactory) -> None:
    a = ukey("FT-0001", serial="0a1b", holder="Li Si", code=samples.USCC)
    b = ukey("FT-0002", serial="0a1b", holder="li si", code=samples.ID_NUMBER)
    c = ukey("EX-0001", serial="ff", holder="福州测试科技有限公司", code=samples.USCC)
    b.report_lost(at=T0)
    c.revoke(at=T0)
    _save_all(uow_factory, "ukeys", a, b, c)
    with uow_factory() as uow:
        search = uow.ukeys.search
        assert _ids(search()) == [a.id, b.id, c.id]
        assert _ids(search(serial="A1B")) == [a.id, b.id]
        assert _ids(search(status=UKeyStatus.LOST)) == [b.id]
        assert _ids(search(holder="Li")) == [a.id]  # case-sensitive substring
        assert _ids(search(holder="测试")) == [c.id]
        assert _ids(search(code="91350100m000100y43")) == [a.id, c.id]
        assert _ids(search(code=samples.ID_NUMBER)) == [b.id]
        assert _ids(search(device_no="ex-0001")) == [c.id]
        assert _ids(search(serial="0a1b", status=UKeyStatus.ACTIVE, code=samples.USCC)) == [a.id]
        assert search(holder="王五") == []
        assert _ids(search(limit=1, offset=1)) == [b.id]
        assert _ids(search(offset=2)) == [c.id]
        with pytest.raises(InvalidValue):
            search(device_no="has space")


def test_ukey_search_judges_held_ukeys_by_their_state_in_memory(uow_factory: UowFactory) -> None:
    a, b = ukey("FT-0001"), ukey("FT-0002")
    _save_all(uow_factory, "ukeys", a, b)
    with uow_factory() as uow:
        uow.ukeys.get(a.id).report_lost(at=T0)
        added = ukey("FT-0003")
        uow.ukeys.add(added)
        assert _ids(uow.ukeys.search(status=UKeyStatus.LOST)) == [a.id]
        assert _ids(uow.ukeys.search(status=UKeyStatus.ACTIVE)) == [b.id, added.id]
        assert _ids(uow.ukeys.search(status=UKeyStatus.ACTIVE, limit=1, offset=1)) == [added.id]
    with uow_factory() as uow:
        assert uow.ukeys.search(status=UKeyStatus.LOST) == []  # never committed


def test_a_stale_ukey_raises_concurrency_error(uow_factory: UowFactory) -> None:
    key = ukey("FT-0001")
    _save_all(uow_factory, "ukeys", key)
    first, second = uow_factory(), uow_factory()
    with first:
        first.ukeys.get(key.id).report_lost(at=T0)
        with second:
            second.ukeys.get(key.id).revoke(at=T0)
            second.commit()
        with pytest.raises(ConcurrencyError):
            first.commit()
    with uow_factory() as uow:
        assert uow.ukeys.get(key.id).status is UKeyStatus.REVOKED


@pytest.mark.usefixtures("only_sql")
def test_a_device_number_is_unique_in_the_database(uow_factory: UowFactory) -> None:
    _save_all(uow_factory, "ukeys", ukey("FT-0001"))
    with uow_factory() as uow, pytest.raises(AlreadyExists) as caught:
        uow.ukeys.add(ukey("FT-0001"))
        uow.commit()
    assert caught.value.fields == {"table": "ukeys", "field": "device_no"}


# -- migration 0002 ---------------------------------------------------------------------------------
@pytest.fixture
def empty_engine(empty_database_url: str) -> Iterator[Engine]:
    engine = make_engine(empty_database_url)
    yield engine
    engine.dispose()


def _index_names(engine: Engine, table: str) -> set[str]:
    return {ix["name"] for ix in sa.inspect(engine).get_indexes(table)}


def _index(table: sa.Table, name: str) -> sa.Index:
    return next(ix for ix in table.indexes if ix.name == name)


def _schema_differences(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), tables.metadata)


NEW_CERTIFICATE_INDEXES = {"ix_certificates_subject_name", "ix_certificates_not_before", "ix_certificates_not_after"}


def test_upgrading_from_0001_keeps_the_certificates_and_adds_ukeys_and_indexes(empty_engine: Engine) -> None:
    upgrade(empty_engine, "0001")
    stored = cert("张三")
    _save_all(lambda: SqlUnitOfWork(empty_engine), "certificates", stored)
    upgrade(empty_engine)
    assert current_revision(empty_engine) == head_revision()  # 0002 and every later revision
    assert _index_names(empty_engine, "certificates") >= NEW_CERTIFICATE_INDEXES
    assert _schema_differences(empty_engine) == []
    with SqlUnitOfWork(empty_engine) as uow:
        assert uow.certificates.statistics() == [("张三", PERSONAL, 1)]
        uow.ukeys.add(ukey("FT-0001"))
        uow.commit()


def test_an_interrupted_0002_can_be_run_again(empty_engine: Engine) -> None:
    # MariaDB commits each DDL statement: a crash may leave some of 0002 done, still at 0001.
    upgrade(empty_engine, "0001")
    with empty_engine.begin() as conn:
        tables.ukeys.create(conn)
        conn.execute(sa.schema.DropIndex(_index(tables.ukeys, "ix_ukeys_holder")))
        conn.execute(sa.schema.CreateIndex(_index(tables.certificates, "ix_certificates_not_after")))
    assert current_revision(empty_engine) == "0001"
    upgrade(empty_engine)
    assert current_revision(empty_engine) == head_revision()
    assert "ix_ukeys_holder" in _index_names(empty_engine, "ukeys")
    assert _schema_differences(empty_engine) == []


def test_0002_can_be_downgraded_to_0001(empty_engine: Engine) -> None:
    upgrade(empty_engine)
    with empty_engine.connect() as conn:
        command.downgrade(alembic_config(conn), "0001")
        conn.commit()
    assert current_revision(empty_engine) == "0001"
    assert not sa.inspect(empty_engine).has_table("ukeys")
    assert not _index_names(empty_engine, "certificates") & NEW_CERTIFICATE_INDEXES
    upgrade(empty_engine)
    assert _schema_differences(empty_engine) == []


def test_the_subject_name_index_covers_name_and_type_by_a_prefix_on_mysql(empty_engine: Engine) -> None:
    upgrade(empty_engine)
    index = next(
        ix
        for ix in sa.inspect(empty_engine).get_indexes("certificates")
        if ix["name"] == "ix_certificates_subject_name"
    )
    assert index["column_names"] == ["subject_name", "subject_type"]
    prefix = index.get("dialect_options", {}).get("mysql_length")
    assert prefix == ({"subject_name": 191} if empty_engine.dialect.name in ("mysql", "mariadb") else None)
