"""Shared state of several server processes: ``node_leases`` (the snowflake node number each
running process holds, with an expiry it renews; ADR 0023) and ``portal_codes`` (the signing
portal's SMS verification codes, hashed, with their expiry and failed tries; ADR 0024), and
``users.signing_password_hash`` (the signing password, a signer check of manual 三.1.2).

Written by hand to match ``esign_adapters.db.tables`` at this revision (a test compares them on
every backend); it does not import the application. Tables are created only when missing, so an
interrupted upgrade on MariaDB/MySQL (no transactional DDL) can be run again.

Revision ID: 0010
Revises: 0006
Create Date: 2026-12-05 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MYSQL = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}


def _dt() -> sa.types.TypeEngine[Any]:
    return sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def _has_table(name: str) -> bool:
    return sa.inspect(op.get_bind()).has_table(name)


def _has_index(table: str, name: str) -> bool:
    return any(ix["name"] == name for ix in sa.inspect(op.get_bind()).get_indexes(table))


def _has_column(table: str, name: str) -> bool:
    return any(c["name"] == name for c in sa.inspect(op.get_bind()).get_columns(table))


def upgrade() -> None:
    if not _has_column("users", "signing_password_hash"):
        op.add_column("users", sa.Column("signing_password_hash", sa.String(200), nullable=True))
    if not _has_table("node_leases"):
        op.create_table(
            "node_leases",
            sa.Column("node", sa.Integer, nullable=False, autoincrement=False),
            sa.Column("holder", sa.String(100), nullable=False),
            sa.Column("expires_at", _dt(), nullable=False),
            sa.PrimaryKeyConstraint("node", name="pk_node_leases"),
            **MYSQL,
        )
    if not _has_table("portal_codes"):
        op.create_table(
            "portal_codes",
            sa.Column("link", sa.String(64), nullable=False),
            sa.Column("code_hash", sa.String(64), nullable=False),
            sa.Column("sent_at", _dt(), nullable=False),
            sa.Column("expires_at", _dt(), nullable=False),
            sa.Column("failures", sa.Integer, nullable=False),
            sa.Column("link_expires_at", _dt(), nullable=False),
            sa.PrimaryKeyConstraint("link", name="pk_portal_codes"),
            **MYSQL,
        )
    if not _has_index("portal_codes", "ix_portal_codes_link_expires_at"):
        op.create_index("ix_portal_codes_link_expires_at", "portal_codes", ["link_expires_at"])


def downgrade() -> None:
    if _has_column("users", "signing_password_hash"):
        op.drop_column("users", "signing_password_hash")
    for name in ("portal_codes", "node_leases"):
        if _has_table(name):
            op.drop_table(name)
