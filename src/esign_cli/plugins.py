"""``esign plugins list [--check]``: the adapters installed in each ``esign.*`` entry-point group
(built-ins and third-party plugins alike), where they come from, and whether they load."""

from __future__ import annotations

import json
import sys

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from esign_adapters.plugins import KNOWN_GROUPS, check, discover

_STYLE = {"ok": "green", "missing": "yellow", "broken": "bold red", "unchecked": "dim"}


@click.group("plugins")
def plugins_group() -> None:
    """Adapter plugins (storage, database, web, and the groups other families add)."""


@plugins_group.command("list")
@click.option("--check", "do_check", is_flag=True,
              help="Import each plugin: ok, missing (an optional dependency is absent) or broken; exit 1 if any "
                   "is broken.")
@click.option("--group", default=None, help="Only this group, e.g. esign.storage.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def list_plugins(do_check: bool, group: str | None, as_json: bool) -> None:
    """List every plugin: group, name, distribution, availability and the install hint."""
    found = discover(group)
    if do_check:
        found = [check(p) for p in found]
    if as_json:
        click.echo(json.dumps([{"group": p.group, "name": p.name, "target": p.target, "distribution": p.distribution,
                                "version": p.version, "status": p.status, "detail": p.detail, "hint": p.hint}
                               for p in found], ensure_ascii=False, indent=2))
    else:
        table = Table(title="esign plugins" + (" (checked)" if do_check else ""))
        for col in ("group", "name", "distribution", "status", "install"):
            table.add_column(col)
        for p in found:
            status = f"[{_STYLE[p.status]}]{p.status}[/]" + (f" ({escape(p.detail)})" if p.detail else "")
            hint = p.hint if p.status in ("missing", "broken") or (p.status == "unchecked" and "[" in p.hint) else ""
            table.add_row(escape(p.group), escape(p.name), escape(f"{p.distribution} {p.version}"), status,
                          escape(hint))
        Console(width=200, highlight=False).print(table)
        if group and group not in KNOWN_GROUPS and not found:
            click.echo(f"no plugins in {group}; known groups: {', '.join(KNOWN_GROUPS)}", err=True)
    if any(p.status == "broken" for p in found):
        sys.exit(1)
