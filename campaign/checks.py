"""The invariants checked after every scenario, on the database, the stored files, the signed
outputs and the stand-in servers — and the operator's own tools: ``esign doctor``,
``esign storage verify`` and ``esign evidence verify`` must all be clean."""

from __future__ import annotations

import io
import zipfile
from collections import Counter
from typing import Any

import attrs

from campaign.site import PLATFORM_NAME, Site


@attrs.define
class Plan:
    """What a scenario created: contract id -> the signers expected on it (names)."""

    contracts: dict[str, list[str]] = attrs.Factory(dict)


@attrs.define
class Result:
    name: str
    ok: bool
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"invariant": self.name, "ok": self.ok, "detail": self.detail}


def check_contracts(site: Site, plan: Plan, *, complete: bool = True) -> list[Result]:
    """Exactly one signature per (contract, signer, stamper) in the output and in the evidence;
    every output validates (all signatures TOTAL_PASSED, the earlier ones intact); document
    revisions = 1 + signatures; no contract half-signed (a contract is COMPLETE with all its
    signatures, or SIGNING with an evidence entry for each signature its PDF carries)."""
    from esign_core.model.contract import ContractStatus

    platform = site.platform()
    client = site.client()
    bad_sig, bad_valid, bad_evidence, bad_revisions, half, incomplete = [], [], [], [], [], []
    try:
        for cid, signers in plan.contracts.items():
            with platform.uow() as uow:
                contract = uow.contracts.get(int(cid))
                signed = [e.record for e in uow.evidence.entries(contract_id=int(cid))
                          if e.record.action == "contract.signed"]
                docs = [uow.documents.get(d) for d in contract.document_ids]
            response = client.get("/contract/download", contractId=cid)
            archive = zipfile.ZipFile(io.BytesIO(response.content))
            pdfs = [archive.read(n) for n in archive.namelist()]
            for pdf in pdfs:
                report = platform.validator.validate(pdf)
                names = Counter(s.signer for s in report.signatures)
                if any(s.indication.value != "TOTAL_PASSED" for s in report.signatures):
                    bad_valid.append(cid)
                done = len(signed)
                if len(report.signatures) != done or any(v > 1 for v in names.values()):
                    bad_sig.append(f"{cid}: {len(report.signatures)} signatures in the PDF, {done} in the evidence, "
                                   f"{dict(names)}")
            if complete and contract.status is not ContractStatus.COMPLETE:
                incomplete.append(f"{cid}: {contract.status.value}")
            if contract.status is ContractStatus.COMPLETE and len(signed) != len(signers):
                bad_evidence.append(f"{cid}: {len(signed)} contract.signed entries for {len(signers)} signers")
            if contract.status not in (ContractStatus.COMPLETE, ContractStatus.SIGNING):
                half.append(f"{cid}: {contract.status.value}")
            for doc in docs:
                if doc.revisions != len(signed):
                    bad_revisions.append(f"{cid}: document {doc.id} has {doc.revisions} revisions for "
                                         f"{len(signed)} signatures")
    finally:
        client.close()
    n = len(plan.contracts)
    return [
        Result("every contract complete" if complete else "contracts complete or still signing",
               not incomplete and not half, "; ".join((incomplete + half)[:5]) or f"{n} contracts"),
        Result("one signature per (contract, signer, stamper) in the output", not bad_sig,
               "; ".join(bad_sig[:5]) or f"{sum(len(s) for s in plan.contracts.values())} signatures"),
        Result("every output validates, earlier signatures intact", not bad_valid,
               ", ".join(bad_valid[:5]) or f"{n} outputs TOTAL_PASSED"),
        Result("evidence: one contract.signed entry per signer", not bad_evidence, "; ".join(bad_evidence[:5])),
        Result("stored revisions: one per signature per document", not bad_revisions, "; ".join(bad_revisions[:5])),
    ]


def check_outbox(site: Site, expected_keys: set[str], received: Counter[str], *, label: str,
                 receiver_dedups: bool = False) -> list[Result]:
    """Every expected outbox message exists once and was delivered; the stand-in server received
    each at least once. Delivery is at least once: a message whose answer was lost (a timeout, a
    killed worker) is sent again under the same idempotency id. ``receiver_dedups``: the channel's
    contract has the receiver drop repeats by that id (webhooks: ``webhook-id``), so a repeat is
    reported but is not a duplicate notification; otherwise (SMS, e-mail) it is one."""
    platform = site.platform()
    with platform.uow() as uow:
        found = {k: uow.outbox.by_key(k) for k in expected_keys}
    by_key = {k: m for k, m in found.items() if m is not None}
    missing = sorted(expected_keys - by_key.keys())
    undelivered = sorted(k for k in expected_keys & by_key.keys() if by_key[k].status.value != "delivered")
    lost = sorted(k for k in expected_keys if received.get(k, 0) == 0 and by_key.get(k) is not None
                  and by_key[k].status.value == "delivered")
    dup = {k: n for k, n in received.items() if k in expected_keys and n > 1}
    return [
        Result(f"{label}: one outbox message per expected notification", not missing,
               f"missing {missing[:5]}" if missing else f"{len(expected_keys)} messages"),
        Result(f"{label}: every message delivered", not undelivered, f"undelivered {undelivered[:5]}"
               if undelivered else ""),
        Result(f"{label}: nothing lost at the receiver", not lost, f"lost {lost[:5]}" if lost else
               f"{sum(1 for k in expected_keys if received.get(k))} received"),
        Result(f"{label}: no duplicate notification" + (" (after the receiver drops repeats by id)"
                                                         if receiver_dedups else ""), receiver_dedups or not dup,
               f"{len(dup)} sent more than once under the same idempotency id, {sum(dup.values()) - len(dup)} "
               f"repeat(s): {list(dup.items())[:2]}" if dup else "no repeat"),
    ]


def _tool(site: Site, *args: str) -> tuple[int, list[str]]:
    done = site.esign(*args, check=False)
    lines = [line for line in (done.stdout + done.stderr).splitlines()
             if line.strip() and "━" not in line and "verifying" not in line]
    return done.returncode, lines


def check_tools(site: Site) -> list[Result]:
    """`esign doctor` and `esign evidence verify` clean; `esign storage verify`: no missing,
    corrupt or invalid object (no pointer to a missing file). Orphans — objects written by a
    transaction that then failed, which the store keeps by design (the object is written before
    its pointer commits) — are counted, removed with `esign storage verify --repair`, and the
    verification must then be clean."""
    out = []
    for args in (("doctor",), ("evidence", "verify")):
        code, lines = _tool(site, *args)
        detail = " / ".join(lines[-3:])[:300] if args[0] != "doctor" else f"exit status {code}"
        out.append(Result(f"esign {' '.join(args)} clean", code == 0, detail))
    code, lines = _tool(site, "storage", "verify")
    problems = [line for line in lines if line.startswith("problem ")]
    serious = [line for line in problems if not line.startswith("problem orphan ")]
    orphans = len(problems) - len(serious)
    out.append(Result("no pointer to a missing or corrupt file (esign storage verify)", not serious,
                      " / ".join(serious[:3])[:300] or f"{orphans} orphan object(s) from aborted transactions"))
    if code != 0 and not serious:
        _tool(site, "storage", "verify", "--repair")
        code, lines = _tool(site, "storage", "verify")
    out.append(Result("esign storage verify clean" + (f" (after --repair removed {orphans} orphans)" if orphans
                                                       else ""), code == 0, " / ".join(lines[-2:])[:300]))
    return out


__all__ = ["PLATFORM_NAME", "Plan", "Result", "check_contracts", "check_outbox", "check_tools"]
