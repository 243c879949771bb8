"""System logs and service monitoring (manual 四.2.1–2.3): ``system_logs`` (one row per request of
the console, portal and open API, and per application record at WARNING or above; ADR 0045),
``cluster_nodes`` (the heartbeat of every running service, with the downtime episode guard;
ADR 0046) and ``cluster_ssh_targets`` (the optional restart over SSH, private key sealed).

Written by hand to match ``esign_adapters.db.tables`` at this revision (a test compares them on
every backend); it does not import the application. Tables and indexes are created only when
missing, so an interrupted upgrade on MariaDB/MySQL (no transactional DDL) can be run again.

Revision ID: 0020
Revises: 0015
Create Date: 2026-11-30 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MYSQL = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}


def _dt() -> sa.types.TypeEngine[Any]:
    return sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def _has_table(name: str) -> bool:
    return sa.inspect(op.get_bind()).has_table(name)


def _index(table: str, name: str, columns: list[str]) -> None:
    if name not in {ix["name"] for ix in sa.inspect(op.get_bind()).get_indexes(table)}:
        op.create_index(name, table, columns)


def upgrade() -> None:
    if not _has_table("system_logs"):
        op.create_table(
            "system_logs",
            sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False, autoincrement=True),
            sa.Column("at", _dt(), nullable=False),
            sa.Column("level", sa.String(10), nullable=False),
            sa.Column("area", sa.String(20), nullable=False),
            sa.Column("actor", sa.String(100), nullable=False),
            sa.Column("request_id", sa.String(64), nullable=False),
            sa.Column("method", sa.String(10), nullable=False),
            sa.Column("path", sa.String(500), nullable=False),
            sa.Column("status", sa.Integer),
            sa.Column("duration_ms", sa.Integer),
            sa.Column("logger", sa.String(100), nullable=False),
            sa.Column("node", sa.String(100), nullable=False),
            sa.Column("message", sa.String(2000), nullable=False),
            sa.PrimaryKeyConstraint("id", name="pk_system_logs"),
            **MYSQL,
        )
    _index("system_logs", "ix_system_logs_at", ["at"])
    _index("system_logs", "ix_system_logs_request_id", ["request_id"])
    _index("system_logs", "ix_system_logs_actor_at", ["actor", "at"])
    _index("system_logs", "ix_system_logs_area_level_at", ["area", "level", "at"])
    if not _has_table("cluster_nodes"):
        op.create_table(
            "cluster_nodes",
            sa.Column("id", sa.String(120), nullable=False),
            sa.Column("service", sa.String(20), nullable=False),
            sa.Column("version", sa.String(40), nullable=False),
            sa.Column("host", sa.String(255), nullable=False),
            sa.Column("address", sa.String(255), nullable=False),
            sa.Column("pid", sa.Integer, nullable=False),
            sa.Column("snowflake_node", sa.Integer),
            sa.Column("started_at", _dt(), nullable=False),
            sa.Column("heartbeat_at", _dt(), nullable=False),
            sa.Column("stopped_at", _dt()),
            sa.Column("down_since", _dt()),
            sa.Column("down_episode", sa.Integer, nullable=False),
            sa.Column("notified_episode", sa.Integer, nullable=False),
            sa.Column("recovered_at", _dt()),
            sa.Column("recovery_episode", sa.Integer, nullable=False),
            sa.PrimaryKeyConstraint("id", name="pk_cluster_nodes"),
            **MYSQL,
        )
    _index("cluster_nodes", "ix_cluster_nodes_service_host", ["service", "host"])
    if not _has_table("cluster_ssh_targets"):
        op.create_table(
            "cluster_ssh_targets",
            sa.Column("host", sa.String(255), nullable=False),
            sa.Column("ssh_host", sa.String(255), nullable=False),
            sa.Column("ssh_port", sa.Integer, nullable=False),
            sa.Column("ssh_user", sa.String(64), nullable=False),
            sa.Column("private_key_ref", sa.Text, nullable=False),
            sa.Column("host_key", sa.Text, nullable=False),
            sa.Column("restart_command", sa.String(500), nullable=False),
            sa.Column("updated_at", _dt(), nullable=False),
            sa.PrimaryKeyConstraint("host", name="pk_cluster_ssh_targets"),
            **MYSQL,
        )


def downgrade() -> None:
    for name in ("cluster_ssh_targets", "cluster_nodes", "system_logs"):
        if _has_table(name):
            op.drop_table(name)
