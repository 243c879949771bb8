"""签署统计 (manual 四.1.1, ADR 0044): the pre-aggregates ``contract_stats_daily`` (contracts
per Asia/Shanghai creation day and status), ``contract_stats_monthly`` (per month, enterprise,
business category and status) and its per-enterprise and per-category sums
``contract_stats_tenant_monthly`` / ``contract_stats_category_monthly``, filled here from the
contracts already stored and maintained from then on by the contract mapper; covering indexes on
``contracts`` for the days outside whole months and the filtered series —
``(created_at, status, tenant_id, category_id)`` and the same led by ``tenant_id`` and by
``category_id`` — and an index on ``contract_actions.completed_at`` for the signing log.

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

MYSQL = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}

revision: str = "0019"
down_revision: str | None = "0018"
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


# Local creation day / month in Asia/Shanghai (UTC+8 all year since 1991) per backend.
LOCAL = {
    "postgresql": ("(created_at AT TIME ZONE 'Asia/Shanghai')::date",
                   "date_trunc('month', created_at AT TIME ZONE 'Asia/Shanghai')::date"),
    "sqlite": ("date(datetime(created_at, '+480 minutes'))",
               "strftime('%Y-%m-01', datetime(created_at, '+480 minutes'))"),
    "mysql": ("DATE(DATE_ADD(created_at, INTERVAL 480 MINUTE))",
              "DATE_FORMAT(DATE_ADD(created_at, INTERVAL 480 MINUTE), '%Y-%m-01')"),
}


CUBES = ("contract_stats_daily", "contract_stats_monthly", "contract_stats_tenant_monthly",
         "contract_stats_category_monthly")


def _has_table(name: str) -> bool:
    return sa.inspect(op.get_bind()).has_table(name)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        if name not in _indexes(table):
            op.create_index(name, table, list(columns))
    if not _has_table("contract_stats_daily"):
        op.create_table(
            "contract_stats_daily",
            sa.Column("day", sa.Date, nullable=False),
            sa.Column("status", sa.String(32), nullable=False),
            sa.Column("contracts", sa.Integer, nullable=False),
            sa.PrimaryKeyConstraint("day", "status", name="pk_contract_stats_daily"),
            **MYSQL,
        )
    if not _has_table("contract_stats_monthly"):
        op.create_table(
            "contract_stats_monthly",
            sa.Column("month", sa.Date, nullable=False),
            sa.Column("tenant_id", sa.BigInteger, nullable=False, autoincrement=False),
            sa.Column("category_id", sa.BigInteger, nullable=False, autoincrement=False),
            sa.Column("status", sa.String(32), nullable=False),
            sa.Column("contracts", sa.Integer, nullable=False),
            sa.PrimaryKeyConstraint("month", "tenant_id", "category_id", "status", name="pk_contract_stats_monthly"),
            **MYSQL,
        )
    for table, column in (("contract_stats_tenant_monthly", "tenant_id"),
                          ("contract_stats_category_monthly", "category_id")):
        if not _has_table(table):
            op.create_table(
                table,
                sa.Column("month", sa.Date, nullable=False),
                sa.Column(column, sa.BigInteger, nullable=False, autoincrement=False),
                sa.Column("status", sa.String(32), nullable=False),
                sa.Column("contracts", sa.Integer, nullable=False),
                sa.PrimaryKeyConstraint("month", column, "status", name=f"pk_{table}"),
                **MYSQL,
            )
    for name, columns in (("ix_contract_stats_monthly_tenant_id", ("tenant_id", "month")),
                          ("ix_contract_stats_monthly_category_id", ("category_id", "month"))):
        if name not in _indexes("contract_stats_monthly"):
            op.create_index(name, "contract_stats_monthly", list(columns))
    # Backfill (again, after an interrupted run): the counts of the contracts stored so far.
    dialect = op.get_bind().dialect.name
    day, month = LOCAL["mysql" if dialect in ("mysql", "mariadb") else dialect]
    for table in CUBES:
        op.execute(f"DELETE FROM {table}")  # noqa: S608 (constants only)
    op.execute(f"INSERT INTO contract_stats_daily (day, status, contracts) "  # noqa: S608 (constants only)
               f"SELECT {day}, status, count(*) FROM contracts GROUP BY {day}, status")
    op.execute(f"INSERT INTO contract_stats_monthly (month, tenant_id, category_id, status, contracts) "  # noqa: S608
               f"SELECT {month}, coalesce(tenant_id, 0), coalesce(category_id, 0), status, count(*) FROM contracts "
               f"GROUP BY {month}, coalesce(tenant_id, 0), coalesce(category_id, 0), status")
    for table, column in (("contract_stats_tenant_monthly", "tenant_id"),
                          ("contract_stats_category_monthly", "category_id")):
        op.execute(f"INSERT INTO {table} (month, {column}, status, contracts) "  # noqa: S608 (constants only)
                   f"SELECT {month}, coalesce({column}, 0), status, count(*) FROM contracts "
                   f"GROUP BY {month}, coalesce({column}, 0), status")


def downgrade() -> None:
    for table in reversed(CUBES):
        if _has_table(table):
            op.drop_table(table)
    for name, table, _columns in reversed(INDEXES):
        if name in _indexes(table):
            op.drop_index(name, table_name=table)
