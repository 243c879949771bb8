"""``esign seal type …``, ``esign seal create|list|authorize``: the seal catalogue and seals."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from esign_cli.context import load_platform
from esign_cli.signing import seal
from esign_core.model.seal import SEAL_SPECS, SealKind
from esign_core.services.seals import AddSealType, AuthorizeSeal, ChangeSealType, CreateSeal


@seal.group("type")
def seal_type() -> None:
    """The seal-type catalogue (公章, 合同专用章 …)."""


@seal_type.command("list")
@click.pass_context
def type_list(ctx: click.Context) -> None:
    with load_platform(ctx).uow() as uow:
        rows = [(str(t.id), t.name, "启用" if t.enabled else "停用") for t in uow.seal_types.list()]
    table = Table("id", "name", "status")
    for row in rows:
        table.add_row(*row)
    Console(width=160).print(table)


@seal_type.command("add")
@click.argument("name")
@click.pass_context
def type_add(ctx: click.Context, name: str) -> None:
    click.echo(load_platform(ctx).handle(AddSealType(name)))


@seal_type.command("rename")
@click.argument("seal_type_id", type=int)
@click.argument("name")
@click.pass_context
def type_rename(ctx: click.Context, seal_type_id: int, name: str) -> None:
    load_platform(ctx).handle(ChangeSealType(seal_type_id, name=name))


@seal_type.command("disable")
@click.argument("seal_type_id", type=int)
@click.pass_context
def type_disable(ctx: click.Context, seal_type_id: int) -> None:
    load_platform(ctx).handle(ChangeSealType(seal_type_id, enabled=False))


@seal_type.command("enable")
@click.argument("seal_type_id", type=int)
@click.pass_context
def type_enable(ctx: click.Context, seal_type_id: int) -> None:
    load_platform(ctx).handle(ChangeSealType(seal_type_id, enabled=True))


@seal.command("create")
@click.option("--org-id", type=int, required=True, help="The owning enterprise.")
@click.option("--kind", type=click.Choice(["company", "lp"]), default="company", show_default=True)
@click.option("--type-id", type=int, default=None, help="Seal type from `esign seal type list`.")
@click.option("--name", default=None)
@click.option("--spec", type=click.Choice(sorted(SEAL_SPECS)), default="CIRCULAR_42", show_default=True)
@click.option("--code", default="", help="Code along the lower arc.")
@click.option("--upload", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Custom image (only when custom seals are allowed).")
@click.option("--authorize", "members", type=int, multiple=True, help="Member id allowed to use it (repeatable).")
@click.pass_context
def create(ctx: click.Context, org_id: int, kind: str, type_id: int | None, name: str | None, spec: str, code: str,
           upload: str | None, members: tuple[int, ...]) -> None:
    """Create an electronic seal for an enterprise (drawn, or uploaded)."""
    data = Path(upload).read_bytes() if upload else None
    seal_id = load_platform(ctx).handle(CreateSeal(org_id, SealKind.COMPANY if kind == "company" else SealKind.LP,
                                                   type_id, name, spec, code, data, members))
    click.echo(seal_id)


@seal.command("list")
@click.option("--org-id", type=int, required=True)
@click.pass_context
def list_seals(ctx: click.Context, org_id: int) -> None:
    with load_platform(ctx).uow() as uow:
        rows = [(str(s.id), s.name, s.kind.value, s.spec.key, s.status.value, str(len(s.authorized_member_ids)),
                 "custom" if s.custom_image else "drawn") for s in uow.seals.of_owner(org_id)]
    table = Table("id", "name", "kind", "spec", "status", "authorised", "image")
    for row in rows:
        table.add_row(*row)
    Console(width=160).print(table)


@seal.command("authorize")
@click.argument("seal_id", type=int)
@click.argument("member_id", type=int)
@click.option("--revoke", is_flag=True)
@click.pass_context
def authorize(ctx: click.Context, seal_id: int, member_id: int, revoke: bool) -> None:
    load_platform(ctx).handle(AuthorizeSeal(seal_id, member_id, revoke))
