"""``esign orgs ...``: internal enterprises (the org-unit tree) and external legal entities —
add, list, edit, certify, freeze, delete, batch import, templates, exports, callbacks."""

from __future__ import annotations

import click

from esign_adapters.directory_io import EXPORTS
from esign_cli.context import load_platform
from esign_cli.directory_common import EXPORT_FORMAT, FORMAT, do_import, import_options, write_export, write_template
from esign_core.errors import NotFoundError
from esign_core.model.import_rows import ImportKind
from esign_core.model.org import TenantType
from esign_core.services.commands import AddExternalEnterprise, AddInternalEnterprise
from esign_core.services.org_admin import (
    ApplyCertification,
    ConfigureCallbacks,
    DecideCertification,
    DeleteOrganization,
    EditOrganization,
    FreezeOrganization,
    MoveOrganization,
)


@click.group("orgs")
def orgs_group() -> None:
    """Internal enterprises, departments and external legal entities (用户管理 → 组织架构/法人单位)."""


def org_id_by_name(ctx: click.Context, name: str) -> int:
    with load_platform(ctx).uow() as uow:
        org = uow.organizations.by_name(name)
        if org is None:
            raise NotFoundError(f"no organization named {name!r}", field="name")
        return org.id


@orgs_group.command("add-internal")
@click.argument("name")
@click.option("--parent", required=True, help="Name of the parent unit.")
@click.option("--admin", "admin_name", required=True, help="Initial administrator.")
@click.option("--mobile", required=True, help="Administrator's mobile.")
@click.option("--department", is_flag=True, help="A department (not a legal entity).")
@click.option("--uscc", default=None)
@click.pass_context
def add_internal(ctx: click.Context, name: str, parent: str, admin_name: str, mobile: str, department: bool,
                 uscc: str | None) -> None:
    """Add an internal enterprise or department under PARENT."""
    org_id = load_platform(ctx).handle(AddInternalEnterprise(name=name, parent_id=org_id_by_name(ctx, parent),
                                                             admin_name=admin_name, admin_mobile=mobile,
                                                             department=department, uscc=uscc))
    click.echo(str(org_id))


@orgs_group.command("add-external")
@click.argument("name")
@click.option("--admin", "admin_name", required=True)
@click.option("--mobile", required=True)
@click.option("--uscc", default=None)
@click.pass_context
def add_external(ctx: click.Context, name: str, admin_name: str, mobile: str, uscc: str | None) -> None:
    """Add an external legal entity."""
    click.echo(str(load_platform(ctx).handle(AddExternalEnterprise(name=name, admin_name=admin_name,
                                                                   admin_mobile=mobile, uscc=uscc))))


@orgs_group.command("list")
@click.option("--external", is_flag=True, help="External legal entities instead of the internal tree.")
@click.pass_context
def list_orgs(ctx: click.Context, external: bool) -> None:
    """ID, name, parent, kind, certification, frozen."""
    types = [TenantType.COMPANY] if external else [TenantType.CORPORATE, TenantType.INNER_COMPANY]
    with load_platform(ctx).uow() as uow:
        for t in types:
            for o in uow.organizations.of_type(t):
                click.echo("\t".join([str(o.id), o.name, str(o.parent_id or ""), o.unit_kind.value,
                                      o.certification.value, "frozen" if o.frozen else ""]))


@orgs_group.command("edit")
@click.argument("org_id", type=int)
@click.option("--name", required=True)
@click.pass_context
def edit(ctx: click.Context, org_id: int, name: str) -> None:
    load_platform(ctx).handle(EditOrganization(org_id=org_id, name=name))


@orgs_group.command("move")
@click.argument("org_id", type=int)
@click.option("--parent", required=True, help="Name of the new parent unit (same enterprise).")
@click.pass_context
def move(ctx: click.Context, org_id: int, parent: str) -> None:
    """Move a unit under another unit of the same enterprise."""
    load_platform(ctx).handle(MoveOrganization(org_id=org_id, parent_id=org_id_by_name(ctx, parent)))
    click.echo("moved")


@orgs_group.command("freeze")
@click.argument("org_id", type=int)
@click.pass_context
def freeze(ctx: click.Context, org_id: int) -> None:
    load_platform(ctx).handle(FreezeOrganization(org_id=org_id, frozen=True))


@orgs_group.command("unfreeze")
@click.argument("org_id", type=int)
@click.pass_context
def unfreeze(ctx: click.Context, org_id: int) -> None:
    load_platform(ctx).handle(FreezeOrganization(org_id=org_id, frozen=False))


@orgs_group.command("delete")
@click.argument("org_id", type=int)
@click.option("--force", is_flag=True, help="Delete although it has contracts (they are kept).")
@click.option("--confirm-name", default=None, help="The exact name, required with --force.")
@click.pass_context
def delete(ctx: click.Context, org_id: int, force: bool, confirm_name: str | None) -> None:
    """Delete (irreversible)."""
    load_platform(ctx).handle(DeleteOrganization(org_id=org_id, force=force, confirm_name=confirm_name))


@orgs_group.command("certify")
@click.argument("org_id", type=int)
@click.option("--uscc", required=True)
@click.option("--legal-person", required=True)
@click.pass_context
def certify(ctx: click.Context, org_id: int, uscc: str, legal_person: str) -> None:
    """Apply for legal-entity certification (or change, once certified)."""
    load_platform(ctx).handle(ApplyCertification(org_id=org_id, uscc=uscc, legal_person=legal_person))


@orgs_group.command("decide")
@click.argument("org_id", type=int)
@click.option("--pass", "passed", flag_value=True, default=None)
@click.option("--reject", "passed", flag_value=False)
@click.option("--reason", default=None)
@click.pass_context
def decide(ctx: click.Context, org_id: int, passed: bool | None, reason: str | None) -> None:
    """Record the certification decision (--pass or --reject --reason ...)."""
    if passed is None:
        raise click.UsageError("give --pass or --reject")
    load_platform(ctx).handle(DecideCertification(org_id=org_id, passed=passed, reason=reason))


@orgs_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--external", is_flag=True, help="The external-enterprise template (default: org units).")
@import_options
@click.pass_context
def import_orgs(ctx: click.Context, path: str, external: bool, partial: bool, errors: str | None) -> None:
    """Batch import from an .xlsx or .xls template."""
    kind = ImportKind.EXTERNAL_ENTERPRISES if external else ImportKind.ORG_UNITS
    do_import(ctx, kind, path, atomic=not partial, errors=errors)


@orgs_group.command("template")
@click.option("--external", is_flag=True)
@click.option("--format", "fmt", type=FORMAT, default="xlsx")
@click.option("-o", "--output", default=None)
def template(external: bool, fmt: str, output: str | None) -> None:
    """Write the import template."""
    write_template(ImportKind.EXTERNAL_ENTERPRISES if external else ImportKind.ORG_UNITS, fmt, output)


@orgs_group.command("export")
@click.argument("what", type=click.Choice([e for e in EXPORTS if e in ("internal", "external", "certification")]))
@click.option("--format", "fmt", type=EXPORT_FORMAT, default="xlsx")
@click.option("-o", "--output", default=None)
@click.pass_context
def export(ctx: click.Context, what: str, fmt: str, output: str | None) -> None:
    """Export the internal tree, the external entities or the certification status."""
    write_export(ctx, what, fmt, output)


@orgs_group.command("callbacks")
@click.option("--enterprise-success", default="")
@click.option("--enterprise-failure", default="")
@click.option("--personal-success", default="")
@click.option("--personal-failure", default="")
@click.option("--allow", multiple=True, help="Host or network allowed although internal (repeatable).")
@click.pass_context
def callbacks(ctx: click.Context, enterprise_success: str, enterprise_failure: str, personal_success: str,
              personal_failure: str, allow: tuple[str, ...]) -> None:
    """Set the certification callback URLs (empty clears one)."""
    load_platform(ctx).handle(ConfigureCallbacks(enterprise_success, enterprise_failure, personal_success,
                                                 personal_failure, allow))
    click.echo("saved")
