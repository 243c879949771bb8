"""Members, personal users and contacts (manual 二.2 and 二.3): single add, edit, freeze, the
departed-employee policy, and the address book. Licence quotas apply to every new user."""

from __future__ import annotations

import attrs

from esign_core.errors import AlreadyExists, DomainError, InvalidTransition
from esign_core.model.installation import QuotaKind
from esign_core.model.org import Contact, ContactKind, Member, MemberStatus, TenantType
from esign_core.model.policy import DepartedPolicy, LoginSettings
from esign_core.model.user import PersonalUser
from esign_core.ports import Clock, IdGenerator, UnitOfWork
from esign_core.services.commands import Command
from esign_core.services.licensing import check_quota, require_valid_licence
from esign_core.values import Email, IdNumber, Phone


def optional(cls: type, raw: str | None):  # type: ignore[no-untyped-def]
    """``cls(raw)`` for a non-blank value, else None (raises the value object's InvalidValue)."""
    raw = (raw or "").strip()
    return cls(raw) if raw else None


@attrs.frozen
class AddPersonalUser(Command):
    name: str
    mobile: str | None = None
    email: str | None = None
    id_number: str | None = attrs.field(default=None, repr=False)
    internal: bool = False
    passwordless: bool = False  # created by OA sync (统一认证)


@attrs.frozen
class EditPersonalUser(Command):
    user_id: int
    name: str
    mobile: str | None = None
    email: str | None = None


@attrs.frozen
class FreezeUser(Command):
    user_id: int
    frozen: bool = True


@attrs.frozen
class AddMember(Command):
    """Add a person (found by mobile or e-mail, or created) to an internal enterprise or department."""

    org_id: int
    name: str
    mobile: str | None = None
    email: str | None = None
    number: str | None = None
    id_number: str | None = attrs.field(default=None, repr=False)


@attrs.frozen
class EditMember(Command):
    """Edit a member: name and employee number; ``mobile`` / ``email`` (None: unchanged, blank:
    cleared) change the person's account, which must stay unique across the platform."""

    member_id: int
    name: str
    number: str | None = None
    mobile: str | None = None
    email: str | None = None


@attrs.frozen
class DepartMember(Command):
    """The employee left: the departed-employee policy (LoginSettings.departed_policy) decides
    whether the account is frozen."""

    member_id: int


@attrs.frozen
class AddContact(Command):
    kind: ContactKind
    name: str
    mobile: str | None = None
    email: str | None = None
    number: str | None = None
    enterprise_name: str | None = None


@attrs.frozen
class EditContact(Command):
    contact_id: int
    name: str
    mobile: str | None = None
    email: str | None = None
    number: str | None = None
    enterprise_name: str | None = None


@attrs.frozen
class DeleteContact(Command):
    contact_id: int


def _refuse_taken_account(uow: UnitOfWork, mobile: Phone | None, email: Email | None, *, user_id: int) -> None:
    for account, field in ((mobile, "mobile"), (email, "email")):
        if account is not None:
            other = uow.users.by_account(str(account))
            if other is not None and other.id != user_id:
                raise AlreadyExists(f"{field} {getattr(account, 'masked', account)} is another user's account",
                                    field=field)


def add_personal_user(cmd: AddPersonalUser, *, uow: UnitOfWork, clock: Clock, ids: IdGenerator) -> int:
    """Create a personal user. Raises InvalidValue (formats), AlreadyExists (mobile or e-mail
    taken), QuotaExceeded."""
    mobile, email = optional(Phone, cmd.mobile), optional(Email, cmd.email)
    id_number = optional(IdNumber, cmd.id_number)
    with uow:
        require_valid_licence(uow, clock=clock)
        _refuse_taken_account(uow, mobile, email, user_id=0)
        check_quota(uow, QuotaKind.INTERNAL_USERS if cmd.internal else QuotaKind.EXTERNAL_USERS, clock=clock)
        user = PersonalUser(id=ids.next_id(), name=cmd.name, mobile=mobile, email=email, id_number=id_number,
                            internal=cmd.internal, passwordless=cmd.passwordless, created_at=clock.now())
        uow.users.add(user)
        uow.commit()
        return user.id


def edit_personal_user(cmd: EditPersonalUser, *, uow: UnitOfWork) -> None:
    mobile, email = optional(Phone, cmd.mobile), optional(Email, cmd.email)
    with uow:
        user = uow.users.get(cmd.user_id)
        _refuse_taken_account(uow, mobile, email, user_id=user.id)
        user.edit(name=cmd.name, mobile=mobile, email=email)
        uow.commit()


def freeze_user(cmd: FreezeUser, *, uow: UnitOfWork) -> None:
    with uow:
        user = uow.users.get(cmd.user_id)
        user.freeze() if cmd.frozen else user.unfreeze()
        uow.commit()


def find_or_create_user(uow: UnitOfWork, *, name: str, mobile: Phone | None, email: Email | None,
                        id_number: IdNumber | None, clock: Clock, ids: IdGenerator) -> PersonalUser:
    """The internal user with that mobile (or e-mail), created or turned internal within the
    internal-user quota. Raises DomainError when mobile and e-mail belong to two different users."""
    by_mobile = uow.users.by_account(str(mobile)) if mobile else None
    by_email = uow.users.by_account(str(email)) if email else None
    if by_mobile is not None and by_email is not None and by_mobile.id != by_email.id:
        raise DomainError("the mobile number and the e-mail address belong to two different users", field="email")
    user = by_mobile or by_email
    if user is None:
        check_quota(uow, QuotaKind.INTERNAL_USERS, clock=clock)
        user = PersonalUser(id=ids.next_id(), name=name, mobile=mobile, email=email, id_number=id_number,
                            internal=True, created_at=clock.now())
        uow.users.add(user)
    elif not user.internal:
        check_quota(uow, QuotaKind.INTERNAL_USERS, clock=clock)
        user.become_internal()
    return user


def add_member(cmd: AddMember, *, uow: UnitOfWork, clock: Clock, ids: IdGenerator) -> int:
    """导入成员, one at a time. Raises NotFoundError (unit), DomainError (external enterprise,
    frozen unit), AlreadyExists (already an active member), QuotaExceeded, InvalidValue."""
    mobile, email = optional(Phone, cmd.mobile), optional(Email, cmd.email)
    id_number = optional(IdNumber, cmd.id_number)
    if mobile is None and email is None:
        raise DomainError("a member needs a mobile number or an e-mail address", field="mobile")
    with uow:
        require_valid_licence(uow, clock=clock)
        org = uow.organizations.get(cmd.org_id)
        if org.deleted or org.tenant_type is TenantType.COMPANY:
            raise DomainError("members are added to internal enterprises and departments only", field="org_id")
        user = find_or_create_user(uow, name=cmd.name, mobile=mobile, email=email, id_number=id_number,
                                   clock=clock, ids=ids)
        if any(m.org_id == org.id and m.status is MemberStatus.ACTIVE for m in uow.members.of_user(user.id)):
            raise AlreadyExists(f"{cmd.name} is already a member of {org.name}", field="mobile")
        member = Member(id=ids.next_id(), org_id=org.id, user_id=user.id, name=cmd.name,
                        number=(cmd.number or "").strip() or None, joined_at=clock.now())
        uow.members.add(member)
        uow.commit()
        return member.id


def edit_member(cmd: EditMember, *, uow: UnitOfWork) -> None:
    """Raises NotFoundError, InvalidValue (mobile / e-mail format, blank name), DomainError (no
    account left) and AlreadyExists (the mobile or e-mail is another user's account)."""
    mobile = optional(Phone, cmd.mobile) if cmd.mobile is not None else None
    email = optional(Email, cmd.email) if cmd.email is not None else None
    with uow:
        member = uow.members.get(cmd.member_id)
        member.edit(name=cmd.name, number=cmd.number)
        if cmd.mobile is not None or cmd.email is not None:
            user = uow.users.get(member.user_id)
            mobile = mobile if cmd.mobile is not None else user.mobile
            email = email if cmd.email is not None else user.email
            _refuse_taken_account(uow, mobile, email, user_id=user.id)
            user.edit(name=user.name, mobile=mobile, email=email)
        uow.commit()


def should_freeze_departed(policy: DepartedPolicy, *, has_files: bool) -> bool:
    """离职员工冻结策略: always, never, or only when the account has no contracts of its own."""
    if policy is DepartedPolicy.AUTO_FREEZE:
        return True
    if policy is DepartedPolicy.NO_FREEZE:
        return False
    return not has_files


def depart_member(cmd: DepartMember, *, uow: UnitOfWork) -> bool:
    """Record that the member left; returns whether the account was frozen. The user account is
    frozen too when the policy says so and the person has no other active membership. Raises
    InvalidTransition when the member already left."""
    with uow:
        member = uow.members.get(cmd.member_id)
        policy = uow.settings.get(LoginSettings).departed_policy
        has_files = uow.contracts.count_involving(creator_id=member.user_id) > 0
        freeze = should_freeze_departed(policy, has_files=has_files)
        member.depart(freeze=freeze)
        others = [m for m in uow.members.of_user(member.user_id)
                  if m.id != member.id and m.status is MemberStatus.ACTIVE]
        if freeze and not others:
            uow.users.get(member.user_id).freeze()
        uow.commit()
        return freeze


def _contact_values(cmd: AddContact | EditContact) -> tuple[Phone | None, Email | None]:
    return optional(Phone, cmd.mobile), optional(Email, cmd.email)


def _refuse_duplicate_contact(uow: UnitOfWork, contact: Contact) -> None:
    for other in uow.contacts.list(contact.kind):
        if other.id != contact.id and other.key == contact.key:
            raise AlreadyExists(f"the contact {contact.name} already exists", field="mobile")


def add_contact(cmd: AddContact, *, uow: UnitOfWork, ids: IdGenerator) -> int:
    """添加联系人. Raises InvalidValue/DomainError (name, mobile or e-mail, enterprise name) and
    AlreadyExists (same enterprise and mobile/e-mail)."""
    mobile, email = _contact_values(cmd)
    contact = Contact(id=ids.next_id(), kind=cmd.kind, name=cmd.name, mobile=mobile, email=email,
                      number=(cmd.number or "").strip() or None,
                      enterprise_name=(cmd.enterprise_name or "").strip() or None)
    with uow:
        _refuse_duplicate_contact(uow, contact)
        uow.contacts.add(contact)
        uow.commit()
    return contact.id


def edit_contact(cmd: EditContact, *, uow: UnitOfWork) -> None:
    mobile, email = _contact_values(cmd)
    with uow:
        contact = uow.contacts.get(cmd.contact_id)
        if contact.deleted:
            raise InvalidTransition("this contact was deleted")
        contact.edit(name=cmd.name, mobile=mobile, email=email, number=cmd.number,
                     enterprise_name=cmd.enterprise_name)
        _refuse_duplicate_contact(uow, contact)
        uow.commit()


def delete_contact(cmd: DeleteContact, *, uow: UnitOfWork) -> None:
    with uow:
        uow.contacts.get(cmd.contact_id).delete()
        uow.commit()


HANDLERS = {
    AddPersonalUser: add_personal_user,
    EditPersonalUser: edit_personal_user,
    FreezeUser: freeze_user,
    AddMember: add_member,
    EditMember: edit_member,
    DepartMember: depart_member,
    AddContact: add_contact,
    EditContact: edit_contact,
    DeleteContact: delete_contact,
}
