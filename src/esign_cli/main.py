"""``esign`` entry point: command groups and the one place CLI errors are translated."""

from __future__ import annotations

import sys
from typing import Any

import click
from rich.console import Console
from rich.markup import escape

import esign_core
from esign_core.errors import EsignError, InvalidValue, NotFoundError, PermissionDenied, PortError

err_console = Console(stderr=True, highlight=False, soft_wrap=True)

# Exit codes: 1 = a check failed / generic, 2 = bad input (click's own), 3 = refused by a rule,
# 4 = not found, 5 = permission, 6 = outside system unavailable.
_EXIT_CODES: tuple[tuple[type[EsignError], int], ...] = (
    (InvalidValue, 2),
    (NotFoundError, 4),
    (PermissionDenied, 5),
    (PortError, 6),
)


def exit_code_for(exc: EsignError) -> int:
    for cls, code in _EXIT_CODES:
        if isinstance(exc, cls):
            return code
    return 3


class EsignGroup(click.Group):
    """Translates EsignError into a one-line message and an exit code; never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except EsignError as exc:
            field = exc.fields.get("field")
            where = f" [{field}]" if field else ""
            err_console.print(f"[bold red]error[/] ({exc.code}){escape(where)}: {escape(exc.message)}")
            sys.exit(exit_code_for(exc))


@click.group(cls=EsignGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--data-dir",
    envvar="ESIGN_DATA_DIR",
    type=click.Path(file_okay=False),
    default=None,
    help="Data directory (default ./esign-data; env ESIGN_DATA_DIR).",
)
@click.pass_context
def cli(ctx: click.Context, data_dir: str | None) -> None:
    """esign: self-hosted electronic contracts (console, signing portal, open API)."""
    ctx.ensure_object(dict)
    ctx.obj["data_dir"] = data_dir


@cli.command()
def version() -> None:
    """Print the version."""
    click.echo(f"esign {esign_core.__version__}")


def _register() -> None:
    from esign_cli import (
        apps,
        db,
        demo,
        doctor,
        evidence,
        licence,
        orgs,
        people,
        pki,
        seals,
        serve,
        settings,
        setup,
        signing,
        storage,
    )
    from esign_cli import connectors as connector_cli
    from esign_cli import devices as device_cli
    from esign_cli import messaging as messaging_cli
    from esign_cli import org_sync as org_sync_cli
    from esign_cli import plugins as plugin_cli
    from esign_cli import tasks as task_cli
    from esign_cli import templates as template_cli
    from esign_cli import worker as worker_cli

    del seals  # imported for its side effect: its commands attach themselves to the `seal` group

    cli.add_command(serve.serve)
    cli.add_command(setup.init)
    cli.add_command(db.db)
    cli.add_command(evidence.evidence)
    cli.add_command(doctor.doctor)
    cli.add_command(licence.license_group)
    cli.add_command(settings.settings_group)
    cli.add_command(pki.pki)
    cli.add_command(signing.seal)
    cli.add_command(signing.sign)
    cli.add_command(signing.verify)
    cli.add_command(storage.storage)
    cli.add_command(apps.app_group)
    cli.add_command(template_cli.template_group)
    cli.add_command(worker_cli.worker)
    cli.add_command(worker_cli.outbox_group)
    cli.add_command(task_cli.tasks_group)
    cli.add_command(device_cli.device_group)
    cli.add_command(plugin_cli.plugins_group)
    cli.add_command(connector_cli.connectors_group)
    cli.add_command(orgs.orgs_group)
    cli.add_command(people.members_group)
    cli.add_command(people.contacts_group)
    cli.add_command(people.users_group)
    cli.add_command(messaging_cli.sms_group)
    cli.add_command(messaging_cli.mail_group)
    cli.add_command(demo.demo)
    cli.add_command(org_sync_cli.sync_group)


_register()


def main() -> None:
    cli(prog_name="esign")
