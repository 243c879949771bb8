"""Organizations, users and contacts (issue 7): ``organizations.certification_reason`` (why an
application was rejected), ``users.passwordless`` (users made by OA sync), ``users.totp_secret_ref``
(the sealed TOTP secret of 动态令牌), ``contacts.deleted``, and indexes for the batch import's look-ups and the user
filters (``contacts.mobile``, ``users.created_at``).

Written by hand to match ``esign_adapters.db.tables`` at this revision (a test compares them on
every backend); it does not import the application. Each column and index is added only when
missing, so an upgrade interrupted on MariaDB/MySQL (no transactional DDL) can be run again.

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-06 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (("ix_contacts_mobile", "contacts", "mobile"), ("ix_users_created_at", "users", "created_at"))


def _new_columns() -> list[tuple[str, sa.Column[Any]]]:
    # Fresh Column objects on every call: Alembic attaches each one to a table.
    return [
        ("organizations", sa.Column("certification_reason", sa.String(200))),
        ("users", sa.Column("passwordless", sa.Boolean, nullable=False, server_default=sa.false())),
        ("users", sa.Column("totp_secret_ref", sa.Text)),
        ("contacts", sa.Column("deleted", sa.Boolean, nullable=False, server_default=sa.false())),
    ]


def _columns(table: str) -> set[str]:
    return {c["name"] for c in sa.inspect(op.get_bind()).get_columns(table)}


def _indexes(table: str) -> set[str]:
    return {ix["name"] for ix in sa.inspect(op.get_bind()).get_indexes(table)}


def upgrade() -> None:
    for table, column in _new_columns():
        if column.name not in _columns(table):
            op.add_column(table, column)
    for name, table, column_name in INDEXES:
        if name not in _indexes(table):
            op.create_index(name, table, [column_name])


def downgrade() -> None:
    for name, table, _column in INDEXES:
        if name in _indexes(table):
            op.drop_index(name, table_name=table)
    for table, column in reversed(_new_columns()):
        if column.name in _columns(table):
            op.drop_column(table, column.name)
