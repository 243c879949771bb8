"""Signing-service access (签署服务接入, ADR 0047): ``signing_calls``, the call-detail records of
the signing providers (one row per provider tried). Provider configuration lives in the
``settings`` table (section ``signing_services``), so it needs no table.

Written by hand to match ``esign_adapters.db.tables`` at this revision (a test compares them on
every backend); it does not import the application. The table is created only when missing, so
an interrupted upgrade on MariaDB/MySQL (no transactional DDL) can be run again.

Revision ID: 0021
Revises: 0015
Create Date: 2026-11-30 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MYSQL = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}


def _dt() -> sa.types.TypeEngine[Any]:
    return sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def _has_table(name: str) -> bool:
    return sa.inspect(op.get_bind()).has_table(name)


def upgrade() -> None:
    if not _has_table("signing_calls"):
        op.create_table(
            "signing_calls",
            sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False,
                      autoincrement=True),
            sa.Column("at", _dt(), nullable=False),
            sa.Column("provider", sa.String(32), nullable=False),
            sa.Column("status", sa.String(16), nullable=False),
            sa.Column("duration_ms", sa.Float, nullable=False),
            sa.Column("business_system", sa.String(100), nullable=False),
            sa.Column("file_subject", sa.String(100), nullable=False),
            sa.Column("error", sa.String(500), nullable=False),
            sa.Column("attempt", sa.Integer, nullable=False),
            sa.PrimaryKeyConstraint("id", name="pk_signing_calls"),
            **MYSQL,
        )
        op.create_index("ix_signing_calls_at", "signing_calls", ["at"])
        op.create_index("ix_signing_calls_provider", "signing_calls", ["provider", "at"])


def downgrade() -> None:
    if _has_table("signing_calls"):
        op.drop_table("signing_calls")
