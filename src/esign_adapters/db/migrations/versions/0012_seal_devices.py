"""Physical seals (物理用印服务): ``seal_devices`` (seal controllers and seal locks) and
``seal_applications`` (use applications; authorisations, approvals and append log as JSON).

Written by hand to match ``esign_adapters.db.tables`` at this revision (a test compares them on
every backend); it does not import the application. Tables are created only when missing, so an
interrupted upgrade on MariaDB/MySQL (no transactional DDL) can be run again.

Revision ID: 0012
Revises: 0006
Create Date: 2026-11-29 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MYSQL = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}


def _dt() -> sa.types.TypeEngine[Any]:
    return sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def _has_table(name: str) -> bool:
    return sa.inspect(op.get_bind()).has_table(name)


def upgrade() -> None:
    if not _has_table("seal_devices"):
        op.create_table(
            "seal_devices",
            sa.Column("id", sa.BigInteger, nullable=False, autoincrement=False),
            sa.Column("version", sa.Integer, nullable=False),
            sa.Column("device_no", sa.String(32), nullable=False),
            sa.Column("kind", sa.String(32), nullable=False),
            sa.Column("owner_id", sa.BigInteger, nullable=False),
            sa.Column("name", sa.String(50), nullable=False),
            sa.Column("seal_id", sa.BigInteger),
            sa.Column("status", sa.String(32), nullable=False),
            sa.Column("firmware", sa.String(50), nullable=False),
            sa.Column("last_seen", _dt()),
            sa.Column("pending_unlock", sa.JSON),
            sa.Column("active_unlock", sa.JSON),
            sa.Column("lock_requested", sa.Boolean, nullable=False),
            sa.Column("failed_codes", sa.Integer, nullable=False),
            sa.Column("blocked_until", _dt()),
            sa.Column("created_at", _dt(), nullable=False),
            sa.PrimaryKeyConstraint("id", name="pk_seal_devices"),
            sa.UniqueConstraint("device_no", name="uq_seal_devices_device_no"),
            **MYSQL,
        )
        op.create_index("ix_seal_devices_owner_id", "seal_devices", ["owner_id"])
    if not _has_table("seal_applications"):
        op.create_table(
            "seal_applications",
            sa.Column("id", sa.BigInteger, nullable=False, autoincrement=False),
            sa.Column("version", sa.Integer, nullable=False),
            sa.Column("tenant_id", sa.BigInteger, nullable=False),
            sa.Column("tenant_name", sa.String(100), nullable=False),
            sa.Column("subject", sa.String(100), nullable=False),
            sa.Column("serial_no", sa.String(100), nullable=False),
            sa.Column("description", sa.Text, nullable=False),
            sa.Column("applicant", sa.JSON, nullable=False),
            sa.Column("source", sa.String(100), nullable=False),
            sa.Column("callback_url", sa.String(500), nullable=False),
            sa.Column("status", sa.String(32), nullable=False),
            sa.Column("emergency", sa.Boolean, nullable=False),
            sa.Column("approvers", sa.JSON, nullable=False),
            sa.Column("approvals", sa.JSON, nullable=False),
            sa.Column("auths", sa.JSON, nullable=False),
            sa.Column("append_logs", sa.JSON, nullable=False),
            sa.Column("end_reason", sa.String(500), nullable=False),
            sa.Column("owes_photos", sa.Boolean, nullable=False),
            sa.Column("created_at", _dt(), nullable=False),
            sa.Column("ended_at", _dt()),
            sa.PrimaryKeyConstraint("id", name="pk_seal_applications"),
            **MYSQL,
        )
        op.create_index("ix_seal_applications_owes_photos", "seal_applications", ["owes_photos"])
        op.create_index("ix_seal_applications_created_at", "seal_applications", ["created_at"])
        op.create_index("ix_seal_applications_status", "seal_applications", ["status"])


def downgrade() -> None:
    for name in ("seal_applications", "seal_devices"):
        if _has_table(name):
            op.drop_table(name)
