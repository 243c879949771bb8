"""The contract aggregate across four tables: the contract row and its signatories, actions and
stampers (and copy receivers). Children are loaded in bulk for every contract of a query; the child
rows that changed are deleted, updated or inserted in the transaction that bumps the contract's
version."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from esign_adapters.db import tables as t
from esign_adapters.db.mappers import Mapper, Row
from esign_adapters.db.statistics_cube import record_change
from esign_core.model.contract import (
    Action,
    ActionOperator,
    ActionStatus,
    ActionType,
    Contract,
    ContractStatus,
    CopyReceiver,
    Signatory,
    SignatoryStatus,
    Stamper,
    StamperType,
)
from esign_core.model.org import TenantType
from esign_core.values import KeywordPosition, PagePosition

CHILD_TABLES = (t.contract_signatories, t.contract_actions, t.contract_stampers, t.contract_copy_receivers)


@attrs.frozen
class ContractRows:
    """A contract as rows: what is written, and the snapshot compared on commit."""

    contract: Row
    signatories: tuple[Row, ...]
    actions: tuple[Row, ...]
    stampers: tuple[Row, ...]
    copy_receivers: tuple[Row, ...] = ()

    @property
    def children(self) -> tuple[tuple[Row, ...], ...]:
        return self.signatories, self.actions, self.stampers, self.copy_receivers


def _position_out(position: PagePosition | KeywordPosition | None) -> Row:
    if isinstance(position, PagePosition):
        return {
            "position_kind": "page",
            "page": position.page,
            "offset_x": position.offset_x,
            "offset_y": position.offset_y,
            "keyword": None,
            "keyword_index": None,
        }
    if isinstance(position, KeywordPosition):
        return {
            "position_kind": "keyword",
            "page": None,
            "offset_x": position.offset_x,
            "offset_y": position.offset_y,
            "keyword": position.keyword,
            "keyword_index": position.keyword_index,
        }
    return {
        "position_kind": None,
        "page": None,
        "offset_x": None,
        "offset_y": None,
        "keyword": None,
        "keyword_index": None,
    }


def _position_in(row: Mapping[str, Any]) -> PagePosition | KeywordPosition | None:
    if row["position_kind"] == "page":
        return PagePosition(row["page"], row["offset_x"], row["offset_y"])
    if row["position_kind"] == "keyword":
        return KeywordPosition(row["keyword"], row["keyword_index"], row["offset_x"], row["offset_y"])
    return None


class ContractMapper(Mapper[Contract]):
    """Contract ↔ contracts + contract_signatories + contract_actions + contract_stampers."""

    name = "contracts"
    table = t.contracts

    # -- translation --------------------------------------------------------------------------
    def to_rows(self, c: Contract) -> ContractRows:
        contract = {
            "id": c.id,
            "version": c.version,
            "subject": c.subject,
            "biz_id": c.biz_id,
            "sn": c.sn,
            "description": c.description,
            "ordinal": c.ordinal,
            "category_id": c.category_id,
            "creator_id": c.creator_id,
            "tenant_id": c.tenant_id,
            "status": c.status.value,
            "document_ids": list(c.document_ids),
            "created_at": c.created_at,
            "updated_at": c.updated_at,
            "sent_at": c.sent_at,
            "expire_at": c.expire_at,
            "completed_at": c.completed_at,
            "comments": c.comments,
            "business_data": c.business_data,
            "request_digest": c.request_digest,
            "finish_manually": c.finish_manually,
            "void_statement_id": c.void_statement_id,
            "void_remove_original": c.void_remove_original,
        }
        signatories: list[Row] = []
        actions: list[Row] = []
        stampers: list[Row] = []
        for s_seq, s in enumerate(c.signatories):
            signatories.append(
                {
                    "contract_id": c.id,
                    "id": s.id,
                    "seq": s_seq,
                    "tenant_type": s.tenant_type.value,
                    "tenant_name": s.tenant_name,
                    "serial_no": s.serial_no,
                    "receiver_name": s.receiver_name,
                    "contact": s.contact,
                    "status": s.status.value,
                    "received_at": s.received_at,
                }
            )
            for a_seq, a in enumerate(s.actions):
                actions.append(
                    {
                        "contract_id": c.id,
                        "id": a.id,
                        "signatory_id": s.id,
                        "seq": a_seq,
                        "type": a.type.value,
                        "name": a.name,
                        "serial_no": a.serial_no,
                        "status": a.status.value,
                        "seal_ids": list(a.seal_ids),
                        "operators": [{"name": o.name, "contact": o.contact} for o in a.operators],
                        "completed_at": a.completed_at,
                        "completed_by": a.completed_by,
                    }
                )
                for p_seq, p in enumerate(a.stampers):
                    stampers.append(
                        {
                            "contract_id": c.id,
                            "id": p.id,
                            "action_id": a.id,
                            "seq": p_seq,
                            "document_id": p.document_id,
                            "type": p.type.value,
                            **_position_out(p.position),
                        }
                    )
        receivers = tuple(
            {"contract_id": c.id, "seq": seq, "name": r.name, "mobile": r.mobile.value}
            for seq, r in enumerate(c.copy_receivers)
        )
        return ContractRows(contract, tuple(signatories), tuple(actions), tuple(stampers), receivers)

    def to_row(self, item: Contract) -> Row:
        return self.to_rows(item).contract

    def snapshot(self, item: Contract) -> ContractRows:
        return self.to_rows(item)

    def from_rows(
        self,
        row: Mapping[str, Any],
        signatories: Sequence[Mapping[str, Any]],
        actions: Sequence[Mapping[str, Any]],
        stampers: Sequence[Mapping[str, Any]],
        copy_receivers: Sequence[Mapping[str, Any]] = (),
    ) -> Contract:
        stampers_of: dict[int, list[Stamper]] = defaultdict(list)
        for p in sorted(stampers, key=lambda r: r["seq"]):
            stampers_of[p["action_id"]].append(
                Stamper(id=p["id"], document_id=p["document_id"], type=StamperType(p["type"]), position=_position_in(p))
            )
        actions_of: dict[int, list[Action]] = defaultdict(list)
        for a in sorted(actions, key=lambda r: r["seq"]):
            actions_of[a["signatory_id"]].append(
                Action(
                    id=a["id"],
                    type=ActionType(a["type"]),
                    name=a["name"],
                    serial_no=a["serial_no"],
                    status=ActionStatus(a["status"]),
                    seal_ids=tuple(a["seal_ids"]),
                    operators=tuple(ActionOperator(o["name"], o["contact"]) for o in a["operators"]),
                    stampers=tuple(stampers_of[a["id"]]),
                    completed_at=a["completed_at"],
                    completed_by=a["completed_by"],
                )
            )
        sigs = [
            Signatory(
                id=s["id"],
                tenant_type=TenantType(s["tenant_type"]),
                tenant_name=s["tenant_name"],
                serial_no=s["serial_no"],
                receiver_name=s["receiver_name"],
                contact=s["contact"],
                status=SignatoryStatus(s["status"]),
                actions=actions_of[s["id"]],
                received_at=s["received_at"],
            )
            for s in sorted(signatories, key=lambda r: r["seq"])
        ]
        return Contract(
            id=row["id"],
            version=row["version"],
            subject=row["subject"],
            biz_id=row["biz_id"],
            sn=row["sn"],
            description=row["description"],
            ordinal=row["ordinal"],
            category_id=row["category_id"],
            creator_id=row["creator_id"],
            tenant_id=row["tenant_id"],
            status=ContractStatus(row["status"]),
            document_ids=list(row["document_ids"]),
            signatories=sigs,
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            sent_at=row["sent_at"],
            expire_at=row["expire_at"],
            completed_at=row["completed_at"],
            void_statement_id=row.get("void_statement_id"),
            void_remove_original=row.get("void_remove_original"),
            comments=row["comments"],
            business_data=row["business_data"],
            request_digest=row["request_digest"],
            finish_manually=row["finish_manually"],
            copy_receivers=[
                CopyReceiver(r["name"], r["mobile"]) for r in sorted(copy_receivers, key=lambda r: r["seq"])
            ],
        )

    # -- statements ---------------------------------------------------------------------------
    def load(
        self, conn: Connection, where: sa.ColumnElement[bool] | None, *, limit: int | None = None
    ) -> list[Contract]:
        stmt = sa.select(self.table).order_by(self.table.c.id)
        if where is not None:
            stmt = stmt.where(where)
        if limit is not None:
            stmt = stmt.limit(limit)
        rows = conn.execute(stmt).mappings().all()
        if not rows:
            return []
        ids = [r["id"] for r in rows]
        children: list[dict[int, list[Mapping[str, Any]]]] = []
        for table in CHILD_TABLES:
            by_contract: dict[int, list[Mapping[str, Any]]] = defaultdict(list)
            for child in conn.execute(sa.select(table).where(table.c.contract_id.in_(ids))).mappings():
                by_contract[child["contract_id"]].append(child)
            children.append(by_contract)
        sigs, acts, stamps, receivers = children
        return [
            self.from_rows(r, sigs[r["id"]], acts[r["id"]], stamps[r["id"]], receivers[r["id"]]) for r in rows
        ]

    def from_row(self, row: Mapping[str, Any]) -> Contract:
        raise TypeError("a contract needs its child rows; use ContractMapper.load")

    def insert(self, conn: Connection, item: Contract) -> None:
        rows = self.to_rows(item)
        conn.execute(sa.insert(self.table).values({**rows.contract, "version": item.version + 1}))
        self._insert_children(conn, rows)
        record_change(conn, None, rows.contract)  # 签署统计's pre-aggregates, in this transaction

    def update(self, conn: Connection, item: Contract, snapshot: Any) -> bool:
        rows = self.to_rows(item)
        assert isinstance(snapshot, ContractRows)
        changed = rows != snapshot
        values = {k: v for k, v in rows.contract.items() if k != "id"} if changed else {}
        if not self._bump(conn, item, values):
            return False
        if changed:
            record_change(conn, snapshot.contract, rows.contract)
        if rows.children != snapshot.children:
            self._write_child_changes(conn, rows, snapshot)
        return True

    @staticmethod
    def _write_child_changes(conn: Connection, rows: ContractRows, snapshot: ContractRows) -> None:
        """Only the child rows that changed: a signing changes one action and one signatory, so
        rewriting every child of the contract would cost a statement per row."""
        plan = list(zip(CHILD_TABLES, rows.children, snapshot.children, strict=True))
        keyed = []
        for table, now_rows, old_rows in plan:
            keys = [c.name for c in table.primary_key.columns]
            now = {tuple(r[k] for k in keys): r for r in now_rows}
            old = {tuple(r[k] for k in keys): r for r in old_rows}
            keyed.append((table, keys, now, old))
        for table, keys, now, old in reversed(keyed):  # children of children first
            gone = [k for k in old if k not in now]
            for key in gone:
                conn.execute(sa.delete(table).where(*(table.c[c] == v for c, v in zip(keys, key, strict=True))))
        for table, keys, now, old in keyed:
            # rows whose same columns changed go in one executemany (pipelined by psycopg): the
            # two signatories or actions that a send or a signing moves on cost one round trip
            batches: dict[tuple[str, ...], list[Row]] = {}
            for key, row in now.items():
                before = old.get(key)
                if before is None or before == row:
                    continue
                columns = tuple(c for c, v in row.items() if before.get(c) != v)
                params = {f"k_{c}": v for c, v in zip(keys, key, strict=True)}
                params.update({f"v_{c}": row[c] for c in columns})
                batches.setdefault(columns, []).append(params)
            for columns, params_list in batches.items():
                stmt = (sa.update(table).where(*(table.c[c] == sa.bindparam(f"k_{c}") for c in keys))
                        .values({c: sa.bindparam(f"v_{c}") for c in columns}))
                conn.execute(stmt, params_list)
            added = [row for key, row in now.items() if key not in old]
            if added:
                conn.execute(sa.insert(table), added)

    def _insert_children(self, conn: Connection, rows: ContractRows) -> None:
        for table, child_rows in zip(CHILD_TABLES, rows.children, strict=True):
            if child_rows:
                conn.execute(sa.insert(table), list(child_rows))
