"""The relational schema: SQLAlchemy Core tables, one per aggregate (plus the contract's children).

Rows are translated to and from the domain explicitly (:mod:`esign_adapters.db.mappers`); the
domain classes are never mapped. The schema is written once for SQLite, PostgreSQL 15 and
MariaDB 10.11 / MySQL 8:

- ids are 64-bit snowflakes assigned by the domain (``BigInteger``, no autoincrement);
- every aggregate has ``version`` for optimistic locking;
- enums are stored as their string values, sets as JSON lists;
- every ``String`` has a length (MariaDB needs one for an index); free text is ``Text``;
- datetimes go through :class:`UtcDateTime`, which always hands back UTC-aware values;
- MySQL/MariaDB tables use ``utf8mb4_bin`` so that comparisons and unique keys are
  case-sensitive, as on the other two databases.

Alembic revisions under ``migrations/versions`` must create exactly this schema; a test compares
them on every backend.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Dialect

NAMING_CONVENTION = {
    "pk": "pk_%(table_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ix": "ix_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
}

#: Table options for MySQL/MariaDB: full Unicode, binary (case-sensitive) comparison.
MYSQL_OPTIONS = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class UtcDateTime(sa.types.TypeDecorator[datetime]):
    """A timestamp that goes in UTC-aware and comes out UTC-aware on every backend.

    PostgreSQL keeps ``timestamptz``; SQLite and MySQL/MariaDB cannot keep an offset, so UTC is
    stored without tzinfo and re-attached on read. MySQL/MariaDB get ``DATETIME(6)`` so that
    microseconds survive. Naive datetimes are refused: every datetime in esign is UTC-aware.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name in ("mysql", "mariadb"):
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        return dialect.type_descriptor(sa.DateTime(timezone=True))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("refusing to store a naive datetime; esign stores UTC-aware datetimes only")
        value = value.astimezone(UTC)
        return value if dialect.name == "postgresql" else value.replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False)


def _version() -> sa.Column[int]:
    return sa.Column("version", sa.Integer, nullable=False)


def _enum(name: str, *, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String(32), nullable=nullable)


def _blob(prefix: str, *, nullable: bool) -> list[sa.Column[Any]]:
    """A :class:`~esign_core.values.BlobRef` as four columns; the digest as ``algorithm:hex``."""
    return [
        sa.Column(f"{prefix}_backend", sa.String(50), nullable=nullable),
        sa.Column(f"{prefix}_key", sa.String(500), nullable=nullable),
        sa.Column(f"{prefix}_size", sa.BigInteger, nullable=nullable),
        sa.Column(f"{prefix}_digest", sa.String(100), nullable=nullable),
    ]


installation = sa.Table(
    "installation",
    metadata,
    _id(),
    _version(),
    sa.Column("product_code", sa.String(64), nullable=False),
    sa.Column("licence_code", sa.Text, nullable=False),
    sa.Column("use_external_api", sa.Boolean, nullable=False),
    sa.Column("platform_org_id", sa.BigInteger),
    sa.Column("initialized_at", UtcDateTime),
    sa.Column("licence_id", sa.String(100), nullable=False),
    sa.Column("licence_product_code", sa.String(64), nullable=False),
    sa.Column("licensee", sa.String(200), nullable=False),
    sa.Column("licence_issued_at", UtcDateTime, nullable=False),
    sa.Column("licence_expires_at", UtcDateTime, nullable=False),
    sa.Column("quota_internal_enterprises", sa.Integer),
    sa.Column("quota_internal_users", sa.Integer),
    sa.Column("quota_external_enterprises", sa.Integer),
    sa.Column("quota_external_users", sa.Integer),
    **MYSQL_OPTIONS,
)

organizations = sa.Table(
    "organizations",
    metadata,
    _id(),
    _version(),
    sa.Column("name", sa.String(100), nullable=False, index=True),
    _enum("tenant_type"),
    _enum("unit_kind"),
    sa.Column("parent_id", sa.BigInteger, index=True),
    sa.Column("uscc", sa.String(18)),
    sa.Column("legal_person", sa.String(100)),
    _enum("status"),
    sa.Column("frozen", sa.Boolean, nullable=False),
    sa.Column("deleted", sa.Boolean, nullable=False),
    sa.Column("admin_member_id", sa.BigInteger),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("certification_reason", sa.String(200)),  # 0008
    sa.Index("ix_organizations_tenant_type", "tenant_type", "unit_kind"),
    **MYSQL_OPTIONS,
)

members = sa.Table(
    "members",
    metadata,
    _id(),
    _version(),
    sa.Column("org_id", sa.BigInteger, nullable=False, index=True),
    sa.Column("user_id", sa.BigInteger, nullable=False, index=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("number", sa.String(64)),
    sa.Column("roles", sa.JSON, nullable=False),
    _enum("status"),
    sa.Column("joined_at", UtcDateTime, nullable=False),
    **MYSQL_OPTIONS,
)

users = sa.Table(
    "users",
    metadata,
    _id(),
    _version(),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("mobile", sa.String(20), unique=True),
    sa.Column("email", sa.String(254), unique=True),
    sa.Column("id_number", sa.String(32)),
    _enum("auth_status"),
    sa.Column("frozen", sa.Boolean, nullable=False),
    sa.Column("internal", sa.Boolean, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("passwordless", sa.Boolean, nullable=False, server_default=sa.false()),  # 0008
    sa.Column("totp_secret_ref", sa.Text),  # 0008
    sa.Index("ix_users_created_at", "created_at"),  # 0008
    sa.Column("signing_password_hash", sa.String(200)),  # migration 0010
    sa.Column("signing_password_changed_at", UtcDateTime),  # migration 0015
    **MYSQL_OPTIONS,
)

contacts = sa.Table(
    "contacts",
    metadata,
    _id(),
    _version(),
    _enum("kind"),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("mobile", sa.String(20)),
    sa.Column("email", sa.String(254)),
    sa.Column("number", sa.String(64)),
    sa.Column("enterprise_name", sa.String(200)),
    sa.Index("ix_contacts_kind", "kind"),
    sa.Column("deleted", sa.Boolean, nullable=False, server_default=sa.false()),  # 0008
    sa.Index("ix_contacts_mobile", "mobile"),  # 0008
    **MYSQL_OPTIONS,
)

admin_accounts = sa.Table(
    "admin_accounts",
    metadata,
    _id(),
    _version(),
    sa.Column("username", sa.String(100), nullable=False, unique=True),
    sa.Column("display_name", sa.Text, nullable=False),
    sa.Column("password_hash", sa.Text, nullable=False),
    sa.Column("role_ids", sa.JSON, nullable=False),
    sa.Column("is_system", sa.Boolean, nullable=False),
    sa.Column("disabled", sa.Boolean, nullable=False),
    sa.Column("failed_logins", sa.Integer, nullable=False),
    sa.Column("locked_until", UtcDateTime),
    sa.Column("password_changed_at", UtcDateTime, nullable=False),
    sa.Column("last_login_at", UtcDateTime),
    sa.Column("mfa_secret_ref", sa.Text),
    sa.Column("mobile", sa.String(20)),  # 0009: the console's multi-factor SMS codes go here
    sa.Column("session_generation", sa.Integer, nullable=False, server_default="0"),  # 0015
    sa.Column("totp_last_step", sa.BigInteger),  # 0015
    **MYSQL_OPTIONS,
)

roles = sa.Table(
    "roles",
    metadata,
    _id(),
    _version(),
    sa.Column("name", sa.String(50), nullable=False, unique=True),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("permissions", sa.JSON, nullable=False),
    sa.Column("builtin", sa.Boolean, nullable=False),
    **MYSQL_OPTIONS,
)

seal_types = sa.Table(
    "seal_types",
    metadata,
    _id(),
    _version(),
    sa.Column("name", sa.String(50), nullable=False, unique=True),
    sa.Column("enabled", sa.Boolean, nullable=False),
    sa.Column("builtin", sa.Boolean, nullable=False),
    **MYSQL_OPTIONS,
)

seals = sa.Table(
    "seals",
    metadata,
    _id(),
    _version(),
    sa.Column("owner_id", sa.BigInteger, nullable=False, index=True),
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
    sa.Column("created_at", UtcDateTime, nullable=False),
    **MYSQL_OPTIONS,
)

certificates = sa.Table(
    "certificates",
    metadata,
    _id(),
    _version(),
    _enum("kind"),
    sa.Column("subject_name", sa.Text, nullable=False),
    _enum("subject_type"),
    sa.Column("subject_code", sa.String(64)),
    sa.Column("serial", sa.String(128), nullable=False, unique=True),
    sa.Column("issuer", sa.Text, nullable=False),
    sa.Column("ca_name", sa.Text, nullable=False),
    sa.Column("not_before", UtcDateTime, nullable=False),
    sa.Column("not_after", UtcDateTime, nullable=False),
    sa.Column("key_type", sa.String(32), nullable=False),
    sa.Column("key_ref", sa.Text),
    _enum("status"),
    sa.Column("revoked_at", UtcDateTime),
    sa.Column("revocation_reason", sa.String(200)),
    sa.Column("owner_id", sa.BigInteger, index=True),
    sa.Index("ix_certificates_kind", "kind"),
    # Search and statistics (manual 四.3.1–四.3.3). MySQL/MariaDB index a TEXT column by a prefix.
    sa.Index("ix_certificates_subject_name", "subject_name", "subject_type", mysql_length={"subject_name": 191}),
    sa.Index("ix_certificates_not_before", "not_before"),
    sa.Index("ix_certificates_not_after", "not_after"),
    **MYSQL_OPTIONS,
)

ukeys = sa.Table(
    "ukeys",
    metadata,
    _id(),
    _version(),
    sa.Column("certificate_serial", sa.String(128), nullable=False, index=True),
    sa.Column("holder", sa.String(100), nullable=False, index=True),
    sa.Column("subject_code", sa.String(32), nullable=False, index=True),
    sa.Column("device_no", sa.String(64), nullable=False, unique=True),
    sa.Column("owner_org_id", sa.BigInteger, index=True),
    _enum("status"),
    sa.Column("registered_at", UtcDateTime, nullable=False),
    sa.Column("status_changed_at", UtcDateTime),
    sa.Column("status_reason", sa.String(200)),
    sa.Index("ix_ukeys_status", "status"),
    **MYSQL_OPTIONS,
)

documents = sa.Table(
    "documents",
    metadata,
    _id(),
    _version(),
    sa.Column("title", sa.String(200), nullable=False),
    *_blob("original", nullable=False),
    *_blob("current", nullable=False),
    sa.Column("pages", sa.Integer, nullable=False),
    sa.Column("contract_id", sa.BigInteger, index=True),
    sa.Column("attachment", sa.Boolean, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("revisions", sa.Integer, nullable=False),
    sa.Column("destroyed", sa.Boolean, nullable=False, server_default=sa.false()),
    **MYSQL_OPTIONS,
)

# Every signed revision of a document, in order (the last is the document's ``current``); only ever
# appended to. The id is the database's own, so that storage verification can page through it.
document_revisions = sa.Table(
    "document_revisions",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("document_id", sa.BigInteger, sa.ForeignKey("documents.id", ondelete="CASCADE"), nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    *_blob("blob", nullable=False),
    sa.UniqueConstraint("document_id", "seq", name="uq_document_revisions_document_id"),
    **MYSQL_OPTIONS,
)

contracts = sa.Table(
    "contracts",
    metadata,
    _id(),
    _version(),
    sa.Column("subject", sa.String(200), nullable=False),
    sa.Column("biz_id", sa.String(128), unique=True),
    sa.Column("sn", sa.String(128)),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("ordinal", sa.Boolean, nullable=False),
    sa.Column("category_id", sa.BigInteger, index=True),
    sa.Column("creator_id", sa.BigInteger),
    sa.Column("tenant_id", sa.BigInteger, index=True),
    sa.Column("status", sa.String(32), nullable=False, index=True),
    sa.Column("document_ids", sa.JSON, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False, index=True),
    sa.Column("updated_at", UtcDateTime),
    sa.Column("sent_at", UtcDateTime),
    sa.Column("expire_at", UtcDateTime, index=True),
    sa.Column("completed_at", UtcDateTime),
    sa.Column("comments", sa.Text),
    sa.Column("business_data", sa.Text),
    sa.Column("request_digest", sa.String(64)),
    sa.Column("finish_manually", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("void_statement_id", sa.BigInteger),  # migration 0022: the void statement (作废声明)
    sa.Column("void_remove_original", sa.Boolean),
    **MYSQL_OPTIONS,
)


def _contract_fk() -> sa.Column[int]:
    return sa.Column(
        "contract_id",
        sa.BigInteger,
        sa.ForeignKey("contracts.id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    )


# Children of a contract: replaced as a whole when the contract is saved. ``seq`` keeps list order.
contract_signatories = sa.Table(
    "contract_signatories",
    metadata,
    _contract_fk(),
    sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("seq", sa.Integer, nullable=False),
    _enum("tenant_type"),
    sa.Column("tenant_name", sa.String(200), nullable=False),
    sa.Column("serial_no", sa.Integer, nullable=False),
    sa.Column("receiver_name", sa.String(100)),
    sa.Column("contact", sa.String(254), index=True),
    _enum("status"),
    sa.Column("received_at", UtcDateTime),
    **MYSQL_OPTIONS,
)

contract_actions = sa.Table(
    "contract_actions",
    metadata,
    _contract_fk(),
    sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("signatory_id", sa.BigInteger, nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    _enum("type"),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("serial_no", sa.Integer, nullable=False),
    _enum("status"),
    sa.Column("seal_ids", sa.JSON, nullable=False),
    sa.Column("operators", sa.JSON, nullable=False),
    sa.Column("completed_at", UtcDateTime),
    sa.Column("completed_by", sa.BigInteger, index=True),
    **MYSQL_OPTIONS,
)

# 签署统计 (migration 0019, ADR 0044): covering indexes for the dashboard's GROUP BYs, one per
# leading filter (creation time, enterprise, business category), and the signing log's time order.
sa.Index("ix_contracts_stats_created", contracts.c.created_at, contracts.c.status, contracts.c.tenant_id,
         contracts.c.category_id)
sa.Index("ix_contracts_stats_tenant", contracts.c.tenant_id, contracts.c.created_at, contracts.c.status,
         contracts.c.category_id)
sa.Index("ix_contracts_stats_category", contracts.c.category_id, contracts.c.created_at, contracts.c.status,
         contracts.c.tenant_id)
sa.Index("ix_contract_actions_completed_at", contract_actions.c.completed_at)

# Pre-aggregates of 签署统计, maintained by ContractMapper in the transaction that writes the
# contract (esign_adapters.db.statistics_cube): contracts per Asia/Shanghai creation day and status,
# and per creation month × enterprise × business category × status (0: none recorded).
contract_stats_daily = sa.Table(
    "contract_stats_daily",
    metadata,
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("status", sa.String(32), primary_key=True),
    sa.Column("contracts", sa.Integer, nullable=False),
    **MYSQL_OPTIONS,
)

contract_stats_monthly = sa.Table(
    "contract_stats_monthly",
    metadata,
    sa.Column("month", sa.Date, primary_key=True),
    sa.Column("tenant_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("category_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("status", sa.String(32), primary_key=True),
    sa.Column("contracts", sa.Integer, nullable=False),
    sa.Index("ix_contract_stats_monthly_tenant_id", "tenant_id", "month"),
    sa.Index("ix_contract_stats_monthly_category_id", "category_id", "month"),
    **MYSQL_OPTIONS,
)

# The same per month and enterprise only, and per month and business category only: the rankings
# and single-filter views sum a few thousand rows instead of the full month table.
contract_stats_tenant_monthly = sa.Table(
    "contract_stats_tenant_monthly",
    metadata,
    sa.Column("month", sa.Date, primary_key=True),
    sa.Column("tenant_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("status", sa.String(32), primary_key=True),
    sa.Column("contracts", sa.Integer, nullable=False),
    **MYSQL_OPTIONS,
)

contract_stats_category_monthly = sa.Table(
    "contract_stats_category_monthly",
    metadata,
    sa.Column("month", sa.Date, primary_key=True),
    sa.Column("category_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("status", sa.String(32), primary_key=True),
    sa.Column("contracts", sa.Integer, nullable=False),
    **MYSQL_OPTIONS,
)

contract_stampers = sa.Table(
    "contract_stampers",
    metadata,
    _contract_fk(),
    sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("action_id", sa.BigInteger, nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("document_id", sa.BigInteger, nullable=False, index=True),
    _enum("type"),
    sa.Column("position_kind", sa.String(16)),  # "page", "keyword" or NULL (across-page)
    sa.Column("page", sa.Integer),
    sa.Column("offset_x", sa.Double),
    sa.Column("offset_y", sa.Double),
    sa.Column("keyword", sa.Text),
    sa.Column("keyword_index", sa.Integer),
    **MYSQL_OPTIONS,
)

contract_copy_receivers = sa.Table(
    "contract_copy_receivers",
    metadata,
    _contract_fk(),
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("mobile", sa.String(20), nullable=False),
    **MYSQL_OPTIONS,
)

# Business categories (业务分类) of an enterprise; ``is_primary`` marks its default one.
categories = sa.Table(
    "categories",
    metadata,
    _id(),
    _version(),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("tenant_id", sa.BigInteger, nullable=False),
    sa.Column("is_primary", sa.Boolean, nullable=False),
    _enum("state"),
    sa.Column("callback_url", sa.String(500)),
    sa.Column("seal_id", sa.BigInteger),
    _enum("type"),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Index("ix_categories_tenant_id", "tenant_id", "name"),
    **MYSQL_OPTIONS,
)

# Integration apps (集成中心 → 添加应用): open-API credentials; the secret only sealed.
integration_apps = sa.Table(
    "integration_apps",
    metadata,
    _id(),
    _version(),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("app_token", sa.String(64), nullable=False, unique=True),
    sa.Column("sealed_secret", sa.Text, nullable=False),
    sa.Column("tenant_id", sa.BigInteger, nullable=False),
    sa.Column("member_id", sa.BigInteger),
    sa.Column("enabled", sa.Boolean, nullable=False),
    sa.Column("legacy_static_signature", sa.Boolean, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    # 0018 (应用接入): schemes, callbacks, callable seals, IP lists (JSON; NULL = the default), SSO
    sa.Column("accepted_schemes", sa.JSON),  # 0018
    sa.Column("personal_auth_url", sa.String(500)),  # 0018
    sa.Column("enterprise_auth_url", sa.String(500)),  # 0018
    sa.Column("seal_scope", sa.String(32), nullable=False, server_default="ALL_INTERNAL"),  # 0018
    sa.Column("callable_seal_ids", sa.JSON),  # 0018
    sa.Column("ip_allow", sa.JSON),  # 0018
    sa.Column("ip_deny", sa.JSON),  # 0018
    sa.Column("sso_enabled", sa.Boolean, nullable=False, server_default=sa.false()),  # 0018
    sa.Column("secret_reset_at", UtcDateTime),  # 0018
    **MYSQL_OPTIONS,
)

# Templates (模板): HTML pages or AcroForm PDFs in storage, with their typed parameters (JSON).
templates = sa.Table(
    "templates",
    metadata,
    _id(),
    _version(),
    sa.Column("title", sa.String(100), nullable=False),
    _enum("kind"),
    *_blob("source", nullable=False),
    sa.Column("params", sa.JSON, nullable=False),
    _enum("status"),
    sa.Column("created_at", UtcDateTime, nullable=False),
    **MYSQL_OPTIONS,
)

# Physical seals (物理用印服务): seal controllers / seal locks, and use applications whose seal
# authorisations, approvals and append log are JSON (see esign_adapters.db.seal_devices).
seal_devices = sa.Table(
    "seal_devices",
    metadata,
    _id(),
    _version(),
    sa.Column("device_no", sa.String(32), nullable=False, unique=True),
    _enum("kind"),
    sa.Column("owner_id", sa.BigInteger, nullable=False, index=True),
    sa.Column("name", sa.String(50), nullable=False),
    sa.Column("seal_id", sa.BigInteger),
    _enum("status"),
    sa.Column("firmware", sa.String(50), nullable=False),
    sa.Column("last_seen", UtcDateTime),
    sa.Column("pending_unlock", sa.JSON),
    sa.Column("active_unlock", sa.JSON),
    sa.Column("lock_requested", sa.Boolean, nullable=False),
    sa.Column("failed_codes", sa.Integer, nullable=False),
    sa.Column("blocked_until", UtcDateTime),
    sa.Column("created_at", UtcDateTime, nullable=False),
    **MYSQL_OPTIONS,
)

seal_applications = sa.Table(
    "seal_applications",
    metadata,
    _id(),
    _version(),
    sa.Column("tenant_id", sa.BigInteger, nullable=False),
    sa.Column("tenant_name", sa.String(100), nullable=False),
    sa.Column("subject", sa.String(100), nullable=False),
    sa.Column("serial_no", sa.String(100), nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("applicant", sa.JSON, nullable=False),
    sa.Column("source", sa.String(100), nullable=False),
    sa.Column("callback_url", sa.String(500), nullable=False),
    _enum("status"),
    sa.Column("emergency", sa.Boolean, nullable=False),
    sa.Column("approvers", sa.JSON, nullable=False),
    sa.Column("approvals", sa.JSON, nullable=False),
    sa.Column("auths", sa.JSON, nullable=False),
    sa.Column("append_logs", sa.JSON, nullable=False),
    sa.Column("end_reason", sa.String(500), nullable=False),
    sa.Column("owes_photos", sa.Boolean, nullable=False, index=True),
    sa.Column("created_at", UtcDateTime, nullable=False, index=True),
    sa.Column("ended_at", UtcDateTime),
    sa.Index("ix_seal_applications_status", "status"),
    **MYSQL_OPTIONS,
)

settings = sa.Table(
    "settings",
    metadata,
    sa.Column("section", sa.String(50), primary_key=True),
    sa.Column("data", sa.JSON, nullable=False),
    _version(),
    **MYSQL_OPTIONS,
)

# The evidence chain (see esign_adapters.db.evidence): append-only entries, one chain per node
# (UNIQUE node+sequence), and the newest sequence/hash of each node's chain, locked to append.
evidence_entries = sa.Table(
    "evidence_entries",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("node", sa.String(64), nullable=False),
    sa.Column("sequence", sa.BigInteger, nullable=False),
    sa.Column("contract_id", sa.BigInteger, index=True),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("at", UtcDateTime, nullable=False),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("ip", sa.String(64)),
    # JSON kept as the exact text written (MySQL 8's JSON type would reformat numbers and break hashes)
    sa.Column("details", sa.Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb"), nullable=False),
    sa.Column("previous_hash", sa.String(64), nullable=False),
    sa.Column("entry_hash", sa.String(64), nullable=False),
    sa.UniqueConstraint("node", "sequence", name="uq_evidence_entries_node_sequence"),
    sa.Index("ix_evidence_entries_action_at", "action", "at"),  # 0009: the console audit page
    **MYSQL_OPTIONS,
)

evidence_heads = sa.Table(
    "evidence_heads",
    metadata,
    sa.Column("node", sa.String(64), primary_key=True),
    sa.Column("sequence", sa.BigInteger, nullable=False),
    sa.Column("entry_hash", sa.String(64), nullable=False),
    **MYSQL_OPTIONS,
)

# The outbox (esign_adapters.db.outbox): outgoing messages written with the change that caused
# them, claimed by workers (status + next_attempt_at), unique idempotency key.
outbox_messages = sa.Table(
    "outbox_messages",
    metadata,
    _id(),
    _enum("kind"),
    sa.Column("topic", sa.String(100), nullable=False),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("idempotency_key", sa.String(200), nullable=False, unique=True),
    _enum("status"),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt_at", UtcDateTime),
    sa.Column("lease_until", UtcDateTime),
    sa.Column("last_error", sa.Text),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("delivered_at", UtcDateTime),
    sa.Index("ix_outbox_messages_status_due", "status", "next_attempt_at"),
    **MYSQL_OPTIONS,
)

# Scheduled tasks (esign_adapters.scheduling): one row per installed task (enabled, schedule),
# and one row per run; UNIQUE (task, occurrence) makes each occurrence run on one node only.
scheduled_tasks = sa.Table(
    "scheduled_tasks",
    metadata,
    sa.Column("name", sa.String(100), primary_key=True),
    sa.Column("enabled", sa.Boolean, nullable=False),
    sa.Column("schedule", sa.String(100), nullable=False),
    sa.Column("since", UtcDateTime, nullable=False),
    _version(),
    **MYSQL_OPTIONS,
)

task_runs = sa.Table(
    "task_runs",
    metadata,
    _id(),
    sa.Column("task", sa.String(100), nullable=False),
    sa.Column("occurrence", UtcDateTime, nullable=False),
    sa.Column("cause", sa.String(32), nullable=False),
    _enum("status"),
    sa.Column("node", sa.String(100)),
    sa.Column("started_at", UtcDateTime),
    sa.Column("finished_at", UtcDateTime),
    sa.Column("output", sa.Text),
    sa.UniqueConstraint("task", "occurrence", name="uq_task_runs_task_occurrence"),
    **MYSQL_OPTIONS,
)

# Messaging (三.6): SMS records keyed by the delivery's idempotency key (retries update one row),
# and in-site messages (站内信), stored once per key. Written by esign_adapters.db.message_log.
sms_records = sa.Table(
    "sms_records",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("idempotency_key", sa.String(200), nullable=False, unique=True),
    sa.Column("mobile", sa.String(32), nullable=False, index=True),
    sa.Column("event", sa.String(64), nullable=False),
    sa.Column("channel", sa.String(16), nullable=False),
    sa.Column("provider", sa.String(50), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("message_id", sa.String(200), nullable=False),
    sa.Column("error", sa.String(500), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("month", sa.String(7), nullable=False, index=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    **MYSQL_OPTIONS,
)

inbox_messages = sa.Table(
    "inbox_messages",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("idempotency_key", sa.String(200), nullable=False, unique=True),
    sa.Column("user_id", sa.BigInteger, nullable=False, index=True),
    sa.Column("event", sa.String(64), nullable=False),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("read_at", UtcDateTime),
    **MYSQL_OPTIONS,
)

#: Snowflake node numbers leased by running processes (ADR 0023): one holder per node until expiry.
node_leases = sa.Table(
    "node_leases",
    metadata,
    sa.Column("node", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("holder", sa.String(100), nullable=False),
    sa.Column("expires_at", UtcDateTime, nullable=False),
    **MYSQL_OPTIONS,
)

#: Signing-portal SMS codes, per link (a digest of its token): only a hash of the code is kept.
portal_codes = sa.Table(
    "portal_codes",
    metadata,
    sa.Column("link", sa.String(64), primary_key=True),
    sa.Column("code_hash", sa.String(64), nullable=False),
    sa.Column("sent_at", UtcDateTime, nullable=False),
    sa.Column("expires_at", UtcDateTime, nullable=False),
    sa.Column("failures", sa.Integer, nullable=False),
    sa.Column("link_expires_at", UtcDateTime, nullable=False, index=True),
    **MYSQL_OPTIONS,
)

#: Keys seen once by the open API and single sign-on (ADR 0042): a hash of (app, timestamp,
#: signature), of an HMAC nonce or of a ticket nonce, kept until its window has passed.
open_replay_keys = sa.Table(
    "open_replay_keys",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("expires_at", UtcDateTime, nullable=False, index=True),
    **MYSQL_OPTIONS,
)

#: System logs (系统日志, manual 四.2.1; ADR 0045): one row per HTTP request of the console, the
#: signing portal and the open API, and per application log record at WARNING or above. Written in
#: batches by a background writer; purged after the retention period.
system_logs = sa.Table(
    "system_logs",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("at", UtcDateTime, nullable=False, index=True),
    sa.Column("level", sa.String(10), nullable=False),
    sa.Column("area", sa.String(20), nullable=False),
    sa.Column("actor", sa.String(100), nullable=False),
    sa.Column("request_id", sa.String(64), nullable=False, index=True),
    sa.Column("method", sa.String(10), nullable=False),
    sa.Column("path", sa.String(500), nullable=False),
    sa.Column("status", sa.Integer),
    sa.Column("duration_ms", sa.Integer),
    sa.Column("logger", sa.String(100), nullable=False),
    sa.Column("node", sa.String(100), nullable=False),
    sa.Column("message", sa.String(2000), nullable=False),
    sa.Index("ix_system_logs_actor_at", "actor", "at"),
    sa.Index("ix_system_logs_area_level_at", "area", "level", "at"),
    **MYSQL_OPTIONS,
)

#: Cluster nodes (服务集群 / 服务监控, manual 四.2.2–2.3; ADR 0046): one row per running service of
#: a process (``<holder>/<service>``, the holder as in ``node_leases``), heartbeating. The checker
#: declares a silent node down with a conditional update (``down_since IS NULL``) that exactly one
#: checker wins; ``notified_episode`` / ``recovery_episode`` record which episode's notices are queued.
cluster_nodes = sa.Table(
    "cluster_nodes",
    metadata,
    sa.Column("id", sa.String(120), primary_key=True),
    sa.Column("service", sa.String(20), nullable=False),
    sa.Column("version", sa.String(40), nullable=False),
    sa.Column("host", sa.String(255), nullable=False),
    sa.Column("address", sa.String(255), nullable=False),
    sa.Column("pid", sa.Integer, nullable=False),
    sa.Column("snowflake_node", sa.Integer),
    sa.Column("started_at", UtcDateTime, nullable=False),
    sa.Column("heartbeat_at", UtcDateTime, nullable=False),
    sa.Column("stopped_at", UtcDateTime),
    sa.Column("down_since", UtcDateTime),
    sa.Column("down_episode", sa.Integer, nullable=False),
    sa.Column("notified_episode", sa.Integer, nullable=False),
    sa.Column("recovered_at", UtcDateTime),
    sa.Column("recovery_episode", sa.Integer, nullable=False),
    sa.Index("ix_cluster_nodes_service_host", "service", "host"),
    **MYSQL_OPTIONS,
)

#: Restart over SSH (服务器认证配置): per host, the SSH target, the private key sealed with the
#: SecretBox (purpose ``cluster-ssh``), the expected host key and the restart command.
cluster_ssh_targets = sa.Table(
    "cluster_ssh_targets",
    metadata,
    sa.Column("host", sa.String(255), primary_key=True),
    sa.Column("ssh_host", sa.String(255), nullable=False),
    sa.Column("ssh_port", sa.Integer, nullable=False),
    sa.Column("ssh_user", sa.String(64), nullable=False),
    sa.Column("private_key_ref", sa.Text, nullable=False),
    sa.Column("host_key", sa.Text, nullable=False),
    sa.Column("restart_command", sa.String(500), nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    **MYSQL_OPTIONS,
)

#: Call-detail records of the signing services (签署服务接入, manual 五.2): one row per provider
#: tried, written in batches by the dispatcher (ADR 0047).
signing_calls = sa.Table(
    "signing_calls",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("at", UtcDateTime, nullable=False, index=True),
    sa.Column("provider", sa.String(32), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("duration_ms", sa.Float, nullable=False),
    sa.Column("business_system", sa.String(100), nullable=False),
    sa.Column("file_subject", sa.String(100), nullable=False),
    sa.Column("error", sa.String(500), nullable=False),
    sa.Column("attempt", sa.Integer, nullable=False),
    sa.Index("ix_signing_calls_provider", "provider", "at"),
    **MYSQL_OPTIONS,
)

#: Directory sync (组织成员同步, ADR 0040): connected OA systems, run reports (with the per-company
#: checkpoint) and the links between OA records and our organizations / members.
org_sync_sources = sa.Table(
    "org_sync_sources",
    metadata,
    _id(),
    _version(),
    sa.Column("source", sa.String(40), nullable=False, unique=True),
    sa.Column("config", sa.JSON, nullable=False),
    sa.Column("member_sync", sa.Boolean, nullable=False),
    sa.Column("scopes", sa.JSON, nullable=False),
    sa.Column("completed", sa.JSON, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    **MYSQL_OPTIONS,
)

org_sync_reports = sa.Table(
    "org_sync_reports",
    metadata,
    _id(),
    _version(),
    sa.Column("source", sa.String(40), nullable=False),
    sa.Column("trigger", sa.String(20), nullable=False),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("started_at", UtcDateTime, nullable=False),
    sa.Column("heartbeat_at", UtcDateTime, nullable=False),
    sa.Column("finished_at", UtcDateTime),
    sa.Column("counts", sa.JSON, nullable=False),
    sa.Column("errors", sa.JSON, nullable=False),
    sa.Column("error_count", sa.Integer, nullable=False),
    sa.Column("companies_done", sa.JSON, nullable=False),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("resumed", sa.Integer, nullable=False),
    sa.Index("ix_org_sync_reports_source", "source", "started_at"),
    **MYSQL_OPTIONS,
)

org_sync_links = sa.Table(
    "org_sync_links",
    metadata,
    sa.Column("source", sa.String(40), primary_key=True),
    sa.Column("kind", sa.String(20), primary_key=True),
    sa.Column("external_id", sa.String(64), primary_key=True),
    sa.Column("local_id", sa.BigInteger, nullable=False, index=True),
    sa.Column("company_id", sa.String(64), nullable=False),
    sa.Column("user_id", sa.BigInteger),
    sa.Column("login", sa.String(100)),
    sa.Index("ix_org_sync_links_company", "source", "kind", "company_id"),
    **MYSQL_OPTIONS,
)

#: Children first: the order in which rows can be deleted.
DELETE_ORDER: tuple[sa.Table, ...] = tuple(reversed(metadata.sorted_tables))
