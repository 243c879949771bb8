"""Enforcement of the password and login settings (ADR 0037): ``users.signing_password_changed_at``
(the forced periodic change of signing passwords), ``admin_accounts.session_generation`` (bumped
when a login factor changes; older console sessions end) and ``admin_accounts.totp_last_step``
(the last accepted dynamic-token time-step, so a code is not accepted twice on any worker).

Written by hand to match ``esign_adapters.db.tables`` at this revision (a test compares them on
every backend); it does not import the application. Columns are added only when missing, so an
interrupted upgrade on MariaDB/MySQL (no transactional DDL) can be run again. Signing passwords
set before this revision count as set at upgrade time.

Revision ID: 0015
Revises: 0012
Create Date: 2026-11-30 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0015"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _dt() -> sa.types.TypeEngine[Any]:
    return sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def _naive() -> bool:
    """SQLite and MySQL/MariaDB keep timestamps without an offset (in UTC, as UtcDateTime does)."""
    return op.get_bind().dialect.name != "postgresql"


def _has_column(table: str, name: str) -> bool:
    return any(c["name"] == name for c in sa.inspect(op.get_bind()).get_columns(table))


def upgrade() -> None:
    if not _has_column("users", "signing_password_changed_at"):
        op.add_column("users", sa.Column("signing_password_changed_at", _dt(), nullable=True))
        users = sa.table("users", sa.column("signing_password_hash", sa.String),
                         sa.column("signing_password_changed_at", sa.DateTime(timezone=True)))
        now = datetime.now(UTC).replace(tzinfo=None) if _naive() else datetime.now(UTC)
        op.execute(users.update().where(users.c.signing_password_hash.is_not(None))
                   .values(signing_password_changed_at=now))
    if not _has_column("admin_accounts", "session_generation"):
        op.add_column("admin_accounts", sa.Column("session_generation", sa.Integer, nullable=False,
                                                  server_default="0"))
    if not _has_column("admin_accounts", "totp_last_step"):
        op.add_column("admin_accounts", sa.Column("totp_last_step", sa.BigInteger, nullable=True))


def downgrade() -> None:
    for table, name in (("admin_accounts", "totp_last_step"), ("admin_accounts", "session_generation"),
                        ("users", "signing_password_changed_at")):
        if _has_column(table, name):
            op.drop_column(table, name)
