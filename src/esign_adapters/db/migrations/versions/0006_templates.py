"""Templates (模板): ``templates``, HTML pages or AcroForm PDFs in storage (the ``source_*`` BlobRef
columns) with their typed parameters as JSON.

Written by hand to match ``esign_adapters.db.tables`` at this revision (a test compares them on
every backend); it does not import the application. Like 0005, the table is created only when
missing, so an interrupted upgrade on MariaDB/MySQL (no transactional DDL) can be run again.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MYSQL = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}


def _dt() -> sa.types.TypeEngine[Any]:
    return sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def _has_table(name: str) -> bool:
    return sa.inspect(op.get_bind()).has_table(name)


def upgrade() -> None:
    if not _has_table("templates"):
        op.create_table(
            "templates",
            sa.Column("id", sa.BigInteger, nullable=False, autoincrement=False),
            sa.Column("version", sa.Integer, nullable=False),
            sa.Column("title", sa.String(100), nullable=False),
            sa.Column("kind", sa.String(32), nullable=False),
            sa.Column("source_backend", sa.String(50), nullable=False),
            sa.Column("source_key", sa.String(500), nullable=False),
            sa.Column("source_size", sa.BigInteger, nullable=False),
            sa.Column("source_digest", sa.String(100), nullable=False),
            sa.Column("params", sa.JSON, nullable=False),
            sa.Column("status", sa.String(32), nullable=False),
            sa.Column("created_at", _dt(), nullable=False),
            sa.PrimaryKeyConstraint("id", name="pk_templates"),
            **MYSQL,
        )


def downgrade() -> None:
    if _has_table("templates"):
        op.drop_table("templates")
