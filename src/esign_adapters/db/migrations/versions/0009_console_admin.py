"""Console administration: ``admin_accounts.mobile`` (multi-factor SMS codes) and an index on
``evidence_entries (action, at)`` for the audit page (audit records are ``audit.*`` entries of
the evidence chain).

Written by hand to match ``esign_adapters.db.tables`` at this revision. Each step checks first,
so an upgrade interrupted on MariaDB/MySQL (no transactional DDL) can be run again.

Revision ID: 0009
Revises: 0006
Create Date: 2026-11-29 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_evidence_entries_action_at"


def _columns(table: str) -> set[str]:
    return {c["name"] for c in sa.inspect(op.get_bind()).get_columns(table)}


def _indexes(table: str) -> set[str]:
    return {i["name"] for i in sa.inspect(op.get_bind()).get_indexes(table)}


def upgrade() -> None:
    if "mobile" not in _columns("admin_accounts"):
        with op.batch_alter_table("admin_accounts") as batch:
            batch.add_column(sa.Column("mobile", sa.String(20), nullable=True))
    if INDEX not in _indexes("evidence_entries"):
        op.create_index(INDEX, "evidence_entries", ["action", "at"])


def downgrade() -> None:
    if INDEX in _indexes("evidence_entries"):
        op.drop_index(INDEX, table_name="evidence_entries")
    if "mobile" in _columns("admin_accounts"):
        with op.batch_alter_table("admin_accounts") as batch:
            batch.drop_column("mobile")
