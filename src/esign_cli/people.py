"""``esign members|contacts|users ...``: members of internal enterprises, the address book and
personal users (filters, certification status, TOTP tokens)."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from esign_adapters.directory_io import USER_HEADERS, user_row
from esign_adapters.otp import bind_totp_token
from esign_cli.context import load_platform
from esign_cli.directory_common import EXPORT_FORMAT, FORMAT, do_import, import_options, write_export, write_template
from esign_cli.orgs import org_id_by_name
from esign_core.model.certification import CertificationStatus
from esign_core.model.import_rows import ImportKind
from esign_core.model.org import ContactKind
from esign_core.model.user_query import UserQuery
from esign_core.services.directory import (
    AddContact,
    AddMember,
    AddPersonalUser,
    DeleteContact,
    DepartMember,
    EditContact,
    EditMember,
    FreezeUser,
)
from esign_core.services.org_admin import UpdateUserCertification


# -- members ------------------------------------------------------------------------------------
@click.group("members")
def members_group() -> None:
    """Members (employees) of internal enterprises and departments."""


@members_group.command("add")
@click.option("--org", "org_name", required=True)
@click.option("--name", required=True)
@click.option("--mobile", default=None)
@click.option("--email", default=None)
@click.option("--number", default=None, help="Employee number.")
@click.pass_context
def add_member(ctx: click.Context, org_name: str, name: str, mobile: str | None, email: str | None,
               number: str | None) -> None:
    click.echo(str(load_platform(ctx).handle(AddMember(org_id=org_id_by_name(ctx, org_name), name=name,
                                                       mobile=mobile, email=email, number=number))))


@members_group.command("list")
@click.option("--org", "org_name", required=True)
@click.pass_context
def list_members(ctx: click.Context, org_name: str) -> None:
    org_id = org_id_by_name(ctx, org_name)
    with load_platform(ctx).uow() as uow:
        for m in uow.members.of_org(org_id):
            click.echo("\t".join([str(m.id), m.name, m.number or "", m.status.value]))


@members_group.command("edit")
@click.argument("member_id", type=int)
@click.option("--name", default=None)
@click.option("--number", default=None, help="Employee number ('' clears it).")
@click.option("--mobile", default=None, help="The person's mobile ('' clears it).")
@click.option("--email", default=None, help="The person's e-mail ('' clears it).")
@click.pass_context
def edit_member(ctx: click.Context, member_id: int, name: str | None, number: str | None, mobile: str | None,
                email: str | None) -> None:
    """Edit a member; options left out keep their value."""
    platform = load_platform(ctx)
    with platform.uow() as uow:
        member = uow.members.get(member_id)
    platform.handle(EditMember(member_id=member_id, name=member.name if name is None else name,
                               number=member.number if number is None else number, mobile=mobile, email=email))
    click.echo("updated")


@members_group.command("depart")
@click.argument("member_id", type=int)
@click.pass_context
def depart(ctx: click.Context, member_id: int) -> None:
    """The member left; the departed-employee policy decides whether the account is frozen."""
    frozen = load_platform(ctx).handle(DepartMember(member_id=member_id))
    click.echo("departed, account frozen" if frozen else "departed")


@members_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@import_options
@click.pass_context
def import_members(ctx: click.Context, path: str, partial: bool, errors: str | None) -> None:
    do_import(ctx, ImportKind.MEMBERS, path, atomic=not partial, errors=errors)


@members_group.command("template")
@click.option("--format", "fmt", type=FORMAT, default="xlsx")
@click.option("-o", "--output", default=None)
def members_template(fmt: str, output: str | None) -> None:
    write_template(ImportKind.MEMBERS, fmt, output)


@members_group.command("export")
@click.option("--format", "fmt", type=EXPORT_FORMAT, default="xlsx")
@click.option("-o", "--output", default=None)
@click.pass_context
def members_export(ctx: click.Context, fmt: str, output: str | None) -> None:
    write_export(ctx, "members", fmt, output)


# -- contacts -----------------------------------------------------------------------------------
@click.group("contacts")
def contacts_group() -> None:
    """Enterprise and personal contacts (联系人管理)."""


_KIND = click.Choice(["enterprise", "personal"])


def _kind(value: str) -> ContactKind:
    return ContactKind.ENTERPRISE if value == "enterprise" else ContactKind.PERSONAL


@contacts_group.command("add")
@click.option("--kind", type=_KIND, default="personal")
@click.option("--enterprise", default=None, help="Enterprise name (enterprise contacts).")
@click.option("--name", required=True)
@click.option("--mobile", default=None)
@click.option("--email", default=None)
@click.option("--number", default=None)
@click.pass_context
def add_contact(ctx: click.Context, kind: str, enterprise: str | None, name: str, mobile: str | None,
                email: str | None, number: str | None) -> None:
    click.echo(str(load_platform(ctx).handle(AddContact(kind=_kind(kind), name=name, mobile=mobile, email=email,
                                                        number=number, enterprise_name=enterprise))))


@contacts_group.command("list")
@click.option("--kind", type=_KIND, default="personal")
@click.pass_context
def list_contacts(ctx: click.Context, kind: str) -> None:
    with load_platform(ctx).uow() as uow:
        for c in uow.contacts.list(_kind(kind)):
            click.echo("\t".join([str(c.id), c.number or "", c.enterprise_name or "", c.name, str(c.mobile or ""),
                                  str(c.email or "")]))


@contacts_group.command("edit")
@click.argument("contact_id", type=int)
@click.option("--enterprise", default=None, help="Enterprise name (enterprise contacts).")
@click.option("--name", default=None)
@click.option("--mobile", default=None, help="'' clears it.")
@click.option("--email", default=None, help="'' clears it.")
@click.option("--number", default=None)
@click.pass_context
def edit_contact(ctx: click.Context, contact_id: int, enterprise: str | None, name: str | None, mobile: str | None,
                 email: str | None, number: str | None) -> None:
    """Edit a contact; options left out keep their value."""
    platform = load_platform(ctx)
    with platform.uow() as uow:
        c = uow.contacts.get(contact_id)

    def keep(given: str | None, current: object) -> str | None:
        return given if given is not None else (str(current) if current is not None else None)

    platform.handle(EditContact(contact_id=contact_id, name=keep(name, c.name) or "", mobile=keep(mobile, c.mobile),
                                email=keep(email, c.email), number=keep(number, c.number),
                                enterprise_name=keep(enterprise, c.enterprise_name)))
    click.echo("updated")


@contacts_group.command("delete")
@click.argument("contact_id", type=int)
@click.pass_context
def delete_contact(ctx: click.Context, contact_id: int) -> None:
    load_platform(ctx).handle(DeleteContact(contact_id=contact_id))


@contacts_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--kind", type=_KIND, default="personal")
@import_options
@click.pass_context
def import_contacts(ctx: click.Context, path: str, kind: str, partial: bool, errors: str | None) -> None:
    target = ImportKind.ENTERPRISE_CONTACTS if kind == "enterprise" else ImportKind.PERSONAL_CONTACTS
    do_import(ctx, target, path, atomic=not partial, errors=errors)


@contacts_group.command("template")
@click.option("--kind", type=_KIND, default="personal")
@click.option("--format", "fmt", type=FORMAT, default="xlsx")
@click.option("-o", "--output", default=None)
def contacts_template(kind: str, fmt: str, output: str | None) -> None:
    write_template(ImportKind.ENTERPRISE_CONTACTS if kind == "enterprise" else ImportKind.PERSONAL_CONTACTS, fmt,
                   output)


@contacts_group.command("export")
@click.option("--kind", type=_KIND, default="personal")
@click.option("--format", "fmt", type=EXPORT_FORMAT, default="xlsx")
@click.option("-o", "--output", default=None)
@click.pass_context
def contacts_export(ctx: click.Context, kind: str, fmt: str, output: str | None) -> None:
    write_export(ctx, f"{kind}-contacts", fmt, output)


# -- personal users ------------------------------------------------------------------------------
@click.group("users")
def users_group() -> None:
    """Personal users (个人用户)."""


@users_group.command("add")
@click.option("--name", required=True)
@click.option("--mobile", default=None)
@click.option("--email", default=None)
@click.option("--passwordless", is_flag=True, help="A user of OA single sign-on (统一认证), without password.")
@click.pass_context
def add_user(ctx: click.Context, name: str, mobile: str | None, email: str | None, passwordless: bool) -> None:
    click.echo(str(load_platform(ctx).handle(AddPersonalUser(name=name, mobile=mobile, email=email,
                                                             passwordless=passwordless))))


def _when(value: str | None) -> datetime | None:
    if not value:
        return None
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@users_group.command("list")
@click.option("--name", default=None)
@click.option("--status", type=click.Choice([s.value for s in CertificationStatus]), default=None)
@click.option("--account", default=None, help="Part of the mobile or e-mail.")
@click.option("--created-from", default=None, help="ISO date/time (UTC when no offset).")
@click.option("--created-to", default=None)
@click.option("--limit", type=int, default=100)
@click.pass_context
def list_users(ctx: click.Context, name: str | None, status: str | None, account: str | None,
               created_from: str | None, created_to: str | None, limit: int) -> None:
    """Filter personal users."""
    query = UserQuery(name=name, status=CertificationStatus(status) if status else None, account=account,
                      created_from=_when(created_from), created_to=_when(created_to), limit=limit)
    with load_platform(ctx).uow() as uow:
        users = uow.users.search(query)
    click.echo("\t".join(USER_HEADERS))
    for u in users:
        click.echo("\t".join(str(v) for v in user_row(u)))


@users_group.command("freeze")
@click.argument("user_id", type=int)
@click.option("--unfreeze", is_flag=True)
@click.pass_context
def freeze_user(ctx: click.Context, user_id: int, unfreeze: bool) -> None:
    load_platform(ctx).handle(FreezeUser(user_id=user_id, frozen=not unfreeze))


@users_group.command("certification")
@click.argument("user_id", type=int)
@click.argument("status", type=click.Choice([s.value for s in CertificationStatus]))
@click.option("--reason", default=None)
@click.pass_context
def certification(ctx: click.Context, user_id: int, status: str, reason: str | None) -> None:
    """更新认证状态: record the status reported by the signing platform."""
    changed = load_platform(ctx).handle(UpdateUserCertification(user_id=user_id, status=CertificationStatus(status),
                                                                reason=reason))
    click.echo("updated" if changed else "unchanged")


@users_group.command("totp")
@click.argument("user_id", type=int)
@click.option("--secret", default=None, help="The secret shown by the first call (base32).")
@click.option("--code", default=None, help="A code from the authenticator, to confirm the binding.")
@click.pass_context
def totp(ctx: click.Context, user_id: int, secret: str | None, code: str | None) -> None:
    """Bind a TOTP token: first call prints a secret and an otpauth:// URI; the second call with
    --secret and --code binds it (stored encrypted)."""
    result = bind_totp_token(load_platform(ctx), user_id, secret=secret, code=code)
    click.echo(result)


@users_group.command("export")
@click.option("--format", "fmt", type=EXPORT_FORMAT, default="xlsx")
@click.option("-o", "--output", default=None)
@click.pass_context
def users_export(ctx: click.Context, fmt: str, output: str | None) -> None:
    write_export(ctx, "users", fmt, output)
