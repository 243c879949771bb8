"""Mappers of the installation, organizations, members, users, contacts, admin accounts and roles."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from esign_adapters.db import tables as t
from esign_adapters.db.mappers import Mapper, Row, enum_set_in, enum_set_out, id_set_out, text_or_none
from esign_core.model.installation import Installation, Licence, Quotas
from esign_core.model.org import (
    Contact,
    ContactKind,
    Member,
    MemberRole,
    MemberStatus,
    Organization,
    OrgUnitKind,
    TenantStatus,
    TenantType,
)
from esign_core.model.user import AdminAccount, Permission, PersonalUser, Role
from esign_core.values import Email, IdNumber, Phone, Uscc


class InstallationMapper(Mapper[Installation]):
    name = "installation"
    table = t.installation

    def to_row(self, item: Installation) -> Row:
        lic, q = item.licence, item.licence.quotas
        return {
            "id": item.id,
            "version": item.version,
            "product_code": item.product_code,
            "licence_code": item.licence_code,
            "use_external_api": item.use_external_api,
            "platform_org_id": item.platform_org_id,
            "initialized_at": item.initialized_at,
            "licence_id": lic.licence_id,
            "licence_product_code": lic.product_code,
            "licensee": lic.licensee,
            "licence_issued_at": lic.issued_at,
            "licence_expires_at": lic.expires_at,
            "quota_internal_enterprises": q.internal_enterprises,
            "quota_internal_users": q.internal_users,
            "quota_external_enterprises": q.external_enterprises,
            "quota_external_users": q.external_users,
        }

    def from_row(self, row: Mapping[str, Any]) -> Installation:
        quotas = Quotas(
            internal_enterprises=row["quota_internal_enterprises"],
            internal_users=row["quota_internal_users"],
            external_enterprises=row["quota_external_enterprises"],
            external_users=row["quota_external_users"],
        )
        licence = Licence(
            licence_id=row["licence_id"],
            product_code=row["licence_product_code"],
            licensee=row["licensee"],
            issued_at=row["licence_issued_at"],
            expires_at=row["licence_expires_at"],
            quotas=quotas,
        )
        return Installation(
            id=row["id"],
            version=row["version"],
            product_code=row["product_code"],
            licence=licence,
            licence_code=row["licence_code"],
            use_external_api=row["use_external_api"],
            platform_org_id=row["platform_org_id"],
            initialized_at=row["initialized_at"],
        )


class OrganizationMapper(Mapper[Organization]):
    name = "organizations"
    table = t.organizations

    def to_row(self, item: Organization) -> Row:
        return {
            "id": item.id,
            "version": item.version,
            "name": item.name,
            "tenant_type": item.tenant_type.value,
            "unit_kind": item.unit_kind.value,
            "parent_id": item.parent_id,
            "uscc": text_or_none(item.uscc),
            "legal_person": item.legal_person,
            "status": item.status.value,
            "frozen": item.frozen,
            "deleted": item.deleted,
            "admin_member_id": item.admin_member_id,
            "created_at": item.created_at,
            "certification_reason": item.certification_reason,
        }

    def from_row(self, row: Mapping[str, Any]) -> Organization:
        return Organization(
            id=row["id"],
            version=row["version"],
            name=row["name"],
            tenant_type=TenantType(row["tenant_type"]),
            unit_kind=OrgUnitKind(row["unit_kind"]),
            parent_id=row["parent_id"],
            uscc=Uscc(row["uscc"]) if row["uscc"] is not None else None,
            legal_person=row["legal_person"],
            status=TenantStatus(row["status"]),
            frozen=row["frozen"],
            deleted=row["deleted"],
            admin_member_id=row["admin_member_id"],
            created_at=row["created_at"],
            certification_reason=row["certification_reason"],
        )


class MemberMapper(Mapper[Member]):
    name = "members"
    table = t.members

    def to_row(self, item: Member) -> Row:
        return {
            "id": item.id,
            "version": item.version,
            "org_id": item.org_id,
            "user_id": item.user_id,
            "name": item.name,
            "number": item.number,
            "roles": enum_set_out(item.roles),
            "status": item.status.value,
            "joined_at": item.joined_at,
        }

    def from_row(self, row: Mapping[str, Any]) -> Member:
        return Member(
            id=row["id"],
            version=row["version"],
            org_id=row["org_id"],
            user_id=row["user_id"],
            name=row["name"],
            number=row["number"],
            roles=enum_set_in(MemberRole, row["roles"]),
            status=MemberStatus(row["status"]),
            joined_at=row["joined_at"],
        )


class UserMapper(Mapper[PersonalUser]):
    name = "users"
    table = t.users

    def to_row(self, item: PersonalUser) -> Row:
        return {
            "id": item.id,
            "version": item.version,
            "name": item.name,
            "mobile": text_or_none(item.mobile),
            "email": text_or_none(item.email),
            "id_number": text_or_none(item.id_number),
            "auth_status": item.auth_status.value,
            "frozen": item.frozen,
            "internal": item.internal,
            "created_at": item.created_at,
            "passwordless": item.passwordless,
            "totp_secret_ref": item.totp_secret_ref,
            "signing_password_hash": item.signing_password_hash,
            "signing_password_changed_at": item.signing_password_changed_at,
        }

    def from_row(self, row: Mapping[str, Any]) -> PersonalUser:
        return PersonalUser(
            id=row["id"],
            version=row["version"],
            name=row["name"],
            mobile=Phone(row["mobile"]) if row["mobile"] is not None else None,
            email=Email(row["email"]) if row["email"] is not None else None,
            id_number=IdNumber(row["id_number"]) if row["id_number"] is not None else None,
            auth_status=TenantStatus(row["auth_status"]),
            frozen=row["frozen"],
            internal=row["internal"],
            created_at=row["created_at"],
            passwordless=row["passwordless"],
            totp_secret_ref=row["totp_secret_ref"],
            signing_password_hash=row["signing_password_hash"],
            signing_password_changed_at=row.get("signing_password_changed_at"),
        )


class ContactMapper(Mapper[Contact]):
    name = "contacts"
    table = t.contacts

    def to_row(self, item: Contact) -> Row:
        return {
            "id": item.id,
            "version": item.version,
            "kind": item.kind.value,
            "name": item.name,
            "mobile": text_or_none(item.mobile),
            "email": text_or_none(item.email),
            "number": item.number,
            "enterprise_name": item.enterprise_name,
            "deleted": item.deleted,
        }

    def from_row(self, row: Mapping[str, Any]) -> Contact:
        return Contact(
            id=row["id"],
            version=row["version"],
            kind=ContactKind(row["kind"]),
            name=row["name"],
            mobile=Phone(row["mobile"]) if row["mobile"] is not None else None,
            email=Email(row["email"]) if row["email"] is not None else None,
            number=row["number"],
            enterprise_name=row["enterprise_name"],
            deleted=row["deleted"],
        )


class AdminAccountMapper(Mapper[AdminAccount]):
    name = "admins"
    table = t.admin_accounts

    def to_row(self, item: AdminAccount) -> Row:
        return {
            "id": item.id,
            "version": item.version,
            "username": item.username,
            "display_name": item.display_name,
            "password_hash": item.password_hash,
            "role_ids": id_set_out(item.role_ids),
            "is_system": item.system,
            "disabled": item.disabled,
            "failed_logins": item.failed_logins,
            "locked_until": item.locked_until,
            "password_changed_at": item.password_changed_at,
            "last_login_at": item.last_login_at,
            "mfa_secret_ref": item.mfa_secret_ref,
            "mobile": str(item.mobile) if item.mobile else None,
            "session_generation": item.session_generation,
            "totp_last_step": item.totp_last_step,
        }

    def from_row(self, row: Mapping[str, Any]) -> AdminAccount:
        return AdminAccount(
            id=row["id"],
            version=row["version"],
            username=row["username"],
            display_name=row["display_name"],
            password_hash=row["password_hash"],
            role_ids=frozenset(row["role_ids"]),
            system=row["is_system"],
            disabled=row["disabled"],
            failed_logins=row["failed_logins"],
            locked_until=row["locked_until"],
            password_changed_at=row["password_changed_at"],
            last_login_at=row["last_login_at"],
            mfa_secret_ref=row["mfa_secret_ref"],
            mobile=Phone(row["mobile"]) if row.get("mobile") else None,
            session_generation=row.get("session_generation") or 0,
            totp_last_step=row.get("totp_last_step"),
        )


class RoleMapper(Mapper[Role]):
    name = "roles"
    table = t.roles

    def to_row(self, item: Role) -> Row:
        return {
            "id": item.id,
            "version": item.version,
            "name": item.name,
            "description": item.description,
            "permissions": enum_set_out(item.permissions),
            "builtin": item.builtin,
        }

    def from_row(self, row: Mapping[str, Any]) -> Role:
        return Role(
            id=row["id"],
            version=row["version"],
            name=row["name"],
            description=row["description"],
            permissions=enum_set_in(Permission, row["permissions"]),
            builtin=row["builtin"],
        )
