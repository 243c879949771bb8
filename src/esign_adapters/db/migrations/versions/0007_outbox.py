"""Outbox and scheduler: ``outbox_messages`` (outgoing SMS, e-mail, webhooks, MQ, push written
with the change that caused them), ``scheduled_tasks`` and ``task_runs`` (each occurrence of a
task claimed once across nodes by the unique (task, occurrence) key).

Written by hand to match ``esign_adapters.db.tables`` at this revision (a test compares them on
every backend); tables are created only when missing, so an interrupted upgrade on MariaDB/MySQL
(no transactional DDL) can be run again.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MYSQL = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}


def _dt() -> sa.types.TypeEngine[Any]:
    return sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def _has_table(name: str) -> bool:
    return sa.inspect(op.get_bind()).has_table(name)


def upgrade() -> None:
    if not _has_table("outbox_messages"):
        op.create_table(
            "outbox_messages",
            sa.Column("id", sa.BigInteger, nullable=False, autoincrement=False),
            sa.Column("kind", sa.String(32), nullable=False),
            sa.Column("topic", sa.String(100), nullable=False),
            sa.Column("payload", sa.JSON, nullable=False),
            sa.Column("idempotency_key", sa.String(200), nullable=False),
            sa.Column("status", sa.String(32), nullable=False),
            sa.Column("attempts", sa.Integer, nullable=False),
            sa.Column("next_attempt_at", _dt(), nullable=True),
            sa.Column("lease_until", _dt(), nullable=True),
            sa.Column("last_error", sa.Text, nullable=True),
            sa.Column("created_at", _dt(), nullable=False),
            sa.Column("delivered_at", _dt(), nullable=True),
            sa.PrimaryKeyConstraint("id", name="pk_outbox_messages"),
            sa.UniqueConstraint("idempotency_key", name="uq_outbox_messages_idempotency_key"),
            **MYSQL,
        )
        op.create_index("ix_outbox_messages_status_due", "outbox_messages", ["status", "next_attempt_at"])
    if not _has_table("scheduled_tasks"):
        op.create_table(
            "scheduled_tasks",
            sa.Column("name", sa.String(100), nullable=False),
            sa.Column("enabled", sa.Boolean, nullable=False),
            sa.Column("schedule", sa.String(100), nullable=False),
            sa.Column("since", _dt(), nullable=False),
            sa.Column("version", sa.Integer, nullable=False),
            sa.PrimaryKeyConstraint("name", name="pk_scheduled_tasks"),
            **MYSQL,
        )
    if not _has_table("task_runs"):
        op.create_table(
            "task_runs",
            sa.Column("id", sa.BigInteger, nullable=False, autoincrement=False),
            sa.Column("task", sa.String(100), nullable=False),
            sa.Column("occurrence", _dt(), nullable=False),
            sa.Column("cause", sa.String(32), nullable=False),
            sa.Column("status", sa.String(32), nullable=False),
            sa.Column("node", sa.String(100), nullable=True),
            sa.Column("started_at", _dt(), nullable=True),
            sa.Column("finished_at", _dt(), nullable=True),
            sa.Column("output", sa.Text, nullable=True),
            sa.PrimaryKeyConstraint("id", name="pk_task_runs"),
            sa.UniqueConstraint("task", "occurrence", name="uq_task_runs_task_occurrence"),
            **MYSQL,
        )


def downgrade() -> None:
    for name in ("task_runs", "scheduled_tasks", "outbox_messages"):
        if _has_table(name):
            op.drop_table(name)
