"""Contract lifecycle: business categories (``categories``), copy receivers
(``contract_copy_receivers``), every signed revision of a document (``document_revisions``), and
new columns: ``contracts.business_data``, ``contracts.request_digest`` (the fingerprint that makes
a repeated bizId idempotent), ``contracts.finish_manually`` and ``documents.destroyed``.

Written by hand to match ``esign_adapters.db.tables`` at this revision (a test compares them on
every backend); it does not import the application. Like 0001, each table, column and index is
created only when missing, so an upgrade interrupted on MariaDB/MySQL (no transactional DDL) can
simply be run again. The two new NOT NULL booleans get a server default of false, which fills the
rows that already exist.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MYSQL = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}



def _new_columns() -> list[tuple[str, sa.Column[Any]]]:
    # Fresh Column objects on every call: Alembic attaches each one to a table.
    return [
        ("contracts", sa.Column("business_data", sa.Text)),
        ("contracts", sa.Column("request_digest", sa.String(64))),
        ("contracts", sa.Column("finish_manually", sa.Boolean, nullable=False, server_default=sa.false())),
        ("documents", sa.Column("destroyed", sa.Boolean, nullable=False, server_default=sa.false())),
    ]


def _dt() -> sa.types.TypeEngine[Any]:
    return sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def _has_table(name: str) -> bool:
    return sa.inspect(op.get_bind()).has_table(name)


def _columns(table: str) -> set[str]:
    return {c["name"] for c in sa.inspect(op.get_bind()).get_columns(table)}


def _create_index(name: str, table: str, *cols: str) -> None:
    if name not in {ix["name"] for ix in sa.inspect(op.get_bind()).get_indexes(table)}:
        op.create_index(name, table, list(cols))


def upgrade() -> None:
    for table, column in _new_columns():
        if column.name not in _columns(table):
            op.add_column(table, column)

    if not _has_table("document_revisions"):
        op.create_table(
            "document_revisions",
            sa.Column(
                "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False, autoincrement=True
            ),
            sa.Column("document_id", sa.BigInteger, nullable=False),
            sa.Column("seq", sa.Integer, nullable=False),
            sa.Column("blob_backend", sa.String(50), nullable=False),
            sa.Column("blob_key", sa.String(500), nullable=False),
            sa.Column("blob_size", sa.BigInteger, nullable=False),
            sa.Column("blob_digest", sa.String(100), nullable=False),
            sa.PrimaryKeyConstraint("id", name="pk_document_revisions"),
            sa.UniqueConstraint("document_id", "seq", name="uq_document_revisions_document_id"),
            sa.ForeignKeyConstraint(
                ["document_id"], ["documents.id"], name="fk_document_revisions_document_id", ondelete="CASCADE"
            ),
            **MYSQL,
        )

    if not _has_table("contract_copy_receivers"):
        op.create_table(
            "contract_copy_receivers",
            sa.Column("contract_id", sa.BigInteger, nullable=False, autoincrement=False),
            sa.Column("seq", sa.Integer, nullable=False, autoincrement=False),
            sa.Column("name", sa.String(100), nullable=False),
            sa.Column("mobile", sa.String(20), nullable=False),
            sa.PrimaryKeyConstraint("contract_id", "seq", name="pk_contract_copy_receivers"),
            sa.ForeignKeyConstraint(
                ["contract_id"], ["contracts.id"], name="fk_contract_copy_receivers_contract_id", ondelete="CASCADE"
            ),
            **MYSQL,
        )

    if not _has_table("categories"):
        op.create_table(
            "categories",
            sa.Column("id", sa.BigInteger, nullable=False, autoincrement=False),
            sa.Column("version", sa.Integer, nullable=False),
            sa.Column("name", sa.String(100), nullable=False),
            sa.Column("tenant_id", sa.BigInteger, nullable=False),
            sa.Column("is_primary", sa.Boolean, nullable=False),
            sa.Column("state", sa.String(32), nullable=False),
            sa.Column("callback_url", sa.String(500)),
            sa.Column("seal_id", sa.BigInteger),
            sa.Column("type", sa.String(32), nullable=False),
            sa.Column("created_at", _dt(), nullable=False),
            sa.PrimaryKeyConstraint("id", name="pk_categories"),
            **MYSQL,
        )
    _create_index("ix_categories_tenant_id", "categories", "tenant_id", "name")


def downgrade() -> None:
    for name in ("categories", "contract_copy_receivers", "document_revisions"):
        if _has_table(name):
            op.drop_table(name)
    for table, column in reversed(_new_columns()):
        if _has_table(table) and column.name in _columns(table):
            op.drop_column(table, column.name)
