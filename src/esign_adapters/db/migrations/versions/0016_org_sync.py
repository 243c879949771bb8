"""Directory sync (ADR 0040): ``org_sync_sources`` (connected OA systems: settings with sealed
secrets, the member-sync flag, chosen companies and departments, completed marks),
``org_sync_reports`` (each run: counts, row errors, the per-company checkpoint) and
``org_sync_links`` (OA record → our organization or member).

Written by hand to match ``esign_adapters.db.tables`` at this revision (a test compares them on
every backend); it does not import the application. Tables are created only when missing, so an
interrupted upgrade on MariaDB/MySQL (no transactional DDL) can be run again.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MYSQL = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}


def _dt() -> sa.types.TypeEngine[Any]:
    return sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def _has_table(name: str) -> bool:
    return sa.inspect(op.get_bind()).has_table(name)


def upgrade() -> None:
    if not _has_table("org_sync_sources"):
        op.create_table(
            "org_sync_sources",
            sa.Column("id", sa.BigInteger, nullable=False, autoincrement=False),
            sa.Column("version", sa.Integer, nullable=False),
            sa.Column("source", sa.String(40), nullable=False),
            sa.Column("config", sa.JSON, nullable=False),
            sa.Column("member_sync", sa.Boolean, nullable=False),
            sa.Column("scopes", sa.JSON, nullable=False),
            sa.Column("completed", sa.JSON, nullable=False),
            sa.Column("created_at", _dt(), nullable=False),
            sa.PrimaryKeyConstraint("id", name="pk_org_sync_sources"),
            sa.UniqueConstraint("source", name="uq_org_sync_sources_source"),
            **MYSQL,
        )
    if not _has_table("org_sync_reports"):
        op.create_table(
            "org_sync_reports",
            sa.Column("id", sa.BigInteger, nullable=False, autoincrement=False),
            sa.Column("version", sa.Integer, nullable=False),
            sa.Column("source", sa.String(40), nullable=False),
            sa.Column("trigger", sa.String(20), nullable=False),
            sa.Column("status", sa.String(32), nullable=False),
            sa.Column("started_at", _dt(), nullable=False),
            sa.Column("heartbeat_at", _dt(), nullable=False),
            sa.Column("finished_at", _dt()),
            sa.Column("counts", sa.JSON, nullable=False),
            sa.Column("errors", sa.JSON, nullable=False),
            sa.Column("error_count", sa.Integer, nullable=False),
            sa.Column("companies_done", sa.JSON, nullable=False),
            sa.Column("message", sa.Text, nullable=False),
            sa.Column("resumed", sa.Integer, nullable=False),
            sa.PrimaryKeyConstraint("id", name="pk_org_sync_reports"),
            **MYSQL,
        )
        op.create_index("ix_org_sync_reports_source", "org_sync_reports", ["source", "started_at"])
    if not _has_table("org_sync_links"):
        op.create_table(
            "org_sync_links",
            sa.Column("source", sa.String(40), nullable=False),
            sa.Column("kind", sa.String(20), nullable=False),
            sa.Column("external_id", sa.String(64), nullable=False),
            sa.Column("local_id", sa.BigInteger, nullable=False),
            sa.Column("company_id", sa.String(64), nullable=False),
            sa.Column("user_id", sa.BigInteger),
            sa.Column("login", sa.String(100)),
            sa.PrimaryKeyConstraint("source", "kind", "external_id", name="pk_org_sync_links"),
            **MYSQL,
        )
        op.create_index("ix_org_sync_links_local_id", "org_sync_links", ["local_id"])
        op.create_index("ix_org_sync_links_company", "org_sync_links", ["source", "kind", "company_id"])


def downgrade() -> None:
    for table in ("org_sync_links", "org_sync_reports", "org_sync_sources"):
        if _has_table(table):
            op.drop_table(table)
