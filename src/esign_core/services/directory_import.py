"""Batch import (批量导入) of org units, external enterprises, members and contacts.

Rows are streamed in batches: each batch is validated, looked up against the directory in one
query per key kind, and written in bulk inside the sink's single transaction. A row is
*created*, *updated* (same natural key, other data), *skipped* (nothing to change — so importing
a file twice changes nothing the second time) or *rejected* with a reason. In atomic mode (the
default) any rejected row rolls the whole import back. Memory grows only with the natural keys
of the file (for the in-file duplicate check), never with whole rows."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import attrs

from esign_core.errors import DomainError, EsignError
from esign_core.model.base import Aggregate
from esign_core.model.import_rows import SPECS, ImportKind, ImportSpec, check_headers, parse_row
from esign_core.model.installation import QuotaKind
from esign_core.model.org import (
    Contact,
    ContactKind,
    Member,
    MemberRole,
    MemberStatus,
    Organization,
    OrgUnitKind,
    TenantType,
)
from esign_core.model.user import PersonalUser
from esign_core.ports import Clock, IdGenerator, UnitOfWork
from esign_core.ports.directory_sink import DirectorySink
from esign_core.services.licensing import check_quota, require_valid_licence

BATCH = 1000
Row = tuple[int, Sequence[object]]  # (1-based sheet row number, cells)


@attrs.define
class ImportReport:
    kind: ImportKind
    created: int = 0
    updated: int = 0
    skipped: int = 0
    rejections: dict[int, str] = attrs.Factory(dict)  # sheet row number → reason
    applied: bool = False  # False: nothing was written (atomic mode with rejections)

    @property
    def rejected(self) -> int:
        return len(self.rejections)

    @property
    def rows(self) -> int:
        return self.created + self.updated + self.skipped + self.rejected


class _Reject(Exception):
    pass


@attrs.define
class _Run:
    spec: ImportSpec
    sink: DirectorySink
    clock: Clock
    ids: IdGenerator
    report: ImportReport
    seen: dict[Any, int] = attrs.Factory(dict)  # natural key → first row
    new_users: dict[str, int] = attrs.Factory(dict)  # account → id of a user created by this import
    new_internal: int = 0
    new_external: int = 0
    new_enterprises: dict[TenantType, int] = attrs.Factory(dict)

    # -- one batch ----------------------------------------------------------------------------
    def batch(self, rows: list[Row]) -> None:
        parsed: list[tuple[int, dict[str, Any]]] = []
        for row_no, cells in rows:
            try:
                parsed.append((row_no, parse_row(self.spec, cells)))
            except EsignError as exc:
                self.report.rejections[row_no] = exc.message
        handler = getattr(self, "_" + self.spec.kind.name.lower())
        adds, updates = handler(parsed)
        self.sink.add(adds)
        self.sink.update(updates)

    def _dedupe(self, row_no: int, key: Any, label: str) -> None:
        first = self.seen.setdefault(key, row_no)
        if first != row_no:
            raise _Reject(f"与第{first}行重复 / duplicate of row {first} ({label})")

    def _user_for(self, account_values: list[Any], name: str, users: dict[str, PersonalUser],
                  *, internal: bool, adds: list[Aggregate], updates: list[Aggregate]) -> int:
        accounts = [str(a) for a in account_values if a is not None]
        found = {users[a].id for a in accounts if a in users} | {self.new_users[a] for a in accounts
                                                                if a in self.new_users}
        if len(found) > 1:
            raise _Reject("手机号和邮箱属于两个不同用户 / the mobile and the e-mail belong to two users")
        if found:
            user_id = found.pop()
            user = next((users[a] for a in accounts if a in users), None)
            if user is not None and internal and not user.internal:
                user.become_internal()
                self.new_internal += 1
                updates.append(user)
            return user_id
        mobile = next((a for a in account_values if a is not None and "@" not in str(a)), None)
        email = next((a for a in account_values if a is not None and "@" in str(a)), None)
        user = PersonalUser(id=self.ids.next_id(), name=name, mobile=mobile, email=email, internal=internal,
                            created_at=self.clock.now())
        adds.append(user)
        for a in accounts:
            self.new_users[a] = user.id
        if internal:
            self.new_internal += 1
        else:
            self.new_external += 1
        return user.id

    def _enterprises(self, parsed: list[tuple[int, dict[str, Any]]], tenant_type: TenantType):
        names = {v["name"] for _, v in parsed} | {v.get("parent") for _, v in parsed if v.get("parent")}
        orgs = self.sink.orgs_by_names(n for n in names if n)
        by_uscc = self.sink.orgs_by_usccs(str(v["uscc"]) for _, v in parsed if v.get("uscc"))
        users = self.sink.users_by_accounts(str(v["admin_mobile"]) for _, v in parsed)
        adds: list[Aggregate] = []
        updates: list[Aggregate] = []
        for row_no, v in parsed:
            try:
                self._dedupe(row_no, ("org", v["name"]), v["name"])
                if v.get("uscc") is not None:
                    self._dedupe(row_no, ("uscc", str(v["uscc"])), str(v["uscc"]))
                existing = orgs.get(v["name"])
                owner = by_uscc.get(str(v["uscc"])) if v.get("uscc") else None
                if owner is not None and (existing is None or owner.id != existing.id):
                    raise _Reject(f"统一社会信用代码已被 {owner.name} 使用 / USCC already used by {owner.name}")
                if existing is not None:
                    self._existing_enterprise(existing, v, tenant_type, orgs, updates)
                    continue
                self._new_enterprise(v, tenant_type, orgs, users, adds, updates)
                self.report.created += 1
            except (_Reject, EsignError) as exc:
                self.report.rejections[row_no] = exc.message if isinstance(exc, EsignError) else str(exc)
        return adds, updates

    def _parent_of(self, v: dict[str, Any], orgs: dict[str, Organization]) -> Organization | None:
        if "parent" not in v:
            return None
        parent = orgs.get(v["parent"])
        if parent is None or parent.tenant_type is TenantType.COMPANY:
            raise _Reject(f"上级组织单元不存在 / parent unit {v['parent']!r} does not exist")
        return parent

    def _existing_enterprise(self, org: Organization, v: dict[str, Any], tenant_type: TenantType,
                             orgs: dict[str, Organization], updates: list[Aggregate]) -> None:
        parent = self._parent_of(v, orgs)
        same_place = org.tenant_type is tenant_type and (parent is None or org.parent_id == parent.id)
        if not same_place:
            raise _Reject(f"名称已被其他组织使用 / the name {org.name!r} is taken by another organization")
        if v.get("uscc") is not None and org.uscc is None:
            org.uscc = v["uscc"]
            updates.append(org)
            self.report.updated += 1
        else:
            self.report.skipped += 1

    def _new_enterprise(self, v: dict[str, Any], tenant_type: TenantType, orgs: dict[str, Organization],
                        users: dict[str, PersonalUser], adds: list[Aggregate], updates: list[Aggregate]) -> None:
        parent = self._parent_of(v, orgs)
        kind = OrgUnitKind.COMPANY if tenant_type is TenantType.COMPANY else OrgUnitKind(v["type"])
        org = Organization.create(id=self.ids.next_id(), name=v["name"], tenant_type=tenant_type, unit_kind=kind,
                                  parent_id=parent.id if parent else None, uscc=v.get("uscc"), at=self.clock.now())
        internal = tenant_type is TenantType.INNER_COMPANY
        user_id = self._user_for([v["admin_mobile"]], v["admin_name"], users, internal=internal, adds=adds,
                                 updates=updates)
        member = Member(id=self.ids.next_id(), org_id=org.id, user_id=user_id, name=v["admin_name"],
                        roles=frozenset({MemberRole.SYSTEM}), joined_at=self.clock.now())
        org.assign_admin(member.id)
        adds.extend((org, member))
        orgs[org.name] = org
        if kind is not OrgUnitKind.SECTION:
            self.new_enterprises[tenant_type] = self.new_enterprises.get(tenant_type, 0) + 1

    def _org_units(self, parsed: list[tuple[int, dict[str, Any]]]):
        return self._enterprises(parsed, TenantType.INNER_COMPANY)

    def _external_enterprises(self, parsed: list[tuple[int, dict[str, Any]]]):
        return self._enterprises(parsed, TenantType.COMPANY)

    def _members(self, parsed: list[tuple[int, dict[str, Any]]]):
        units = self.sink.orgs_by_names({v["unit"] for _, v in parsed})
        accounts = {str(a) for _, v in parsed for a in (v["mobile"], v["email"]) if a is not None}
        users = self.sink.users_by_accounts(accounts)
        memberships: dict[tuple[int, int], Member] = {}
        for m in self.sink.members_of_users({u.id for u in users.values()}):
            if m.status is MemberStatus.ACTIVE:
                memberships[(m.org_id, m.user_id)] = m
        adds: list[Aggregate] = []
        updates: list[Aggregate] = []
        for row_no, v in parsed:
            try:
                unit = units.get(v["unit"])
                if unit is None or unit.tenant_type is TenantType.COMPANY:
                    raise _Reject(f"所属组织单元不存在 / unit {v['unit']!r} does not exist")
                account = str(v["mobile"] or v["email"])
                self._dedupe(row_no, ("member", unit.id, account), account)
                user_id = self._user_for([v["mobile"], v["email"]], v["name"], users, internal=True, adds=adds,
                                         updates=updates)
                member = memberships.get((unit.id, user_id))
                if member is None:
                    member = Member(id=self.ids.next_id(), org_id=unit.id, user_id=user_id, name=v["name"],
                                    number=v["number"], joined_at=self.clock.now())
                    adds.append(member)
                    memberships[(unit.id, user_id)] = member
                    self.report.created += 1
                elif (member.name, member.number) != (v["name"], v["number"]):
                    member.edit(name=v["name"], number=v["number"])
                    updates.append(member)
                    self.report.updated += 1
                else:
                    self.report.skipped += 1
            except (_Reject, EsignError) as exc:
                self.report.rejections[row_no] = exc.message if isinstance(exc, EsignError) else str(exc)
        return adds, updates

    def _contacts(self, parsed: list[tuple[int, dict[str, Any]]], kind: ContactKind):
        accounts = {str(v["mobile"] or v["email"]) for _, v in parsed}
        existing = {c.key: c for c in self.sink.contacts_by_accounts(kind, accounts)}
        adds: list[Aggregate] = []
        updates: list[Aggregate] = []
        for row_no, v in parsed:
            try:
                enterprise = v.get("enterprise_name") or ""
                key = (kind.value, enterprise, str(v["mobile"] or v["email"]))
                self._dedupe(row_no, key, key[2])
                contact = existing.get(key)
                if contact is None:
                    contact = Contact(id=self.ids.next_id(), kind=kind, name=v["name"], mobile=v["mobile"],
                                      email=v["email"], number=v["number"], enterprise_name=enterprise or None)
                    adds.append(contact)
                    self.report.created += 1
                elif (contact.name, contact.mobile, contact.email, contact.number) != (
                        v["name"], v["mobile"], v["email"], v["number"]):
                    contact.edit(name=v["name"], mobile=v["mobile"], email=v["email"], number=v["number"],
                                 enterprise_name=enterprise or None)
                    updates.append(contact)
                    self.report.updated += 1
                else:
                    self.report.skipped += 1
            except (_Reject, EsignError) as exc:
                self.report.rejections[row_no] = exc.message if isinstance(exc, EsignError) else str(exc)
        return adds, updates

    def _enterprise_contacts(self, parsed: list[tuple[int, dict[str, Any]]]):
        return self._contacts(parsed, ContactKind.ENTERPRISE)

    def _personal_contacts(self, parsed: list[tuple[int, dict[str, Any]]]):
        return self._contacts(parsed, ContactKind.PERSONAL)

    def check_quotas(self, uow: UnitOfWork) -> None:
        """Raise QuotaExceeded when what this import adds does not fit the licence."""
        wanted = {
            QuotaKind.INTERNAL_USERS: self.new_internal,
            QuotaKind.EXTERNAL_USERS: self.new_external,
            QuotaKind.INTERNAL_ENTERPRISES: self.new_enterprises.get(TenantType.INNER_COMPANY, 0),
            QuotaKind.EXTERNAL_ENTERPRISES: self.new_enterprises.get(TenantType.COMPANY, 0),
        }
        with uow:
            for quota, adding in wanted.items():
                if adding:
                    # The sink's open transaction holds the written rows (and, on SQLite, the write
                    # lock), so the installation row is not locked here; see check_quota.
                    check_quota(uow, quota, clock=self.clock, adding=adding, lock=False)


def import_directory(kind: ImportKind, header: Sequence[object], rows: Iterable[Row], *, sink: DirectorySink,
                     uow: UnitOfWork, clock: Clock, ids: IdGenerator, atomic: bool = True,
                     progress: Callable[[int], None] | None = None) -> ImportReport:
    """Import ``rows`` (after the template's ``header`` row) of one template kind.

    Returns the report; ``report.applied`` says whether anything was written. Raises
    InvalidValue when the header is not the template's, NotInitialized / LicenceError, and
    QuotaExceeded when the new enterprises or users do not fit the licence (nothing written)."""
    spec = SPECS[kind]
    check_headers(spec, header)
    with uow:
        require_valid_licence(uow, clock=clock)
    report = ImportReport(kind)
    run = _Run(spec, sink, clock, ids, report)
    done = 0
    with sink:
        batch: list[Row] = []
        for row in rows:
            if not any(str(c).strip() for c in row[1] if c is not None):
                continue  # blank line
            batch.append(row)
            if len(batch) >= BATCH:
                run.batch(batch)
                done += len(batch)
                batch = []
                if progress:
                    progress(done)
        if batch:
            run.batch(batch)
            done += len(batch)
            if progress:
                progress(done)
        if atomic and report.rejections:
            return report
        if report.created + report.updated == 0:
            report.applied = not report.rejections or not atomic
            return report
        run.check_quotas(uow)
        sink.commit()
        report.applied = True
    return report


__all__ = ["BATCH", "DomainError", "ImportReport", "import_directory"]
