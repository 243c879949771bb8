"""What the directory commands share: running an import with a rich progress bar, templates and
exports written to files."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from esign_adapters.directory_io import export_bytes, export_table, run_import
from esign_adapters.spreadsheets.writing import template_bytes
from esign_cli.context import load_platform
from esign_core.model.import_rows import SPECS, ImportKind

console = Console(stderr=True, highlight=False)


def do_import(ctx: click.Context, kind: ImportKind, path: str, *, atomic: bool, errors: str | None) -> None:
    platform = load_platform(ctx)
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=False) as bar:
        task = bar.add_task(SPECS[kind].template_name, total=None)

        def progress(done: int, total: int | None) -> None:
            bar.update(task, completed=done, total=total)

        outcome = run_import(platform, kind, Path(path), atomic=atomic, progress=progress)
    r = outcome.report
    click.echo(f"created {r.created}, updated {r.updated}, skipped {r.skipped}, rejected {r.rejected}")
    if outcome.error_workbook is not None:
        target = Path(errors or Path(path).with_name(Path(path).stem + "-errors.xlsx"))
        target.write_bytes(outcome.error_workbook)
        click.echo(f"rejected rows and reasons: {target}")
        for row_no, reason in list(sorted(r.rejections.items()))[:10]:
            click.echo(f"  row {row_no}: {reason}", err=True)
    if not r.applied:
        click.echo("nothing was imported (atomic mode: fix the rejected rows, or use --partial)", err=True)
        ctx.exit(1)


def import_options(func):  # type: ignore[no-untyped-def]
    func = click.option("--errors", type=click.Path(dir_okay=False),
                        help="Where to write the error workbook (default FILE-errors.xlsx).")(func)
    return click.option("--partial", is_flag=True,
                        help="Import the valid rows even when some are rejected (default: all or nothing).")(func)


def write_template(kind: ImportKind, fmt: str, output: str | None) -> None:
    data = template_bytes(kind, fmt)
    target = Path(output or f"{SPECS[kind].template_name}.{fmt}")
    target.write_bytes(data)
    click.echo(str(target))


def write_export(ctx: click.Context, what: str, fmt: str, output: str | None) -> None:
    headers, rows = export_table(load_platform(ctx), what)
    target = Path(output or f"{what}.{fmt}")
    target.write_bytes(export_bytes(headers, rows, fmt, title=what))
    click.echo(f"{len(rows)} rows → {target}")


FORMAT = click.Choice(["xlsx", "xls"])
EXPORT_FORMAT = click.Choice(["xlsx", "csv"])
