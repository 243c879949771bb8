"""Evidence chain (manual 三.1.3): ``evidence_entries`` (append-only, one hash chain per node,
unique on node + sequence, indexed by contract) and ``evidence_heads`` (the newest sequence and
hash of each node's chain, the row an append locks).

Written by hand to match ``esign_adapters.db.tables`` at this revision (a test compares them on
every backend); it does not import the application. Like 0001, each table and index is created
only when missing, so an upgrade interrupted on MariaDB/MySQL (no transactional DDL) can simply
be run again.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MYSQL = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}


def _dt() -> sa.types.TypeEngine[Any]:
    return sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def _has_table(name: str) -> bool:
    return sa.inspect(op.get_bind()).has_table(name)


def upgrade() -> None:
    if not _has_table("evidence_entries"):
        op.create_table(
            "evidence_entries",
            sa.Column(
                "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False, autoincrement=True
            ),
            sa.Column("node", sa.String(64), nullable=False),
            sa.Column("sequence", sa.BigInteger, nullable=False),
            sa.Column("contract_id", sa.BigInteger),
            sa.Column("action", sa.String(64), nullable=False),
            sa.Column("at", _dt(), nullable=False),
            sa.Column("actor", sa.String(200), nullable=False),
            sa.Column("ip", sa.String(64)),
            sa.Column("details", sa.Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb"), nullable=False),
            sa.Column("previous_hash", sa.String(64), nullable=False),
            sa.Column("entry_hash", sa.String(64), nullable=False),
            sa.PrimaryKeyConstraint("id", name="pk_evidence_entries"),
            sa.UniqueConstraint("node", "sequence", name="uq_evidence_entries_node_sequence"),
            **MYSQL,
        )
    existing = {ix["name"] for ix in sa.inspect(op.get_bind()).get_indexes("evidence_entries")}
    if "ix_evidence_entries_contract_id" not in existing:
        op.create_index("ix_evidence_entries_contract_id", "evidence_entries", ["contract_id"])

    if not _has_table("evidence_heads"):
        op.create_table(
            "evidence_heads",
            sa.Column("node", sa.String(64), nullable=False),
            sa.Column("sequence", sa.BigInteger, nullable=False),
            sa.Column("entry_hash", sa.String(64), nullable=False),
            sa.PrimaryKeyConstraint("node", name="pk_evidence_heads"),
            **MYSQL,
        )


def downgrade() -> None:
    for name in ("evidence_heads", "evidence_entries"):
        if _has_table(name):
            op.drop_table(name)
