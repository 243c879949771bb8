"""UKey registry and certificate search: the ``ukeys`` table (device number unique) and the
indexes of the certificate search and statistics (subject name and type, validity bounds).

Written by hand to match ``esign_adapters.db.tables`` at this revision (a test compares them on
every backend); it does not import the application. Like 0001, each table and index is created
only when missing, so an upgrade interrupted on MariaDB/MySQL (no transactional DDL) can simply
be run again.

MySQL/MariaDB cannot index a whole TEXT column: ``certificates.subject_name`` is indexed by its
first 191 characters there (191 × 4 bytes of utf8mb4 stays under every InnoDB key limit).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MYSQL = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}


def _dt() -> sa.types.TypeEngine[Any]:
    return sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def _has_table(name: str) -> bool:
    return sa.inspect(op.get_bind()).has_table(name)


def _create_index(name: str, table: str, *cols: str, **kw: Any) -> None:
    existing = {ix["name"] for ix in sa.inspect(op.get_bind()).get_indexes(table)}
    if name not in existing:
        op.create_index(name, table, list(cols), **kw)


def _drop_index(name: str, table: str) -> None:
    if _has_table(table) and name in {ix["name"] for ix in sa.inspect(op.get_bind()).get_indexes(table)}:
        op.drop_index(name, table_name=table)


def upgrade() -> None:
    _create_index(
        "ix_certificates_subject_name",
        "certificates",
        "subject_name",
        "subject_type",
        mysql_length={"subject_name": 191},
    )
    _create_index("ix_certificates_not_before", "certificates", "not_before")
    _create_index("ix_certificates_not_after", "certificates", "not_after")

    if not _has_table("ukeys"):
        op.create_table(
            "ukeys",
            sa.Column("id", sa.BigInteger, nullable=False, autoincrement=False),
            sa.Column("version", sa.Integer, nullable=False),
            sa.Column("certificate_serial", sa.String(128), nullable=False),
            sa.Column("holder", sa.String(100), nullable=False),
            sa.Column("subject_code", sa.String(32), nullable=False),
            sa.Column("device_no", sa.String(64), nullable=False),
            sa.Column("owner_org_id", sa.BigInteger),
            sa.Column("status", sa.String(32), nullable=False),
            sa.Column("registered_at", _dt(), nullable=False),
            sa.Column("status_changed_at", _dt()),
            sa.Column("status_reason", sa.String(200)),
            sa.PrimaryKeyConstraint("id", name="pk_ukeys"),
            sa.UniqueConstraint("device_no", name="uq_ukeys_device_no"),
            **MYSQL,
        )
    for col in ("certificate_serial", "holder", "subject_code", "owner_org_id", "status"):
        _create_index(f"ix_ukeys_{col}", "ukeys", col)


def downgrade() -> None:
    if _has_table("ukeys"):
        op.drop_table("ukeys")
    for name in ("ix_certificates_not_after", "ix_certificates_not_before", "ix_certificates_subject_name"):
        _drop_index(name, "certificates")
