"""``esign tasks list|enable|disable|schedule|run|history``: scheduled tasks (定时任务管理)."""

from __future__ import annotations

import click

from esign_cli.context import load_platform


def _scheduler(ctx: click.Context):  # type: ignore[no-untyped-def]
    from esign_adapters.scheduling.scheduler import Scheduler

    platform = load_platform(ctx)
    if not platform.schema_ready():
        platform.migrate()
    return Scheduler.for_platform(platform)


@click.group("tasks")
def tasks_group() -> None:
    """Installed task plugins (entry point group esign.tasks), their schedules and runs."""


@tasks_group.command("list")
@click.pass_context
def list_tasks(ctx: click.Context) -> None:
    """Name, state, schedule, next run, last run and description."""
    for v in _scheduler(ctx).views():
        state = "enabled" if v.enabled else "disabled"
        if not v.installed:
            state += " (not installed)"
        nxt = v.next_run.isoformat(timespec="seconds") if v.next_run else "-"
        last = f"{v.last_run.status} {v.last_run.occurrence.isoformat(timespec='seconds')}" if v.last_run else "-"
        click.echo("\t".join([v.name, state, v.schedule, nxt, last, v.description]))


@tasks_group.command("enable")
@click.argument("name")
@click.pass_context
def enable(ctx: click.Context, name: str) -> None:
    _scheduler(ctx).enable(name, True)
    click.echo(f"{name} enabled")


@tasks_group.command("disable")
@click.argument("name")
@click.pass_context
def disable(ctx: click.Context, name: str) -> None:
    _scheduler(ctx).enable(name, False)
    click.echo(f"{name} disabled")


@tasks_group.command("schedule")
@click.argument("name")
@click.argument("schedule")
@click.pass_context
def schedule(ctx: click.Context, name: str, schedule: str) -> None:
    """Set SCHEDULE: 'every 30s|5m|2h|1d' or a cron expression in UTC, e.g. '10 2 * * *'."""
    _scheduler(ctx).reschedule(name, schedule)
    click.echo(f"{name}: {schedule}")


@tasks_group.command("run")
@click.argument("name")
@click.option("--queue", is_flag=True, help="Leave it to a worker instead of running it here.")
@click.pass_context
def run(ctx: click.Context, name: str, queue: bool) -> None:
    """Run the task once now (here, printing its output; or --queue for a worker)."""
    scheduler = _scheduler(ctx)
    if queue:
        click.echo(f"run {scheduler.queue_run(name)} queued")
        return
    result = scheduler.run_here(name)
    click.echo(result.output or "")
    click.echo(f"{name}: {result.status}")
    if result.status != "succeeded":
        ctx.exit(1)


@tasks_group.command("history")
@click.argument("name", required=False)
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True)
@click.pass_context
def history(ctx: click.Context, name: str | None, limit: int) -> None:
    """Runs, newest first: task, occurrence, cause, status, node, start, end, first output line."""
    for r in _scheduler(ctx).history(name, limit=limit):
        first = (r.output or "").strip().splitlines()[:1]
        click.echo("\t".join([r.task, r.occurrence.isoformat(timespec="seconds"), r.cause, r.status, r.node or "-",
                              r.started_at.isoformat(timespec="seconds") if r.started_at else "-",
                              r.finished_at.isoformat(timespec="seconds") if r.finished_at else "-",
                              first[0] if first else ""]))
