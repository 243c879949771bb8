"""The void statement (作废声明, issue 4): ``contracts.void_statement_id`` (the generated statement
every party signs while the contract is TERMINATING) and ``contracts.void_remove_original`` (the
void policy's decision, applied when the last party has signed).

Written by hand to match ``esign_adapters.db.tables`` at this revision (a test compares them on
every backend); it does not import the application. Columns are added only when missing, so an
interrupted upgrade on MariaDB/MySQL (no transactional DDL) can be run again.

Revision ID: 0022
Revises: 0015
Create Date: 2026-11-30 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _has_column(table: str, name: str) -> bool:
    return any(c["name"] == name for c in sa.inspect(op.get_bind()).get_columns(table))


def upgrade() -> None:
    if not _has_column("contracts", "void_statement_id"):
        op.add_column("contracts", sa.Column("void_statement_id", sa.BigInteger, nullable=True))
    if not _has_column("contracts", "void_remove_original"):
        op.add_column("contracts", sa.Column("void_remove_original", sa.Boolean, nullable=True))


def downgrade() -> None:
    for name in ("void_remove_original", "void_statement_id"):
        if _has_column("contracts", name):
            op.drop_column("contracts", name)
