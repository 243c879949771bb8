"""The evidence log on SQL: records staged in a unit of work become entries of this node's hash
chain when the unit of work commits, in the same transaction.

Each node (an app server or worker, named as :func:`node_name` says) keeps its own chain, as the
SignServer/EJBCA audit log does: ``evidence_entries`` holds every entry, unique on
``(node, sequence)``; ``evidence_heads`` holds the newest sequence and hash of each
node's chain. Appending locks the node's head row (``SELECT … FOR UPDATE`` on PostgreSQL and
MySQL/MariaDB; SQLite has one writer at a time), so several processes sharing a node name
append one after another instead of forking the chain. The head row is also updated with a
compare-and-set on the sequence, and the unique key catches anything that slips past both: a
collision is a :class:`~esign_core.errors.ConcurrencyError` (the use case retries), never a
second entry with the same sequence.

The head is kept apart from the entries so that deleting the newest entries of a chain leaves a
gap between the last entry and the head that verification reports.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import weakref
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from esign_adapters.db import tables as t
from esign_adapters.db.identity import UnitState
from esign_core.errors import ConcurrencyError, InvalidValue
from esign_core.model.evidence import GENESIS, ChainHead, EvidenceEntry, EvidenceRecord

NODE_ENV = "ESIGN_EVIDENCE_NODE"
ID_NODE_ENV = "ESIGN_NODE_ID"  # the snowflake node number (0-1023), when set
MAX_NODE = 64
#: Entries read per query when iterating (keyset pagination, so other queries may interleave).
PAGE = 1000
_LIMITS = {"action": 64, "ip": 64, "actor": 200}


#: The head each node's chain had after this process's last append, per engine (database). Only a
#: hint: the compare-and-set in :meth:`SqlEvidenceLog._append_after` checks it against the row.
_HEADS: weakref.WeakKeyDictionary[sa.Engine, dict[str, tuple[int, str]]] = weakref.WeakKeyDictionary()
_HEADS_LOCK = threading.Lock()


def _known_head(engine: sa.Engine, node: str) -> tuple[int, str] | None:
    with _HEADS_LOCK:
        return _HEADS.get(engine, {}).get(node)


def _remember_head(engine: sa.Engine, node: str, head: tuple[int, str]) -> None:
    with _HEADS_LOCK:
        _HEADS.setdefault(engine, {})[node] = head


def node_name(env: Mapping[str, str] | None = None) -> str:
    """This node's chain name: ``$ESIGN_EVIDENCE_NODE`` when set (1 to 64 printable characters),
    else the host name followed by ``/<ESIGN_NODE_ID>`` when that (the id generator's node
    number) is set, else the host name alone.

    The name never includes a process id: processes that share a name share its chain and append
    one after another, and a restarted process continues its chain. Containers whose host name
    changes on every start should set ``ESIGN_EVIDENCE_NODE`` so that one deployment does not
    leave a trail of short chains.
    """
    env = os.environ if env is None else env
    explicit = (env.get(NODE_ENV) or "").strip()
    if explicit:
        if len(explicit) > MAX_NODE or not explicit.isprintable():
            raise InvalidValue("node", f"{NODE_ENV} must be 1 to {MAX_NODE} printable characters")
        return explicit
    number = (env.get(ID_NODE_ENV) or "").strip()
    suffix = f"/{number[:8]}" if number else ""
    host = "".join(c for c in socket.gethostname() if c.isprintable() and not c.isspace()) or "esign"
    return host[: MAX_NODE - len(suffix)] + suffix


class SqlEvidenceLog:
    """:class:`esign_core.ports.evidence.EvidenceLog` for :class:`~esign_adapters.db.uow.SqlUnitOfWork`.

    :meth:`append` only stages (in the unit of work's block state, so a rollback drops it);
    the unit of work calls :meth:`flush` inside its transaction just before committing.
    """

    def __init__(self, state: Callable[[], UnitState], *, node: str | None = None) -> None:
        self._state = state
        self.node = node or node_name()

    def append(self, record: EvidenceRecord) -> None:
        """Stage a record; raises InvalidValue when a field is longer than its column."""
        for field, limit in _LIMITS.items():
            value = getattr(record, field)
            if value is not None and len(value) > limit:
                raise InvalidValue(field, f"evidence {field} is longer than {limit} characters")
        self._state().evidence_staged.append(record.normalized())

    def flush(self, state: UnitState) -> None:
        """Chain the staged records onto this node's head and write them (no commit here).
        Raises ConcurrencyError when another transaction took the same sequence."""
        staged: list[EvidenceRecord] = state.evidence_staged
        if not staged:
            return
        conn = state.connection
        heads, entries = t.evidence_heads, t.evidence_entries
        known = _known_head(conn.engine, self.node)
        if known is not None and self._append_after(conn, staged, known):
            return
        locked = sa.select(heads.c.sequence, heads.c.entry_hash).where(heads.c.node == self.node).with_for_update()
        head = conn.execute(locked).first()
        if head is None:
            # A new chain: create its head (sequence 0) in a savepoint, so that processes starting
            # a chain at the same moment wait for each other instead of failing; the loser's
            # duplicate key just means the head now exists, and it is locked as usual.
            try:
                with conn.begin_nested():
                    conn.execute(sa.insert(heads).values(node=self.node, sequence=0, entry_hash=GENESIS))
            except IntegrityError:
                pass
            head = conn.execute(locked).first()
        sequence, previous = (int(head.sequence), str(head.entry_hash)) if head else (0, GENESIS)
        start = sequence
        rows: list[dict[str, Any]] = []
        for record in staged:
            sequence += 1
            entry = EvidenceEntry.chain(self.node, sequence, record, previous)
            rows.append(_row(entry))
            previous = entry.entry_hash
        conflict = ConcurrencyError(
            f"evidence chain of node {self.node} was appended to concurrently; retry", node=self.node
        )
        try:
            if head is None:  # the head could not be created nor read: leave it to the retry
                raise conflict
            else:
                moved = conn.execute(
                    sa.update(heads)
                    .where(heads.c.node == self.node, heads.c.sequence == start)
                    .values(sequence=sequence, entry_hash=previous)
                )
                if moved.rowcount != 1:
                    raise conflict
            conn.execute(sa.insert(entries), rows)
        except IntegrityError as exc:
            raise conflict from exc
        _remember_head(conn.engine, self.node, (sequence, previous))

    def _append_after(self, conn: sa.Connection, staged: list[EvidenceRecord], known: tuple[int, str]) -> bool:
        """The append without reading the head first: chain onto the head this process last wrote
        and move the head with a compare-and-set on both its sequence and its hash, which takes the
        same row lock ``SELECT … FOR UPDATE`` would. False (nothing written) when the head moved
        meanwhile — another process of the node, or a transaction that rolled back after this one
        remembered its head — and the caller then reads and locks the head as usual. Saves one
        round trip per unit of work that writes evidence (ADR 0049)."""
        heads, entries = t.evidence_heads, t.evidence_entries
        start, previous = known
        sequence, rows = start, []
        for record in staged:
            sequence += 1
            entry = EvidenceEntry.chain(self.node, sequence, record, previous)
            rows.append(_row(entry))
            previous = entry.entry_hash
        moved = conn.execute(
            sa.update(heads)
            .where(heads.c.node == self.node, heads.c.sequence == start, heads.c.entry_hash == known[1])
            .values(sequence=sequence, entry_hash=previous)
        )
        if moved.rowcount != 1:
            return False
        try:
            conn.execute(sa.insert(entries), rows)
        except IntegrityError as exc:
            raise ConcurrencyError(f"evidence chain of node {self.node} was appended to concurrently; retry",
                                   node=self.node) from exc
        _remember_head(conn.engine, self.node, (sequence, previous))
        return True

    def entries(self, *, contract_id: int | None = None) -> Iterator[EvidenceEntry]:
        """Committed entries ordered by node, then sequence (each node's chain in order)."""
        c = t.evidence_entries.c
        after: tuple[str, int] | None = None
        while True:
            stmt = sa.select(t.evidence_entries).order_by(c.node, c.sequence).limit(PAGE)
            if contract_id is not None:
                stmt = stmt.where(c.contract_id == contract_id)
            if after is not None:
                stmt = stmt.where(sa.or_(c.node > after[0], sa.and_(c.node == after[0], c.sequence > after[1])))
            rows = self._state().execute(stmt).mappings().all()
            for row in rows:
                yield _entry(row)
            if len(rows) < PAGE:
                return
            after = (rows[-1]["node"], rows[-1]["sequence"])

    def heads(self) -> Mapping[str, ChainHead]:
        h = t.evidence_heads.c
        rows = self._state().execute(sa.select(h.node, h.sequence, h.entry_hash)).all()
        return {r.node: ChainHead(r.node, int(r.sequence), r.entry_hash) for r in rows}


def _row(entry: EvidenceEntry) -> dict[str, Any]:
    r = entry.record
    return {
        "node": entry.node,
        "sequence": entry.sequence,
        "contract_id": r.contract_id,
        "action": r.action,
        "at": r.at,
        "actor": r.actor,
        "ip": r.ip,
        "details": json.dumps(r.details, ensure_ascii=False, sort_keys=True),
        "previous_hash": entry.previous_hash,
        "entry_hash": entry.entry_hash,
    }


def _entry(row: Mapping[str, Any]) -> EvidenceEntry:
    # Rebuilt as stored, even when tampered with: verification judges it, not the loader.
    try:
        details = json.loads(row["details"])
    except ValueError:
        details = None
    record = EvidenceRecord(
        action=row["action"],
        at=row["at"],
        contract_id=row["contract_id"],
        actor=row["actor"],
        ip=row["ip"],
        details=details if isinstance(details, dict) else {"_unreadable": row["details"]},
    )
    return EvidenceEntry(row["node"], int(row["sequence"]), record, row["previous_hash"], row["entry_hash"])
