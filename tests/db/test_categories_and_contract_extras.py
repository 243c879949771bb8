"""Business categories, copy receivers, signed revisions, destroyed documents, the bizId unique key
and the expiry query, against every backend (part of the repository contract suite); and
migration 0003 on the SQL backends."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from esign_adapters.db import tables
from esign_adapters.db.engine import make_engine
from esign_adapters.db.migrate import current_revision, upgrade
from esign_adapters.db.uow import SqlUnitOfWork
from esign_core.errors import AlreadyExists
from esign_core.model.category import CategoryState
from esign_core.model.contract import ContractStatus, CopyReceiver
from tests.db import samples
from tests.db.conftest import UowFactory


def _save_all(uow_factory: UowFactory, *pairs: tuple[str, Any]) -> None:
    with uow_factory() as uow:
        for repo, item in pairs:
            getattr(uow, repo).add(item)
        uow.commit()


def _ids(items: Any) -> list[int]:
    return [i.id for i in items]


# -- categories -------------------------------------------------------------------------------------
def test_category_queries_are_per_enterprise_and_skip_deleted_ones(uow_factory: UowFactory) -> None:
    tenant, other = samples.next_id(), samples.next_id()
    default = samples.category(tenant, "采购类", state=CategoryState.ENABLED)
    second = samples.category(tenant, "人事类", primary=False, state=CategoryState.DISABLED)
    deleted = samples.category(tenant, "旧分类", primary=False, state=CategoryState.DELETED)
    foreign = samples.category(other, "采购类")
    _save_all(uow_factory, *(("categories", c) for c in (second, deleted, default, foreign)))
    with uow_factory() as uow:
        cats = uow.categories
        assert cats.by_name(tenant, "采购类").id == default.id  # type: ignore[union-attr]
        assert cats.by_name(tenant, "旧分类") is None
        assert cats.by_name(tenant, "采购") is None
        assert cats.primary(tenant).id == default.id  # type: ignore[union-attr]
        assert cats.primary(samples.next_id()) is None
        assert _ids(cats.list(tenant)) == sorted([default.id, second.id])
        assert _ids(cats.list(other)) == [foreign.id]


def test_category_queries_judge_a_held_category_by_its_changed_state(uow_factory: UowFactory) -> None:
    tenant = samples.next_id()
    first = samples.category(tenant, "采购类", state=CategoryState.ENABLED)
    second = samples.category(tenant, "人事类", primary=False, state=CategoryState.ENABLED)
    _save_all(uow_factory, ("categories", first), ("categories", second))
    with uow_factory() as uow:
        uow.categories.get(first.id).unmark_primary()
        uow.categories.get(second.id).make_primary()
        uow.categories.get(first.id).rename("采购二类")
        assert uow.categories.primary(tenant).id == second.id  # type: ignore[union-attr]
        assert uow.categories.by_name(tenant, "采购类") is None
        uow.commit()
    with uow_factory() as uow:
        assert uow.categories.by_name(tenant, "采购二类").id == first.id  # type: ignore[union-attr]
        assert uow.categories.primary(tenant).id == second.id  # type: ignore[union-attr]


# -- contracts --------------------------------------------------------------------------------------
def test_a_second_contract_with_the_same_biz_id_is_refused_by_the_unique_key(uow_factory: UowFactory) -> None:
    first, second = samples.contract("BIZ-RACE"), samples.contract("BIZ-RACE")
    racer_a, racer_b = uow_factory(), uow_factory()
    with racer_a, racer_b:
        racer_a.contracts.add(first)
        racer_b.contracts.add(second)
        assert racer_b.contracts.by_biz_id("BIZ-RACE") is second  # neither sees the other yet
        racer_a.commit()
        with pytest.raises(AlreadyExists) as caught:
            racer_b.commit()
    assert caught.value.fields == {"table": "contracts", "field": "biz_id"}
    with uow_factory() as uow:
        assert uow.contracts.by_biz_id("BIZ-RACE").id == first.id  # type: ignore[union-attr]
        assert uow.contracts.find(second.id) is None


def test_contracts_without_a_biz_id_do_not_collide(uow_factory: UowFactory) -> None:
    _save_all(uow_factory, ("contracts", samples.contract(None)), ("contracts", samples.contract(None)))
    with uow_factory() as uow:
        assert len(uow.contracts.with_status(ContractStatus.DRAFT)) == 2


def test_copy_receivers_and_new_fields_are_saved_when_changed_later(uow_factory: UowFactory) -> None:
    contract = samples.draft_contract("BIZ-CC")
    contract.finish_manually = True
    _save_all(uow_factory, ("contracts", contract))
    with uow_factory() as uow:
        loaded = uow.contracts.get(contract.id)
        assert loaded.copy_receivers == [] and loaded.finish_manually
        loaded.add_copy_receivers([CopyReceiver("赵六", "13700137000")], at=samples.T0)
        uow.commit()
    with uow_factory() as uow:
        again = uow.contracts.get(contract.id)
        again.add_copy_receivers([CopyReceiver("钱七", "13700137001")], at=samples.T0)
        uow.commit()
    with uow_factory() as uow:
        receivers = uow.contracts.get(contract.id).copy_receivers
    assert [(r.name, r.mobile.value) for r in receivers] == [("赵六", "13700137000"), ("钱七", "13700137001")]


def test_signing_contracts_expiring_by_a_time_soonest_first(uow_factory: UowFactory) -> None:
    def signing(biz_id: str, days: int) -> Any:
        c = samples.draft_contract(biz_id)
        c.send(at=samples.T0, expire_at=samples.T0 + timedelta(days=days))
        return c

    late, soon, later = signing("E-LATE", 5), signing("E-SOON", 1), signing("E-LATER", 9)
    draft = samples.draft_contract("E-DRAFT")
    draft.expire_at = samples.T0 + timedelta(days=1)
    _save_all(uow_factory, *(("contracts", c) for c in (late, soon, later, draft)))
    with uow_factory() as uow:
        by = samples.T0 + timedelta(days=5)
        assert _ids(uow.contracts.signing_expiring_by(by)) == [soon.id, late.id]
        assert _ids(uow.contracts.signing_expiring_by(by, limit=1)) == [soon.id]
        assert uow.contracts.signing_expiring_by(samples.T0) == []
        uow.contracts.get(soon.id).recall(reason="撤回", at=samples.T0)
        assert _ids(uow.contracts.signing_expiring_by(by)) == [late.id]


# -- documents --------------------------------------------------------------------------------------
def test_signed_revisions_are_appended_and_come_back_in_order(uow_factory: UowFactory) -> None:
    doc = samples.document()
    _save_all(uow_factory, ("documents", doc))
    for n in (5, 6):
        with uow_factory() as uow:
            uow.documents.get(doc.id).add_signed_revision(samples.blob(n))
            uow.commit()
    with uow_factory() as uow:
        loaded = uow.documents.get(doc.id)
    assert loaded.signed_revisions == (samples.blob(4), samples.blob(3), samples.blob(5), samples.blob(6))
    assert (loaded.current, loaded.revisions) == (samples.blob(6), 4)
    assert samples.blob(2) in loaded.blobs and len(loaded.blobs) == 5


def test_a_destroyed_document_is_saved_and_no_longer_uses_its_files(uow_factory: UowFactory) -> None:
    keep, gone = samples.document(), samples.document()
    _save_all(uow_factory, ("documents", keep), ("documents", gone))
    with uow_factory() as uow:
        assert _ids(uow.documents.using_blob(samples.blob(2).key)) == [keep.id, gone.id]
        assert _ids(uow.documents.using_blob(samples.blob(3).key)) == [keep.id, gone.id]
        assert uow.documents.using_blob(samples.blob(4).key) == []  # an intermediate revision
        uow.documents.get(gone.id).destroy(at=samples.T0)
        assert _ids(uow.documents.using_blob(samples.blob(2).key)) == [keep.id]  # judged in memory
        uow.commit()
    with uow_factory() as uow:
        assert uow.documents.get(gone.id).destroyed
        assert not uow.documents.get(keep.id).destroyed
        assert _ids(uow.documents.using_blob(samples.blob(2).key)) == [keep.id]


# -- migration 0003 ----------------------------------------------------------------------------------
@pytest.fixture
def empty_engine(empty_database_url: str) -> Iterator[Engine]:
    engine = make_engine(empty_database_url)
    yield engine
    engine.dispose()


def test_upgrading_from_0002_keeps_contracts_and_documents_with_defaults(empty_engine: Engine) -> None:
    upgrade(empty_engine, "0002")
    doc, contract = samples.document(), samples.draft_contract("BIZ-OLD")
    old_doc = {k: v for k, v in _row(tables.documents, doc).items() if k != "destroyed"}
    new_columns = ("business_data", "request_digest", "finish_manually", "void_statement_id", "void_remove_original")
    old_contract = {k: v for k, v in _row(tables.contracts, contract).items() if k not in new_columns}
    with empty_engine.begin() as conn:
        conn.execute(sa.insert(tables.documents).values(old_doc))
        conn.execute(sa.insert(tables.contracts).values(old_contract))
    upgrade(empty_engine)
    assert current_revision(empty_engine) is not None and current_revision(empty_engine) >= "0003"
    with SqlUnitOfWork(empty_engine) as uow:
        loaded_doc = uow.documents.get(doc.id)
        loaded_contract = uow.contracts.get(contract.id)
        assert (loaded_doc.destroyed, loaded_doc.signed_revisions) == (False, ())
        assert (loaded_contract.finish_manually, loaded_contract.copy_receivers) == (False, [])
        assert loaded_contract.request_digest is None
        uow.categories.add(samples.category())
        uow.commit()


def _row(table: sa.Table, item: Any) -> dict[str, Any]:
    from esign_adapters.db.asset_mappers import DocumentMapper
    from esign_adapters.db.contract_mapper import ContractMapper

    row = DocumentMapper().to_row(item) if table is tables.documents else ContractMapper().to_row(item)
    return {**row, "version": 1}
