"""签署统计 (manual 四.1.1, ADR 0044): covering indexes on ``contracts`` for the dashboard's
GROUP BYs — ``(created_at, status, tenant_id, category_id)`` and the same led by ``tenant_id``
and by ``category_id`` for the enterprise and business-system filters — and an index on
``contract_actions.completed_at`` for the signing log (newest first, by range).

Written by hand to match ``esign_adapters.db.tables`` at this revision (a test compares them on
every backend); it does not import the application. Each index is created only when missing, so
an interrupted upgrade on MariaDB/MySQL (no transactional DDL) can be run again.

Revision ID: 0019
Revises: 0015
Create Date: 2026-11-30 02:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (
    ("ix_contracts_stats_created", "contracts", ("created_at", "status", "tenant_id", "category_id")),
    ("ix_contracts_stats_tenant", "contracts", ("tenant_id", "created_at", "status", "category_id")),
    ("ix_contracts_stats_category", "contracts", ("category_id", "created_at", "status", "tenant_id")),
    ("ix_contract_actions_completed_at", "contract_actions", ("completed_at",)),
)


def _indexes(table: str) -> set[str]:
    return {ix["name"] for ix in sa.inspect(op.get_bind()).get_indexes(table)}


def upgrade() -> None:
    for name, table, columns in INDEXES:
        if name not in _indexes(table):
            op.create_index(name, table, list(columns))


def downgrade() -> None:
    for name, table, _columns in reversed(INDEXES):
        if name in _indexes(table):
            op.drop_index(name, table_name=table)
