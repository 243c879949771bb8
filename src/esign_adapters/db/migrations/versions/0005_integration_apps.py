"""Integration apps (集成中心 → 添加应用): ``integration_apps``, the open-API credentials (the
AppToken unique, the AppSecret only sealed by the SecretBox).

Written by hand to match ``esign_adapters.db.tables`` at this revision (a test compares them on
every backend); it does not import the application. Like 0004, the table is created only when
missing, so an interrupted upgrade on MariaDB/MySQL (no transactional DDL) can be run again.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MYSQL = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}


def _dt() -> sa.types.TypeEngine[Any]:
    return sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def _has_table(name: str) -> bool:
    return sa.inspect(op.get_bind()).has_table(name)


def upgrade() -> None:
    if not _has_table("integration_apps"):
        op.create_table(
            "integration_apps",
            sa.Column("id", sa.BigInteger, nullable=False, autoincrement=False),
            sa.Column("version", sa.Integer, nullable=False),
            sa.Column("name", sa.String(100), nullable=False),
            sa.Column("app_token", sa.String(64), nullable=False),
            sa.Column("sealed_secret", sa.Text, nullable=False),
            sa.Column("tenant_id", sa.BigInteger, nullable=False),
            sa.Column("member_id", sa.BigInteger),
            sa.Column("enabled", sa.Boolean, nullable=False),
            sa.Column("legacy_static_signature", sa.Boolean, nullable=False),
            sa.Column("created_at", _dt(), nullable=False),
            sa.PrimaryKeyConstraint("id", name="pk_integration_apps"),
            sa.UniqueConstraint("app_token", name="uq_integration_apps_app_token"),
            **MYSQL,
        )


def downgrade() -> None:
    if _has_table("integration_apps"):
        op.drop_table("integration_apps")
