"""The OrgDirectory contract (``esign_core.ports.org_directory``) as a pytest suite every
directory adapter runs against its test server.

Subclass :class:`OrgDirectoryContract` and define the fixture ``org_directory``: a directory
reading an organisation with at least one company, several departments and people, some of them
without a mobile number or an e-mail address. Subclass :class:`OrgDirectoryDownContract` and
define ``down_org_directory`` (pointed at a closed port) to prove an unreachable OA fails with
OrgDirectoryError rather than a transport exception.
"""

from __future__ import annotations

from esign_core.ports.org_directory import OrgDirectory, OrgDirectoryError, OrgPerson, OrgUnit, UnitKind


class OrgDirectoryContract:
    def test_it_names_its_source(self, org_directory: OrgDirectory) -> None:
        assert isinstance(org_directory.source, str) and org_directory.source

    def test_companies_are_companies_with_unique_ids(self, org_directory: OrgDirectory) -> None:
        companies = list(org_directory.companies())
        assert companies and all(isinstance(c, OrgUnit) and c.kind is UnitKind.COMPANY for c in companies)
        assert len({c.external_id for c in companies}) == len(companies)
        assert all(c.company_id is None for c in companies)

    def test_departments_belong_to_listed_companies_and_parents(self, org_directory: OrgDirectory) -> None:
        companies = {c.external_id for c in org_directory.companies()}
        departments = list(org_directory.departments(()))
        assert departments and all(d.kind is UnitKind.DEPARTMENT for d in departments)
        ids = {d.external_id for d in departments}
        assert len(ids) == len(departments)
        for d in departments:
            assert d.company_id in companies and d.name
            assert d.parent_id is None or d.parent_id in ids, d

    def test_departments_are_narrowed_to_the_companies_asked(self, org_directory: OrgDirectory) -> None:
        assert list(org_directory.departments(["no-such-company"])) == []

    def test_people_are_listed_once_in_known_units(self, org_directory: OrgDirectory) -> None:
        companies = {c.external_id for c in org_directory.companies()}
        departments = {d.external_id for d in org_directory.departments(())}
        people = list(org_directory.people(()))
        assert people and all(isinstance(p, OrgPerson) for p in people)
        assert len({p.external_id for p in people}) == len(people)
        for p in people:
            assert p.company_id in companies and p.name
            assert set(p.department_ids) <= departments, p
            assert p.mobile is None or p.mobile.strip() == p.mobile != ""
            assert p.email is None or p.email.strip() == p.email != ""

    def test_people_without_contacts_have_none(self, org_directory: OrgDirectory) -> None:
        people = list(org_directory.people(()))
        assert any(p.mobile is None for p in people) and any(p.mobile for p in people)

    def test_people_are_narrowed_to_the_departments_asked(self, org_directory: OrgDirectory) -> None:
        departments = list(org_directory.departments(()))
        chosen = departments[-1]
        narrowed = list(org_directory.people((chosen.company_id or "",), (chosen.external_id,)))
        assert narrowed and all(chosen.external_id in p.department_ids for p in narrowed)

    def test_contacts_stay_out_of_repr(self, org_directory: OrgDirectory) -> None:
        person = next(p for p in org_directory.people(()) if p.mobile)
        assert person.mobile not in repr(person)


class OrgDirectoryDownContract:
    def test_an_unreachable_directory_raises_org_directory_error(self, down_org_directory: OrgDirectory) -> None:
        try:
            list(down_org_directory.companies())
        except OrgDirectoryError as exc:
            assert str(exc)
        else:
            raise AssertionError("an unreachable directory listed companies")
