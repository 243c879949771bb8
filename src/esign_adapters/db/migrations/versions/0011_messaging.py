"""Messaging (manual 三.6): ``sms_records`` (短信记录 / 短信统计, one row per idempotency key,
indexed by mobile and month) and ``inbox_messages`` (站内信, one row per key, indexed by user).

Written by hand to match ``esign_adapters.db.tables`` at this revision (a test compares them on
every backend); it does not import the application. Each table and index is created only when
missing, so an upgrade interrupted on MariaDB/MySQL (no transactional DDL) can be run again.

Revision ID: 0011
Revises: 0006
Create Date: 2026-11-29 23:30:00
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MYSQL = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}


def _dt() -> sa.types.TypeEngine[Any]:
    return sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def _autoid() -> sa.Column[Any]:
    return sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False, autoincrement=True)


def _has_table(name: str) -> bool:
    return sa.inspect(op.get_bind()).has_table(name)


def _index(table: str, column: str) -> None:
    name = f"ix_{table}_{column}"
    if name not in {ix["name"] for ix in sa.inspect(op.get_bind()).get_indexes(table)}:
        op.create_index(name, table, [column])


def upgrade() -> None:
    if not _has_table("sms_records"):
        op.create_table(
            "sms_records",
            _autoid(),
            sa.Column("idempotency_key", sa.String(200), nullable=False),
            sa.Column("mobile", sa.String(32), nullable=False),
            sa.Column("event", sa.String(64), nullable=False),
            sa.Column("channel", sa.String(16), nullable=False),
            sa.Column("provider", sa.String(50), nullable=False),
            sa.Column("status", sa.String(16), nullable=False),
            sa.Column("message_id", sa.String(200), nullable=False),
            sa.Column("error", sa.String(500), nullable=False),
            sa.Column("attempts", sa.Integer, nullable=False),
            sa.Column("month", sa.String(7), nullable=False),
            sa.Column("created_at", _dt(), nullable=False),
            sa.Column("updated_at", _dt(), nullable=False),
            sa.PrimaryKeyConstraint("id", name="pk_sms_records"),
            sa.UniqueConstraint("idempotency_key", name="uq_sms_records_idempotency_key"),
            **MYSQL,
        )
    _index("sms_records", "mobile")
    _index("sms_records", "month")
    if not _has_table("inbox_messages"):
        op.create_table(
            "inbox_messages",
            _autoid(),
            sa.Column("idempotency_key", sa.String(200), nullable=False),
            sa.Column("user_id", sa.BigInteger, nullable=False),
            sa.Column("event", sa.String(64), nullable=False),
            sa.Column("title", sa.String(200), nullable=False),
            sa.Column("body", sa.Text, nullable=False),
            sa.Column("created_at", _dt(), nullable=False),
            sa.Column("read_at", _dt()),
            sa.PrimaryKeyConstraint("id", name="pk_inbox_messages"),
            sa.UniqueConstraint("idempotency_key", name="uq_inbox_messages_idempotency_key"),
            **MYSQL,
        )
    _index("inbox_messages", "user_id")


def downgrade() -> None:
    for name in ("inbox_messages", "sms_records"):
        if _has_table(name):
            op.drop_table(name)
