"""``esign storage``: show, test and configure the file storage; verify and repair it; migrate it
to another backend (manual 一.2.2 2; docs/storage.md)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn

from esign_adapters import storage_admin
from esign_adapters.storage.registry import SECRET_SUFFIX
from esign_cli.context import load_platform
from esign_core.model.policy import StorageSettings
from esign_core.services.storage import Progress as ProgressFn

LOCAL_WARNING = ("local storage is for testing only: a disk failure loses every contract file; "
                 "never use it in production (本地存储方式仅用于测试环境，禁止在生产环境中使用)")
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


@click.group("storage")
def storage() -> None:
    """File storage: local (testing only), nas, smb, s3, hdfs, fastdfs."""


def _print_steps(steps: list[tuple[str, bool, str]] | tuple[tuple[str, bool, str], ...]) -> bool:
    for step, ok, detail in steps:
        mark = "[green]ok[/]  " if ok else "[bold red]FAIL[/]"
        out.print(f"{mark} {escape(step)}: {escape(detail)}")
    return bool(steps) and all(ok for _, ok, _ in steps)


def _masked(settings: StorageSettings) -> dict[str, object]:
    return {k: "***" if k.endswith(SECRET_SUFFIX) else v for k, v in settings.config.items()}


@storage.command("show")
@click.pass_context
def show(ctx: click.Context) -> None:
    """Print the configured backend and its settings (secrets masked)."""
    settings = load_platform(ctx).storage_settings()
    click.echo(json.dumps({"backend": settings.backend, "config": _masked(settings)}, ensure_ascii=False, indent=2))
    if settings.for_testing_only:
        err.print(f"[bold yellow]warning[/]: {LOCAL_WARNING}")


@storage.command("test")
@click.option("--backend", default=None, help="Backend to test (default: the configured one).")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE", help="A setting (repeatable).")
@click.pass_context
def test_cmd(ctx: click.Context, backend: str | None, sets: tuple[str, ...]) -> None:
    """Write, read back and delete a probe object; print each step; exit 1 on failure."""
    platform = load_platform(ctx)
    current = platform.storage_settings()
    settings = storage_admin.build_settings(platform, backend or current.backend,
                                            storage_admin.parse_assignments(sets))
    if not _print_steps(storage_admin.test_connection(platform, settings)):
        sys.exit(1)


@storage.command("configure")
@click.argument("backend")
@click.argument("assignments", nargs=-1)
@click.pass_context
def configure(ctx: click.Context, backend: str, assignments: tuple[str, ...]) -> None:
    """Test the settings and save them only when the test passes, e.g.
    `esign storage configure nas mount_path=/mnt/nas`. Switching to a backend that lacks the
    stored files is refused: use `esign storage migrate --to`."""
    platform = load_platform(ctx)
    settings = storage_admin.build_settings(platform, backend, storage_admin.parse_assignments(assignments))
    result = storage_admin.configure(platform, settings)
    _print_steps(result.steps)
    if not result.saved:
        err.print("[bold red]not saved[/]")
        sys.exit(1)
    if settings.for_testing_only:
        err.print(f"[bold yellow]warning[/]: {LOCAL_WARNING}")


@contextmanager
def _progress(label: str) -> Iterator[ProgressFn]:
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
               TimeRemainingColumn())
    with Progress(*columns, console=err, transient=False) as bar:
        task = bar.add_task(label, total=None)

        def report(done: int, total: int, key: str) -> None:
            bar.update(task, completed=done, total=total or None)

        yield report


@storage.command("verify")
@click.option("--repair", is_flag=True, help="Delete orphans (objects no record points to).")
@click.pass_context
def verify(ctx: click.Context, repair: bool) -> None:
    """Re-hash every stored and every referenced object. Reports missing (a record without its
    file), corrupt (hash mismatch) and orphan (a file without a record) objects; exit 1 while
    problems remain."""
    platform = load_platform(ctx)
    with _progress("verifying") as progress:
        report = storage_admin.verify(platform, repair=repair, progress=progress)
    out.print(f"{report.backend}: {report.referenced} referenced, {report.stored} stored, "
              f"{report.checked_bytes} bytes re-hashed")
    for p in report.problems:
        state = "[green]repaired[/]" if p.repaired else "[bold red]problem[/]"
        owners = f" (used by {', '.join(p.owners[:3])}{' …' if len(p.owners) > 3 else ''})" if p.owners else ""
        out.print(f"{state} {p.kind} {escape(p.key)}{escape(owners)}: {escape(p.detail)}")
    summary = ", ".join(f"{report.count(k)} {k}" for k in ("missing", "corrupt", "orphan", "invalid", "unreadable"))
    out.print(f"summary: {summary}; {len(report.remaining)} unresolved")
    if not report.ok:
        if not repair and any(p.kind == "orphan" for p in report.remaining):
            out.print("run with --repair to delete the orphans")
        sys.exit(1)


@storage.command("migrate")
@click.option("--to", "backend", required=True, help="Target backend.")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE", help="A target setting (repeatable).")
@click.pass_context
def migrate(ctx: click.Context, backend: str, sets: tuple[str, ...]) -> None:
    """Copy every stored file to BACKEND (streamed, each verified by reading it back), then switch
    the platform to it. Resumable: run it again after an interruption and verified files are
    not copied again. The old storage is left as it was."""
    platform = load_platform(ctx)
    target = storage_admin.build_settings(platform, backend, storage_admin.parse_assignments(sets))
    journal = storage_admin.journal_for(platform, target)
    if journal.resumed:
        err.print(f"resuming: {len(journal.done)} objects already copied and verified")
    with _progress(f"copying to {backend}") as progress:
        report = storage_admin.migrate(platform, target, progress=progress, journal=journal)
    out.print(f"{report.objects} objects: {report.copied} copied ({report.bytes_copied} bytes), "
              f"{report.skipped} already verified")
    for p in report.failures:
        out.print(f"[bold red]failed[/] {p.kind} {escape(p.key)}: {escape(p.detail)}")
    if not report.switched:
        err.print(f"[bold red]not switched[/]: {len(report.failures)} object(s) could not be moved; "
                  "fix them (see `esign storage verify`) and run migrate again")
        sys.exit(1)
    out.print(f"[green]switched[/]: the platform now stores files in {backend}")
