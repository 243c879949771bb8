"""Initial schema: installation, organizations, members, users, contacts, admin accounts, roles,
seal types, seals, certificates, documents, contracts (with signatories, actions, stampers) and
settings.

Written by hand to match ``esign_adapters.db.tables`` at this revision (a test compares them on
every backend). It does not import the application: a revision is a frozen snapshot.

Each table and index is created only when missing, so that re-running after a half-finished
upgrade on MariaDB/MySQL (no transactional DDL) completes instead of failing.

Revision ID: 0001
Revises:
Create Date: 2026-01-01 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MYSQL = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}


def _dt() -> sa.types.TypeEngine[Any]:
    return sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def _id() -> sa.Column[Any]:
    return sa.Column("id", sa.BigInteger, nullable=False, autoincrement=False)


def _version() -> sa.Column[Any]:
    return sa.Column("version", sa.Integer, nullable=False)


def _enum(name: str, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.String(32), nullable=nullable)


def _blob(prefix: str, nullable: bool) -> list[sa.Column[Any]]:
    return [
        sa.Column(f"{prefix}_backend", sa.String(50), nullable=nullable),
        sa.Column(f"{prefix}_key", sa.String(500), nullable=nullable),
        sa.Column(f"{prefix}_size", sa.BigInteger, nullable=nullable),
        sa.Column(f"{prefix}_digest", sa.String(100), nullable=nullable),
    ]


def _pk(table: str, *cols: str) -> sa.PrimaryKeyConstraint:
    return sa.PrimaryKeyConstraint(*(cols or ("id",)), name=f"pk_{table}")


def _uq(table: str, col: str) -> sa.UniqueConstraint:
    return sa.UniqueConstraint(col, name=f"uq_{table}_{col}")


def _contract_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["contract_id"], ["contracts.id"], name=f"fk_{table}_contract_id", ondelete="CASCADE"
    )


def _create_table(name: str, *items: Any) -> None:
    if not sa.inspect(op.get_bind()).has_table(name):
        op.create_table(name, *items, **MYSQL)


def _create_index(name: str, table: str, *cols: str) -> None:
    existing = {ix["name"] for ix in sa.inspect(op.get_bind()).get_indexes(table)}
    if name not in existing:
        op.create_index(name, table, list(cols))


def upgrade() -> None:
    _create_table(
        "installation",
        _id(),
        _version(),
        sa.Column("product_code", sa.String(64), nullable=False),
        sa.Column("licence_code", sa.Text, nullable=False),
        sa.Column("use_external_api", sa.Boolean, nullable=False),
        sa.Column("platform_org_id", sa.BigInteger),
        sa.Column("initialized_at", _dt()),
        sa.Column("licence_id", sa.String(100), nullable=False),
        sa.Column("licence_product_code", sa.String(64), nullable=False),
        sa.Column("licensee", sa.String(200), nullable=False),
        sa.Column("licence_issued_at", _dt(), nullable=False),
        sa.Column("licence_expires_at", _dt(), nullable=False),
        sa.Column("quota_internal_enterprises", sa.Integer),
        sa.Column("quota_internal_users", sa.Integer),
        sa.Column("quota_external_enterprises", sa.Integer),
        sa.Column("quota_external_users", sa.Integer),
        _pk("installation"),
    )

    _create_table(
        "organizations",
        _id(),
        _version(),
        sa.Column("name", sa.String(100), nullable=False),
        _enum("tenant_type"),
        _enum("unit_kind"),
        sa.Column("parent_id", sa.BigInteger),
        sa.Column("uscc", sa.String(18)),
        sa.Column("legal_person", sa.String(100)),
        _enum("status"),
        sa.Column("frozen", sa.Boolean, nullable=False),
        sa.Column("deleted", sa.Boolean, nullable=False),
        sa.Column("admin_member_id", sa.BigInteger),
        sa.Column("created_at", _dt(), nullable=False),
        _pk("organizations"),
    )
    _create_index("ix_organizations_name", "organizations", "name")
    _create_index("ix_organizations_parent_id", "organizations", "parent_id")
    _create_index("ix_organizations_tenant_type", "organizations", "tenant_type", "unit_kind")

    _create_table(
        "members",
        _id(),
        _version(),
        sa.Column("org_id", sa.BigInteger, nullable=False),
        sa.Column("user_id", sa.BigInteger, nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("number", sa.String(64)),
        sa.Column("roles", sa.JSON, nullable=False),
        _enum("status"),
        sa.Column("joined_at", _dt(), nullable=False),
        _pk("members"),
    )
    _create_index("ix_members_org_id", "members", "org_id")
    _create_index("ix_members_user_id", "members", "user_id")

    _create_table(
        "users",
        _id(),
        _version(),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("mobile", sa.String(20)),
        sa.Column("email", sa.String(254)),
        sa.Column("id_number", sa.String(32)),
        _enum("auth_status"),
        sa.Column("frozen", sa.Boolean, nullable=False),
        sa.Column("internal", sa.Boolean, nullable=False),
        sa.Column("created_at", _dt(), nullable=False),
        _pk("users"),
        _uq("users", "mobile"),
        _uq("users", "email"),
    )

    _create_table(
        "contacts",
        _id(),
        _version(),
        _enum("kind"),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("mobile", sa.String(20)),
        sa.Column("email", sa.String(254)),
        sa.Column("number", sa.String(64)),
        sa.Column("enterprise_name", sa.String(200)),
        _pk("contacts"),
    )
    _create_index("ix_contacts_kind", "contacts", "kind")

    _create_table(
        "admin_accounts",
        _id(),
        _version(),
        sa.Column("username", sa.String(100), nullable=False),
        sa.Column("display_name", sa.Text, nullable=False),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("role_ids", sa.JSON, nullable=False),
        sa.Column("is_system", sa.Boolean, nullable=False),
        sa.Column("disabled", sa.Boolean, nullable=False),
        sa.Column("failed_logins", sa.Integer, nullable=False),
        sa.Column("locked_until", _dt()),
        sa.Column("password_changed_at", _dt(), nullable=False),
        sa.Column("last_login_at", _dt()),
        sa.Column("mfa_secret_ref", sa.Text),
        _pk("admin_accounts"),
        _uq("admin_accounts", "username"),
    )

    _create_table(
        "roles",
        _id(),
        _version(),
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("permissions", sa.JSON, nullable=False),
        sa.Column("builtin", sa.Boolean, nullable=False),
        _pk("roles"),
        _uq("roles", "name"),
    )

    _create_table(
        "seal_types",
        _id(),
        _version(),
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("builtin", sa.Boolean, nullable=False),
        _pk("seal_types"),
        _uq("seal_types", "name"),
    )

    _create_table(
        "seals",
        _id(),
        _version(),
        sa.Column("owner_id", sa.BigInteger, nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        _enum("kind"),
        sa.Column("seal_type_id", sa.BigInteger),
        sa.Column("spec_key", sa.String(32), nullable=False),
        sa.Column("spec_shape", sa.String(32), nullable=False),
        sa.Column("spec_width_mm", sa.Integer, nullable=False),
        sa.Column("spec_height_mm", sa.Integer, nullable=False),
        _enum("category"),
        _enum("status"),
        *_blob("image", nullable=True),
        sa.Column("custom_image", sa.Boolean, nullable=False),
        sa.Column("authorized_member_ids", sa.JSON, nullable=False),
        sa.Column("use_count", sa.Integer, nullable=False),
        sa.Column("created_at", _dt(), nullable=False),
        _pk("seals"),
    )
    _create_index("ix_seals_owner_id", "seals", "owner_id")

    _create_table(
        "certificates",
        _id(),
        _version(),
        _enum("kind"),
        sa.Column("subject_name", sa.Text, nullable=False),
        _enum("subject_type"),
        sa.Column("subject_code", sa.String(64)),
        sa.Column("serial", sa.String(128), nullable=False),
        sa.Column("issuer", sa.Text, nullable=False),
        sa.Column("ca_name", sa.Text, nullable=False),
        sa.Column("not_before", _dt(), nullable=False),
        sa.Column("not_after", _dt(), nullable=False),
        sa.Column("key_type", sa.String(32), nullable=False),
        sa.Column("key_ref", sa.Text),
        _enum("status"),
        sa.Column("revoked_at", _dt()),
        sa.Column("revocation_reason", sa.String(200)),
        sa.Column("owner_id", sa.BigInteger),
        _pk("certificates"),
        _uq("certificates", "serial"),
    )
    _create_index("ix_certificates_kind", "certificates", "kind")
    _create_index("ix_certificates_owner_id", "certificates", "owner_id")

    _create_table(
        "documents",
        _id(),
        _version(),
        sa.Column("title", sa.String(200), nullable=False),
        *_blob("original", nullable=False),
        *_blob("current", nullable=False),
        sa.Column("pages", sa.Integer, nullable=False),
        sa.Column("contract_id", sa.BigInteger),
        sa.Column("attachment", sa.Boolean, nullable=False),
        sa.Column("created_at", _dt(), nullable=False),
        sa.Column("revisions", sa.Integer, nullable=False),
        _pk("documents"),
    )
    _create_index("ix_documents_contract_id", "documents", "contract_id")

    _create_table(
        "contracts",
        _id(),
        _version(),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("biz_id", sa.String(128)),
        sa.Column("sn", sa.String(128)),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("ordinal", sa.Boolean, nullable=False),
        sa.Column("category_id", sa.BigInteger),
        sa.Column("creator_id", sa.BigInteger),
        sa.Column("tenant_id", sa.BigInteger),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("document_ids", sa.JSON, nullable=False),
        sa.Column("created_at", _dt(), nullable=False),
        sa.Column("updated_at", _dt()),
        sa.Column("sent_at", _dt()),
        sa.Column("expire_at", _dt()),
        sa.Column("completed_at", _dt()),
        sa.Column("comments", sa.Text),
        _pk("contracts"),
        _uq("contracts", "biz_id"),
    )
    for col in ("category_id", "tenant_id", "status", "created_at", "expire_at"):
        _create_index(f"ix_contracts_{col}", "contracts", col)

    _create_table(
        "contract_signatories",
        sa.Column("contract_id", sa.BigInteger, nullable=False, autoincrement=False),
        sa.Column("id", sa.BigInteger, nullable=False, autoincrement=False),
        sa.Column("seq", sa.Integer, nullable=False),
        _enum("tenant_type"),
        sa.Column("tenant_name", sa.String(200), nullable=False),
        sa.Column("serial_no", sa.Integer, nullable=False),
        sa.Column("receiver_name", sa.String(100)),
        sa.Column("contact", sa.String(254)),
        _enum("status"),
        sa.Column("received_at", _dt()),
        _pk("contract_signatories", "contract_id", "id"),
        _contract_fk("contract_signatories"),
    )
    _create_index("ix_contract_signatories_contact", "contract_signatories", "contact")

    _create_table(
        "contract_actions",
        sa.Column("contract_id", sa.BigInteger, nullable=False, autoincrement=False),
        sa.Column("id", sa.BigInteger, nullable=False, autoincrement=False),
        sa.Column("signatory_id", sa.BigInteger, nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        _enum("type"),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("serial_no", sa.Integer, nullable=False),
        _enum("status"),
        sa.Column("seal_ids", sa.JSON, nullable=False),
        sa.Column("operators", sa.JSON, nullable=False),
        sa.Column("completed_at", _dt()),
        sa.Column("completed_by", sa.BigInteger),
        _pk("contract_actions", "contract_id", "id"),
        _contract_fk("contract_actions"),
    )
    _create_index("ix_contract_actions_completed_by", "contract_actions", "completed_by")

    _create_table(
        "contract_stampers",
        sa.Column("contract_id", sa.BigInteger, nullable=False, autoincrement=False),
        sa.Column("id", sa.BigInteger, nullable=False, autoincrement=False),
        sa.Column("action_id", sa.BigInteger, nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("document_id", sa.BigInteger, nullable=False),
        _enum("type"),
        sa.Column("position_kind", sa.String(16)),
        sa.Column("page", sa.Integer),
        sa.Column("offset_x", sa.Double),
        sa.Column("offset_y", sa.Double),
        sa.Column("keyword", sa.Text),
        sa.Column("keyword_index", sa.Integer),
        _pk("contract_stampers", "contract_id", "id"),
        _contract_fk("contract_stampers"),
    )
    _create_index("ix_contract_stampers_document_id", "contract_stampers", "document_id")

    _create_table(
        "settings",
        sa.Column("section", sa.String(50), nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
        _version(),
        _pk("settings", "section"),
    )


def downgrade() -> None:
    for table in (
        "settings",
        "contract_stampers",
        "contract_actions",
        "contract_signatories",
        "contracts",
        "documents",
        "certificates",
        "seals",
        "seal_types",
        "roles",
        "admin_accounts",
        "contacts",
        "users",
        "members",
        "organizations",
        "installation",
    ):
        if sa.inspect(op.get_bind()).has_table(table):
            op.drop_table(table)
