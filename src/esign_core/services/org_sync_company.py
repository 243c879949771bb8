"""One company of a directory sync run: its enterprise, its departments and its people, diffed
against our directory through the sync store in batches (see :mod:`esign_core.services.org_sync`)."""

from __future__ import annotations

from typing import Any

import attrs

from esign_core.errors import EsignError, InvalidValue
from esign_core.model.base import Aggregate
from esign_core.model.installation import QuotaKind
from esign_core.model.org import Member, MemberStatus, Organization, OrgUnitKind, TenantType
from esign_core.model.org_sync import LinkKind, SyncError, SyncLink, SyncReport, SyncScope
from esign_core.model.user import PersonalUser
from esign_core.ports.org_directory import OrgDirectory, OrgDirectoryError, OrgPerson, OrgUnit
from esign_core.ports.org_sync_store import OrgSyncStore
from esign_core.services.licensing import check_quota
from esign_core.values import Email, Phone

BATCH = 1000


def _account(cls: type, raw: str | None) -> Any:
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        return cls(raw)
    except InvalidValue:
        return None


def depth(unit: OrgUnit, by_id: dict[str, OrgUnit]) -> int:
    depth, seen, parent = 0, {unit.external_id}, unit.parent_id
    while parent in by_id and parent not in seen:
        seen.add(parent)
        depth += 1
        parent = by_id[parent].parent_id
    return depth


class _RowError(Exception):
    pass


@attrs.define
class CompanySync:
    run: Any  # org_sync._Run
    scope: SyncScope
    company: OrgUnit
    directory: OrgDirectory
    enterprise: Organization | None = None
    units: dict[str, int] = attrs.Factory(dict)  # OA department id → our org id
    new_users: dict[str, int] = attrs.Factory(dict)  # account → user id created in this company
    new_internal: int = 0
    new_enterprises: int = 0
    seen: set[str] = attrs.Factory(set)

    @property
    def store(self) -> OrgSyncStore:
        return self.run.store

    @property
    def report(self) -> SyncReport:
        return self.run.report

    @property
    def name(self) -> str:
        return self.run.source.source

    def error(self, ref: str, message: str) -> None:
        self.report.add_error(SyncError(company_id=self.company.external_id, ref=ref, message=message))

    def sync(self) -> None:
        self._enterprise()
        if self.enterprise is None:
            return
        self._departments()
        self._people()
        self._check_quotas()

    # -- the enterprise -------------------------------------------------------------------------
    def _enterprise(self) -> None:
        cid, store, now = self.company.external_id, self.store, self.run.clock.now()
        link = store.links(self.name, LinkKind.COMPANY, [cid]).get(cid)
        org: Organization | None = None
        if self.scope.target_org_id is not None:
            org = store.orgs_by_ids([self.scope.target_org_id]).get(self.scope.target_org_id)
            if org is None or org.deleted or org.tenant_type not in (TenantType.INNER_COMPANY, TenantType.CORPORATE) \
                    or org.unit_kind is OrgUnitKind.SECTION:
                self.error(f"company {cid}", f"目标企业 {self.scope.target_org_id} 不存在或不是内部企业 / the target "
                                             "enterprise does not exist or is not an internal enterprise")
                return
        elif link is not None:
            org = store.orgs_by_ids([link.local_id]).get(link.local_id)
            if org is not None and org.deleted:
                org = None
        updates: list[Aggregate] = []
        if org is None:
            named = store.orgs_by_names([self.company.name]).get(self.company.name)
            others = store.links(self.name, LinkKind.COMPANY, [s.company_id for s in self.run.source.scopes])
            taken = {lk.local_id for c, lk in others.items() if c != cid}  # two OA companies of one name
            if named is not None and named.tenant_type in (TenantType.INNER_COMPANY, TenantType.CORPORATE) \
                    and named.unit_kind is not OrgUnitKind.SECTION and named.id not in taken:
                org = named
            else:
                if self.company.disabled:
                    self.error(f"company {cid}", "该分部已封存，未创建 / the company is cancelled in the OA")
                    return
                parent = self._parent_enterprise()
                org = Organization.create(id=self.run.ids.next_id(), name=self.company.name,
                                          tenant_type=TenantType.INNER_COMPANY, unit_kind=OrgUnitKind.CHILD,
                                          parent_id=parent, at=now)
                store.add([org])
                self.report.count("orgs_created")
                self.new_enterprises += 1
        elif self.scope.target_org_id is None and org.name != self.company.name:
            org.rename(self.company.name)
            updates.append(org)
            self.report.count("orgs_updated")
        if self.company.disabled and not org.frozen and org.tenant_type is not TenantType.CORPORATE:
            org.freeze()
            if org not in updates:
                updates.append(org)
            self.report.count("orgs_disabled")
        store.update([u for u in updates if u.version > 0])
        if link is None:
            link = SyncLink(source=self.name, kind=LinkKind.COMPANY, external_id=cid, local_id=org.id, company_id=cid,
                            new=True)
            store.save_links([link])
        elif link.local_id != org.id:
            link.local_id = org.id
            store.save_links([link])
        self.enterprise = org

    def _parent_enterprise(self) -> int:
        parent = self.company.parent_id
        if parent and self.run.source.scope(parent) is not None:
            link = self.store.links(self.name, LinkKind.COMPANY, [parent]).get(parent)
            if link is not None:
                return link.local_id
        return self.run.platform_id

    # -- departments ----------------------------------------------------------------------------
    def _departments(self) -> None:
        assert self.enterprise is not None
        cid, store, now = self.company.external_id, self.store, self.run.clock.now()
        listed = {d.external_id: d for d in self.directory.departments([cid]) if d.company_id == cid}
        wanted = set(self.scope.department_ids) or set(listed)
        chosen = {k: v for k, v in listed.items() if k in wanted}
        links = store.links(self.name, LinkKind.DEPARTMENT, chosen)
        orgs = store.orgs_by_ids(link.local_id for link in links.values())
        by_name = store.orgs_by_names({d.name for d in chosen.values()})
        taken = {lk.local_id for lk in links.values()}  # already another OA department's unit
        adds: list[Aggregate] = []
        updates: list[Aggregate] = []
        changed_links: list[SyncLink] = []
        for dept in sorted(chosen.values(), key=lambda d: (depth(d, chosen), d.order, d.external_id)):
            parent = self.units.get(dept.parent_id or "", self.enterprise.id)
            link = links.get(dept.external_id)
            org = orgs.get(link.local_id) if link else None
            if org is not None and org.deleted:
                org = None
            if org is None:
                candidate = by_name.get(dept.name)
                if candidate is not None and candidate.unit_kind is OrgUnitKind.SECTION \
                        and candidate.parent_id == parent and not candidate.deleted \
                        and candidate.id not in taken and candidate.id not in self.units.values():
                    org = candidate
                elif dept.disabled:
                    continue
                else:
                    org = Organization.create(id=self.run.ids.next_id(), name=dept.name,
                                              tenant_type=TenantType.INNER_COMPANY, unit_kind=OrgUnitKind.SECTION,
                                              parent_id=parent, at=now)
                    adds.append(org)
                    self.report.count("departments_created")
            else:
                changed = False
                if org.name != dept.name:
                    org.rename(dept.name)
                    changed = True
                if org.parent_id != parent and parent != org.id:
                    org.move_under(parent)
                    changed = True
                if changed:
                    updates.append(org)
                    self.report.count("departments_updated")
            if dept.disabled and not org.frozen:
                org.freeze()
                if org not in updates and org not in adds:
                    updates.append(org)
                self.report.count("departments_disabled")
            self.units[dept.external_id] = org.id
            if link is None:
                changed_links.append(SyncLink(source=self.name, kind=LinkKind.DEPARTMENT, external_id=dept.external_id,
                                              local_id=org.id, company_id=cid, new=True))
            elif link.local_id != org.id or link.company_id != cid:
                link.local_id, link.company_id = org.id, cid
                changed_links.append(link)
        # departments this company had and the OA no longer lists: frozen, never deleted
        gone = [link for link in store.links_in_company(self.name, LinkKind.DEPARTMENT, cid)
                if link.external_id not in listed]
        for org in store.orgs_by_ids(link.local_id for link in gone).values():
            if not org.frozen and not org.deleted:
                org.freeze()
                updates.append(org)
                self.report.count("departments_disabled")
        store.add(adds)
        store.update(updates)
        store.save_links(changed_links)

    # -- people ---------------------------------------------------------------------------------
    def _people(self) -> None:
        cid = self.company.external_id
        batch: list[OrgPerson] = []
        for person in self.directory.people([cid], self.scope.department_ids):
            batch.append(person)
            if len(batch) >= BATCH:
                self._batch(batch)
                self._flush()
                batch = []
        if batch:
            self._batch(batch)
        gone = [link for link in self.store.links_in_company(self.name, LinkKind.PERSON, cid)
                if link.external_id not in self.seen]
        members = self.store.members_by_ids(link.local_id for link in gone)
        active = [m for m in members.values() if m.status is MemberStatus.ACTIVE]
        if active and not self.seen:
            raise OrgDirectoryError(
                f"the OA returned no people for company {cid} although {len(active)} synced members are active; "
                "nothing was disabled (check the OA's answer and its IP allow-list)")
        for m in active:
            m.depart(freeze=True)
            self.report.count("members_disabled")
        self.store.update(active)

    def _batch(self, people: list[OrgPerson]) -> None:
        assert self.enterprise is not None
        store = self.store
        fresh = []
        for p in people:
            if p.external_id in self.seen:
                continue  # listed under two departments: the first one wins
            self.seen.add(p.external_id)
            fresh.append(p)
        links = store.links(self.name, LinkKind.PERSON, (p.external_id for p in fresh))
        members = store.members_by_ids(link.local_id for link in links.values())
        accounts: dict[str, tuple[Phone | None, Email | None]] = {
            p.external_id: (_account(Phone, p.mobile), _account(Email, p.email)) for p in fresh}
        # Linked people: their users by id (a primary-key look-up); by account only the people not
        # linked yet or whose mobile / e-mail changed in the OA (an idle re-sync asks for none).
        member_of = {p.external_id: members.get(links[p.external_id].local_id) for p in fresh
                     if p.external_id in links}
        users_by_id = store.users_by_ids(m.user_id for m in member_of.values() if m is not None)
        wanted: set[str] = set()
        unlinked: set[str] = set()
        for p in fresh:
            m = member_of.get(p.external_id)
            user = users_by_id.get(m.user_id) if m is not None else None
            mobile, email = accounts[p.external_id]
            if user is None or (mobile is not None and user.mobile != mobile) or \
                    (email is not None and user.email != email):
                keys = {str(a) for a in (mobile, email) if a is not None}
                wanted |= keys
                if user is None:
                    unlinked |= keys
        users = store.users_by_accounts(wanted)
        for u in users.values():
            users_by_id.setdefault(u.id, u)
        for u in list(users_by_id.values()):
            for key in (str(u.mobile or ""), str(u.email or "")):
                if key:
                    users.setdefault(key, u)
        by_unit: dict[tuple[int, int], Member] = {}
        for m in store.members_of_users({users[k].id for k in unlinked if k in users}):
            if m.status is MemberStatus.ACTIVE:
                by_unit.setdefault((m.org_id, m.user_id), m)
        adds: list[Aggregate] = []
        updates: dict[int, Aggregate] = {}
        changed_links: list[SyncLink] = []
        for p in fresh:
            ref = f"person {p.external_id}"
            try:
                unit = next((self.units[d] for d in p.department_ids if d in self.units), self.enterprise.id)
                mobile, email = accounts[p.external_id]
                if mobile is None and email is None:
                    raise _RowError(f"{p.name}: 没有可用的手机号或邮箱 / neither a valid mobile nor an e-mail")
                link = links.get(p.external_id)
                member = members.get(link.local_id) if link else None
                if member is None:
                    if p.disabled:
                        continue
                    user_id = self._user(p, mobile, email, users, adds, updates)
                    member = by_unit.get((unit, user_id))
                    if member is None:
                        member = Member(id=self.run.ids.next_id(), org_id=unit, user_id=user_id, name=p.name,
                                        number=p.number, joined_at=self.run.clock.now())
                        adds.append(member)
                        by_unit[(unit, user_id)] = member
                        self.report.count("members_created")
                    else:
                        self.report.count("unchanged")
                    link = link or SyncLink(source=self.name, kind=LinkKind.PERSON, external_id=p.external_id,
                                            local_id=member.id, new=True)
                    link.local_id, link.user_id, link.company_id, link.login = member.id, user_id, \
                        self.company.external_id, p.login
                    changed_links.append(link)
                    continue
                if self._update_member(p, member, unit, mobile, email, users, users_by_id, updates):
                    self.report.count("members_updated" if not p.disabled else "members_disabled")
                else:
                    self.report.count("unchanged")
                if (link.company_id, link.login) != (self.company.external_id, p.login):
                    link.company_id, link.login = self.company.external_id, p.login
                    changed_links.append(link)
            except (_RowError, EsignError) as exc:
                self.error(ref, exc.message if isinstance(exc, EsignError) else str(exc))
        store.add(adds)
        store.update(list(updates.values()))
        store.save_links(changed_links)

    def _user(self, p: OrgPerson, mobile: Phone | None, email: Email | None, users: dict[str, PersonalUser],
              adds: list[Aggregate], updates: dict[int, Aggregate]) -> int:
        keys = [str(a) for a in (mobile, email) if a is not None]
        found = {users[k].id for k in keys if k in users} | {self.new_users[k] for k in keys if k in self.new_users}
        if len(found) > 1:
            raise _RowError(f"{p.name}: 手机号和邮箱属于两个不同用户 / the mobile and the e-mail belong to two users")
        if found:
            user = next((users[k] for k in keys if k in users), None)
            if user is not None and not user.internal:
                user.become_internal()
                self.new_internal += 1
                updates[user.id] = user
            return found.pop()
        user = PersonalUser(id=self.run.ids.next_id(), name=p.name, mobile=mobile, email=email, internal=True,
                            passwordless=True, created_at=self.run.clock.now())
        adds.append(user)
        for k in keys:
            self.new_users[k] = user.id
        self.new_internal += 1
        self.report.count("users_created")
        return user.id

    def _update_member(self, p: OrgPerson, member: Member, unit: int, mobile: Phone | None, email: Email | None,
                       users: dict[str, PersonalUser], users_by_id: dict[int, PersonalUser],
                       updates: dict[int, Aggregate]) -> bool:
        """Bring an existing member in line with the OA; True when anything changed."""
        if p.disabled:
            if member.status is MemberStatus.ACTIVE:
                member.depart(freeze=True)
                updates[member.id] = member
                return True
            return False
        changed = False
        if member.status is not MemberStatus.ACTIVE:
            member.rejoin()
            changed = True
        if (member.name, member.number) != (p.name, (p.number or "").strip()[:64] or None):
            member.edit(name=p.name, number=p.number)
            changed = True
        if member.org_id != unit:
            member.move_to(unit)
            changed = True
        user = users_by_id.get(member.user_id)
        wanted = (mobile or (user.mobile if user else None), email or (user.email if user else None))
        if user is not None and (user.mobile, user.email) != wanted:
            others = {users[str(a)].id for a in (mobile, email) if a is not None and str(a) in users} - {user.id}
            if others:
                raise _RowError(f"{p.name}: 手机号或邮箱已被其他用户使用 / the mobile or e-mail is another user's")
            user.edit(name=user.name, mobile=wanted[0], email=wanted[1])
            updates[user.id] = user
            changed = True
        if changed:
            updates[member.id] = member
        return changed

    def _flush(self) -> None:
        """Commit what is done so far, with the report's counts (not the checkpoint: a company is
        done only at its end). The write lock of SQLite is held for one batch, not a whole
        company; a run stopped later redoes the company, finding these rows unchanged."""
        self._check_quotas()
        self.new_internal = self.new_enterprises = 0
        self.report.heartbeat_at = self.run.clock.now()
        self.store.save_report(self.report)
        self.store.commit()

    def _check_quotas(self) -> None:
        with self.run.uow as uow:
            for quota, adding in ((QuotaKind.INTERNAL_USERS, self.new_internal),
                                  (QuotaKind.INTERNAL_ENTERPRISES, self.new_enterprises)):
                if adding:
                    check_quota(uow, quota, clock=self.run.clock, adding=adding, lock=False)
