"""``esign evidence``: verify the evidence chain, export a contract's evidence report, submit a
contract's document hashes to the configured notary."""

from __future__ import annotations

from pathlib import Path

import click

from esign_cli.context import load_platform
from esign_core.errors import ConfigurationError
from esign_core.services.evidence import evidence_report_data, verify_evidence
from esign_core.services.notary import SubmitToNotary, submit_to_notary


def _ready(ctx: click.Context):  # type: ignore[no-untyped-def]
    platform = load_platform(ctx)
    if not platform.schema_ready():
        raise ConfigurationError("the database schema is not up to date; run `esign db upgrade` first")
    return platform


@click.group()
def evidence() -> None:
    """Evidence chain (存证): verify it, export reports, notarise."""


@evidence.command()
@click.pass_context
def verify(ctx: click.Context) -> None:
    """Check every node's hash chain. Prints OK, or one line per edited, unlinked or missing
    entry naming its node, sequence, action and contract; exits 1 when anything is wrong."""
    result = verify_evidence(uow=_ready(ctx).uow())
    if result.ok:
        click.echo(f"OK: {result.checked} evidence entries on {result.nodes} node(s) verified")
        return
    for problem in result.problems:
        click.echo(problem.describe())
    more = " (more not listed)" if result.truncated else ""
    click.echo(f"FAILED: {len(result.problems)} problem(s){more} in {result.checked} entries", err=True)
    ctx.exit(1)


@evidence.command()
@click.argument("contract_id", type=int)
@click.option("--out", type=click.Path(dir_okay=False), required=True, help="PDF file to write.")
@click.pass_context
def report(ctx: click.Context, contract_id: int, out: str) -> None:
    """Write the evidence report (PDF) of a contract: parties, times, IP addresses, document
    hashes, certificates, the signing log and the chain verification."""
    from esign_adapters.evidence_report import render_evidence_report

    platform = _ready(ctx)
    data = evidence_report_data(contract_id, uow=platform.uow(), clock=platform.clock)
    Path(out).write_bytes(render_evidence_report(data))
    click.echo(f"wrote {out} ({len(data.events)} evidence entries)")
    if not data.verification.ok:
        click.echo(f"warning: the evidence chain has {len(data.verification.problems)} problem(s); "
                   "see the report or `esign evidence verify`", err=True)


@evidence.command()
@click.argument("contract_id", type=int)
@click.pass_context
def notarize(ctx: click.Context, contract_id: int) -> None:
    """Submit the contract's document hashes to the notary of ``[notary]`` in esign.toml and
    record the receipts (needs notary evidence switched on: settings section ``evidence``)."""
    from esign_adapters.notary import HttpNotaryService

    platform = _ready(ctx)
    values = platform.settings.file_values.get("notary", {})
    notary = HttpNotaryService.from_settings(values if isinstance(values, dict) else {})
    receipts = submit_to_notary(SubmitToNotary(contract_id, actor="cli"), uow=platform.uow(), notary=notary,
                                clock=platform.clock)
    if not receipts:
        click.echo("notary evidence is switched off (settings section evidence, notary_enabled); nothing submitted")
    for receipt in receipts:
        click.echo(f"receipt {receipt.receipt_id} at {receipt.at.isoformat()}")
