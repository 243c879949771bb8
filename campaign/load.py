"""Load: S concurrent signers over C multi-party contracts through the open API (each contract:
the platform enterprise's company seal + P persons, parallel signing), then the invariants; and
one signing request sent N times at once under one Idempotency-Key."""

from __future__ import annotations

import hashlib
import io
import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas
from stdnum.cn import ric

from campaign.checks import Plan, Result, check_contracts, check_outbox, check_tools
from campaign.site import ADMIN_MOBILE, PLATFORM_NAME, OpenClient, Site


def contract_pdf(parties: int) -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=1)
    pdf.drawString(72, 760, "Multi-party agreement")
    for line in range(25):
        pdf.drawString(72, 720 - line * 16, f"Clause {line + 1}: the parties agree to the terms below.")
    for i in range(parties):
        pdf.drawString(72 + (i % 4) * 120, 200 - (i // 4) * 60, f"Party {i + 1}:")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def person(n: int) -> dict[str, str]:
    base = f"110105{19700101 + (n % 28):08d}{n % 998 + 1:03d}"
    return {"tenantName": f"签署人{n}", "contact": f"139{n:08d}", "cardNo": base + ric.calc_check_digit(base + "0")}


class Latency:
    def __init__(self) -> None:
        self.samples: dict[str, list[float]] = {}
        self.lock = threading.Lock()

    def add(self, step: str, seconds: float) -> None:
        with self.lock:
            self.samples.setdefault(step, []).append(seconds)

    def summary(self) -> dict[str, dict[str, float]]:
        out = {}
        for step, values in sorted(self.samples.items()):
            values = sorted(values)
            out[step] = {"n": len(values), "p50_ms": statistics.median(values) * 1000,
                         "p99_ms": values[min(len(values) - 1, int(len(values) * 0.99))] * 1000}
        return out


def call(client: OpenClient, latency: Latency, step: str, path: str, *, key: str | None = None, attempts: int = 30,
         retry_transport: bool = True, **kwargs: Any) -> tuple[dict[str, Any], int]:
    """POST until the envelope says 0: a conflict or a transport failure is retried (with the same
    Idempotency-Key); (body, attempts used). Raises RuntimeError after ``attempts``."""
    body: dict[str, Any] = {}
    for attempt in range(1, attempts + 1):
        t0 = time.perf_counter()
        status, body = client.post(path, key=key, **kwargs)
        latency.add(step, time.perf_counter() - t0)
        if status == 200 and body.get("code") == 0:
            return body, attempt
        if status == 0 and not retry_transport:
            break
        if status == 200 and body.get("code") == 1000001:
            break  # a parameter or business refusal: asking again changes nothing
        time.sleep(min(0.2 * attempt, 2.0))
    raise RuntimeError(f"{step} failed after {attempts} attempts: {body}")


def create_contracts(site: Site, contracts: int, persons: int, latency: Latency, *, first_person: int = 0,
                     threads: int = 4) -> tuple[Plan, dict[str, list[dict[str, Any]]]]:
    """(plan, contract id -> signer tasks)."""
    pdf = contract_pdf(1 + persons)
    plan, tasks = Plan(), {}
    lock = threading.Lock()

    def one(i: int) -> None:
        client = site.client()
        try:
            doc = call(client, latency, "upload", "/document/createbyfile", data={"title": f"合同{i}"},
                       files={"file": ("contract.pdf", pdf, "application/pdf")})[0]["documentId"]
            people = [person(first_person + i * persons + j) for j in range(persons)]
            signatories = [{"tenantType": "CORPORATE", "tenantName": PLATFORM_NAME, "serialNo": 1, "actions": [
                {"type": "CORPORATE", "name": "公司盖章", "serialNo": 1, "locations": [
                    {"documentId": doc, "rectType": "SEAL_CORPORATE", "page": "1", "offsetX": 0.08, "offsetY": 0.2}]}]}]
            for j, p in enumerate(people):
                signatories.append({"tenantType": "PERSONAL", "tenantName": p["tenantName"],
                                    "receiverName": p["tenantName"], "contact": p["contact"], "serialNo": 2 + j,
                                    "actions": [{"type": "PERSONAL", "name": "个人签字", "serialNo": 1, "locations": [
                                        {"documentId": doc, "rectType": "SEAL_PERSONAL", "page": "1",
                                         "offsetX": 0.08 + 0.22 * ((j + 1) % 4),
                                         "offsetY": 0.2 + 0.08 * ((j + 1) // 4)}]}]})
            request = {"subject": f"压测合同{i}", "send": True, "documents": [doc], "tenantName": PLATFORM_NAME,
                       "creatorName": "张三", "creatorContact": ADMIN_MOBILE, "bizId": f"campaign-{first_person}-{i}",
                       "categoryId": site.category_id, "ordinal": False, "expireTime": "2099-12-31 23:59:59",
                       "signatories": signatories}
            cid = call(client, latency, "create", "/contract/createbycategory", json=request)[0]["contractId"]
            jobs = [{"kind": "company", "contract": cid, "name": PLATFORM_NAME}]
            jobs += [{"kind": "person", "contract": cid, "name": p["tenantName"], "person": p} for p in people]
            with lock:
                plan.contracts[cid] = [PLATFORM_NAME] + [p["tenantName"] for p in people]
                tasks[cid] = jobs
        finally:
            client.close()

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(one, range(contracts)))
    return plan, tasks


def sign(site: Site, client: OpenClient, job: dict[str, Any], latency: Latency, *, key: str,
         attempts: int = 40) -> int:
    if job["kind"] == "company":
        body = {"contractId": job["contract"], "tenantName": PLATFORM_NAME, "sealId": site.seal_id}
        return call(client, latency, "signbycompany", "/contract/signbycompany", key=key, attempts=attempts,
                    json=body)[1]
    return call(client, latency, "signbyperson", "/contract/signbyperson", key=key, attempts=attempts,
                json={"contractId": job["contract"], **job["person"]})[1]


def signer_key(job: dict[str, Any]) -> str:
    """The Idempotency-Key of one signer's request (ASCII: header values are)."""
    return f"{job['contract']}-{job['kind']}-{hashlib.sha256(job['name'].encode()).hexdigest()[:12]}"


def run_signers(site: Site, jobs: list[dict[str, Any]], latency: Latency, *,
                during: Callable[[], None] | None = None, attempts: int = 40) -> dict[str, Any]:
    """All signers at once (one thread each, released together); ``during`` runs in parallel
    (a fault). Returns counts and the elapsed time."""
    barrier = threading.Barrier(len(jobs) + 1)
    failures: list[str] = []
    retries = Counter[str]()

    def one(job: dict[str, Any]) -> None:
        client = site.client(timeout=300)
        try:
            barrier.wait()
            used = sign(site, client, job, latency, key=signer_key(job), attempts=attempts)
            if used > 1:
                retries[job["kind"]] += used - 1
        except Exception as exc:  # noqa: BLE001 - counted and reported
            failures.append(f"{job['kind']} {job['contract']}: {exc}"[:300])
        finally:
            client.close()

    threads = [threading.Thread(target=one, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    barrier.wait()
    start = time.perf_counter()
    fault = threading.Thread(target=during) if during else None
    if fault:
        fault.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    if fault:
        fault.join()
    return {"signers": len(jobs), "failed": failures, "retries": dict(retries), "seconds": elapsed,
            "signatures_per_second": (len(jobs) - len(failures)) / elapsed}


def wait_for(predicate: Callable[[], bool], timeout: float, step: float = 0.5) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


def all_delivered(site: Site, keys: set[str]) -> bool:
    """Every message of ``keys`` is in the outbox and marked delivered."""
    with site.platform().uow() as uow:
        return all((m := uow.outbox.by_key(k)) is not None and m.status.value == "delivered" for k in keys)


def callback_keys(plan: Plan) -> set[str]:
    return {f"contract:{cid}:COMPLETE" for cid in plan.contracts}


def load(site: Site, webhook: Any, *, contracts: int, persons: int) -> tuple[list[Result], dict[str, Any]]:
    latency = Latency()
    t0 = time.perf_counter()
    plan, tasks = create_contracts(site, contracts, persons, latency)
    created = time.perf_counter() - t0
    jobs = [job for cid in plan.contracts for job in tasks[cid]]
    outcome = run_signers(site, jobs, latency)
    results = [Result(f"{len(jobs)} concurrent signers answered success", not outcome["failed"],
                      "; ".join(outcome["failed"][:3]) or f"conflict retries {outcome['retries']}")]
    keys = callback_keys(plan)
    wait_for(lambda: len(set(webhook.received) & keys) == len(keys) and all_delivered(site, keys), 60)
    results += check_contracts(site, plan)
    results += check_outbox(site, keys, webhook.received, label="completion callbacks", receiver_dedups=True)
    results += check_tools(site)
    figures = {"contracts": contracts, "signers": len(jobs), "create_seconds": created,
               "sign_seconds": outcome["seconds"], "signatures_per_second": outcome["signatures_per_second"],
               "contracts_per_minute": contracts * 60 / (created + outcome["seconds"]),
               "latency": latency.summary(), "conflict_retries": outcome["retries"]}
    return results, figures


def idempotency(site: Site, webhook: Any, *, copies: int) -> tuple[list[Result], dict[str, Any]]:
    """A contract with the company and one person; the company signs; then the person's signing
    request is sent ``copies`` times at once with one Idempotency-Key."""
    latency = Latency()
    plan, tasks = create_contracts(site, 1, 1, latency, first_person=90_000)
    (cid,) = plan.contracts
    company, person_job = tasks[cid]
    client = site.client()
    sign(site, client, company, latency, key=f"{cid}:company")
    client.close()
    barrier = threading.Barrier(copies)
    answers: Counter[str] = Counter()

    def one(_: int) -> None:
        c = site.client(timeout=600)
        try:
            barrier.wait()
            t = time.perf_counter()
            status, body = c.post("/contract/signbyperson", key="same-key-for-all",
                                  json={"contractId": cid, **person_job["person"]})
            latency.add("signbyperson (same key)", time.perf_counter() - t)
            answers[f"{status}/{body.get('code')}" + ("" if body.get("code") == 0 else f" {body.get('message')}")] += 1
        finally:
            c.close()

    start = time.perf_counter()
    with ThreadPoolExecutor(copies) as pool:
        list(pool.map(one, range(copies)))
    elapsed = time.perf_counter() - start
    keys = callback_keys(plan)
    wait_for(lambda: bool(set(webhook.received) & keys) and all_delivered(site, keys), 30)
    time.sleep(2)  # a second delivery, if there were one, would arrive now
    results = [Result(f"{copies} identical requests (one key) all answered success", set(answers) == {"200/0"},
                      str(dict(answers)))]
    results += check_contracts(site, plan)
    results += check_outbox(site, keys, webhook.received, label="idempotent signing notification")
    return results, {"copies": copies, "seconds": elapsed, "answers": dict(answers), "latency": latency.summary()}
