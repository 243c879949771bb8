"""App access (集成中心 → 应用接入, ADR 0042/0043): the new columns of ``integration_apps``
(accepted signature schemes, external authentication callbacks, callable seals, IP allow and
deny lists, single sign-on, when the secret was last reset) and ``open_replay_keys``, the
replay store shared by every server process.

Written by hand to match ``esign_adapters.db.tables`` at this revision (a test compares them on
every backend); it does not import the application. Columns and the table are added only when
missing, so an interrupted upgrade on MariaDB/MySQL (no transactional DDL) can be run again.
Existing apps keep their behaviour: both schemes accepted, every internal seal callable, no IP
list, no single sign-on.

Revision ID: 0018
Revises: 0015
Create Date: 2026-11-30 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0018"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MYSQL = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}


def _dt() -> sa.types.TypeEngine[Any]:
    return sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def _new_columns() -> list[sa.Column[Any]]:
    # Fresh Column objects on every call: Alembic attaches each one to a table.
    return [
        sa.Column("accepted_schemes", sa.JSON),
        sa.Column("personal_auth_url", sa.String(500)),
        sa.Column("enterprise_auth_url", sa.String(500)),
        sa.Column("seal_scope", sa.String(32), nullable=False, server_default="ALL_INTERNAL"),
        sa.Column("callable_seal_ids", sa.JSON),
        sa.Column("ip_allow", sa.JSON),
        sa.Column("ip_deny", sa.JSON),
        sa.Column("sso_enabled", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("secret_reset_at", _dt()),
    ]


def _columns(table: str) -> set[str]:
    return {c["name"] for c in sa.inspect(op.get_bind()).get_columns(table)}


def _has_table(name: str) -> bool:
    return sa.inspect(op.get_bind()).has_table(name)


def upgrade() -> None:
    existing = _columns("integration_apps")
    for column in _new_columns():
        if column.name not in existing:
            op.add_column("integration_apps", column)
    if not _has_table("open_replay_keys"):
        op.create_table(
            "open_replay_keys",
            sa.Column("key", sa.String(64), nullable=False),
            sa.Column("expires_at", _dt(), nullable=False),
            sa.PrimaryKeyConstraint("key", name="pk_open_replay_keys"),
            **MYSQL,
        )
    if "ix_open_replay_keys_expires_at" not in {ix["name"] for ix in sa.inspect(op.get_bind())
                                                .get_indexes("open_replay_keys")}:
        op.create_index("ix_open_replay_keys_expires_at", "open_replay_keys", ["expires_at"])


def downgrade() -> None:
    if _has_table("open_replay_keys"):
        op.drop_table("open_replay_keys")
    existing = _columns("integration_apps")
    for column in reversed(_new_columns()):
        if column.name in existing:
            op.drop_column("integration_apps", column.name)
