"""Faults, each injected while signers (or deliveries) are in flight, each followed by the
invariants: no contract half-signed, no pointer to a missing file, no lost notification (and
repeats only under the same idempotency id), and `esign doctor` / `storage verify` /
`evidence verify` clean."""

from __future__ import annotations

import hashlib
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from campaign.checks import Result, check_contracts, check_outbox, check_tools
from campaign.load import Latency, all_delivered, callback_keys, create_contracts, run_signers, wait_for
from campaign.servers import AliyunSms, SmtpServer, WebhookReceiver
from campaign.site import Site


def _signing_under(site: Site, webhook: WebhookReceiver, name: str, fault: Callable[[], str], *, contracts: int,
                   persons: int, first_person: int) -> tuple[list[Result], dict[str, Any]]:
    latency = Latency()
    plan, tasks = create_contracts(site, contracts, persons, latency, first_person=first_person)
    jobs = [job for cid in plan.contracts for job in tasks[cid]]
    what: list[str] = []
    outcome = run_signers(site, jobs, latency, during=lambda: what.append(fault()), attempts=60)
    keys = callback_keys(plan)
    wait_for(lambda: len(set(webhook.received) & keys) == len(keys) and all_delivered(site, keys), 90)
    results = [Result(f"[{name}] every signer finally answered success (retrying with its key)",
                      not outcome["failed"], "; ".join(outcome["failed"][:3]) or f"retries {outcome['retries']}")]
    results += [_tag(name, r) for r in check_contracts(site, plan)]
    results += [_tag(name, r) for r in check_outbox(site, keys, webhook.received, label="completion callbacks",
                                                               receiver_dedups=True)]
    results += [_tag(name, r) for r in check_tools(site)]
    return results, {"fault": what[0] if what else "", "signers": len(jobs), "seconds": outcome["seconds"],
                     "latency": latency.summary()}


def _tag(name: str, r: Result) -> Result:
    return Result(f"[{name}] {r.name}", r.ok, r.detail)


def postgres_restart(site: Site, webhook: WebhookReceiver, *, contracts: int,
                     persons: int) -> tuple[list[Result], dict]:  # type: ignore[type-arg]
    def fault() -> str:
        time.sleep(0.3)  # the signers' requests are in flight (a signing takes longer than this)
        t = time.perf_counter()
        site.pg.restart(down_seconds=3.0, mode="immediate")
        return f"PostgreSQL stopped (immediate) and restarted, down {time.perf_counter() - t:.1f} s"

    return _signing_under(site, webhook, "postgres restart", fault, contracts=contracts, persons=persons,
                          first_person=10_000)


def blob_root(site: Site) -> Path:
    for path in site.data_dir.rglob("sha256"):
        if path.is_dir():
            return path.parent
    raise RuntimeError("no local blob store under the data directory")


def storage_down(site: Site, webhook: WebhookReceiver, *, contracts: int, persons: int) -> tuple[list[Result], dict]:  # type: ignore[type-arg]
    """The local store's directory replaced by a plain file for a while: every write and read
    fails (as root, permissions would not stop us)."""
    root = blob_root(site)
    away = root.with_name(root.name + ".away")

    def fault() -> str:
        time.sleep(0.1)
        os.rename(root, away)
        root.write_bytes(b"storage is down\n")
        time.sleep(5.0)
        root.unlink()
        os.rename(away, root)
        return f"{root} unavailable for 5 s"

    return _signing_under(site, webhook, "storage down", fault, contracts=contracts, persons=persons,
                          first_person=20_000)


def web_node_killed(site: Site, webhook: WebhookReceiver, *, contracts: int, persons: int) -> tuple[list[Result], dict]:  # type: ignore[type-arg]
    def fault() -> str:
        time.sleep(0.3)  # the signers' requests are in flight (a signing takes longer than this)
        children = site.web_children()
        if not children:
            return "no web worker process found"
        os.kill(children[0], signal.SIGKILL)
        wait_for(lambda: len(site.web_children()) >= len(children), 30)
        return f"web worker pid {children[0]} killed with SIGKILL mid-request; {len(site.web_children())} running after"

    return _signing_under(site, webhook, "web node killed", fault, contracts=contracts, persons=persons,
                          first_person=30_000)


def worker_killed(site: Site, webhook: WebhookReceiver, *, contracts: int) -> tuple[list[Result], dict]:  # type: ignore[type-arg]
    """Completion callbacks delivered slowly (the receiver takes 3 s); a worker is SIGKILLed while
    it is delivering; a replacement is started; the killed worker's claims come back after their
    lease."""
    webhook.delay = 3.0
    latency = Latency()
    try:
        plan, tasks = create_contracts(site, contracts, 1, latency, first_person=40_000)
        jobs = [job for cid in plan.contracts for job in tasks[cid]]
        outcome = run_signers(site, jobs, latency)
        time.sleep(1.5)  # deliveries in flight (each waits 3 s at the receiver)
        victim = site.running_workers()[0]
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        site.start_worker()
        keys = callback_keys(plan)
        wait_for(lambda: all_delivered(site, keys), 120)  # the killed worker's claims return after their lease
    finally:
        webhook.delay = 0.0
    results = [Result("[worker killed] signers answered success", not outcome["failed"],
                      "; ".join(outcome["failed"][:3]))]
    results += [_tag("worker killed", r) for r in check_contracts(site, plan)]
    results += [_tag("worker killed", r) for r in check_outbox(site, keys, webhook.received,
                                                               label="completion callbacks",
                                                               receiver_dedups=True)]
    results += [_tag("worker killed", r) for r in check_tools(site)]
    return results, {"fault": f"worker pid {victim.pid} killed with SIGKILL during deliveries", "contracts": contracts}


def providers_hang(site: Site, *, messages: int) -> tuple[list[Result], dict]:  # type: ignore[type-arg]
    """The SMTP server and the SMS provider take each message and do not answer for 10 s (the
    platform's command timeouts are 2 s): sign-link notifications, half by e-mail and half by SMS.
    The mail sender waits minutes for the end-of-data reply (RFC 5321 §4.5.3.2.6) instead of
    sending again; an SMS whose answer was lost is looked up at the provider by its OutId before
    a retry sends it. Each reaches its server once, none is lost."""
    from esign_core.services.notifications import SendSignLink

    smtp, sms = SmtpServer(), AliyunSms()
    # The platform's workers here hold a claim for the production lease (300 s: longer than the
    # 240 s a mail server gets to answer the end of a message), not the campaign's 8 s, which is
    # there to bring a killed worker's claims back quickly: with 8 s another worker would take a
    # message over while the first still waits for the slow server's answer.
    lease = site.env["ESIGN_WORKER_LEASE_SECONDS"]
    _restart_workers(site, lease="300")
    try:
        site.esign("mail", "configure", "--sender", "esign@example.com", "--host", "127.0.0.1", "--port",
                   str(smtp.port), "--tls", "NONE", "--timeout", "2")
        site.esign("sms", "configure", "--provider", "aliyun", "--set", "access_key_id=campaign", "--set",
                   "access_key_secret=campaign-secret", "--set", "sign_name=电子签", "--set", f"endpoint={sms.url}/",
                   "--set", "timeout=2")
        for n, event in enumerate(("verification_code", "sign_link")):
            site.esign("sms", "template", event, "--template-id", f"SMS_000{n}")
        site.esign("sms", "use", "own")
        latency = Latency()
        plan, _tasks = create_contracts(site, max(1, messages // 2), 1, latency, first_person=50_000)
        platform = site.platform()
        smtp.hang(10)
        sms.hang(10)
        keys_mail, keys_sms = set(), set()
        for n, cid in enumerate(plan.contracts):
            with platform.uow() as uow:
                contract = uow.contracts.get(int(cid))
            signatory = contract.signatories[1]
            for contact, bucket in ((f"signer{n}@example.com", keys_mail), (f"137{n:08d}", keys_sms)):
                message = platform.handle(SendSignLink(contract_id=contract.id, signatory_id=signatory.id,
                                                       contact=contact, link=f"https://esign.example/s/{n}"))
                bucket.add(message.idempotency_key)
        t0 = time.perf_counter()

        def delivered() -> bool:
            with platform.uow() as uow:
                return all((m := uow.outbox.by_key(k)) is not None and m.status.value == "delivered"
                           for k in keys_mail | keys_sms)

        wait_for(delivered, 120)
        took = time.perf_counter() - t0
        mail_ids = {f"<{hashlib.sha256(k.encode()).hexdigest()[:32]}@example.com>": k for k in keys_mail}
        received_mail = {mail_ids.get(mid, mid): n for mid, n in smtp.received.items()}
        received_sms = {k: sms.received.get(k[:64], 0) for k in keys_sms}
        from collections import Counter

        results = [_tag("SMTP timing out", r) for r in check_outbox(site, keys_mail, Counter(received_mail),
                                                                    label="sign-link e-mails")]
        results += [_tag("SMS provider timing out", r) for r in check_outbox(site, keys_sms, Counter(received_sms),
                                                                             label="sign-link SMS")]
        with platform.uow() as uow:
            attempts = [uow.outbox.by_key(k).attempts for k in keys_mail | keys_sms]  # type: ignore[union-attr]
        results += [_tag("providers timing out", r) for r in check_tools(site)]
        return results, {"messages": len(keys_mail) + len(keys_sms), "seconds_to_deliver_all": took,
                         "max_attempts": max(attempts), "hang_seconds": 10}
    finally:
        smtp.close()
        sms.close()
        _restart_workers(site, lease=lease)


def _restart_workers(site: Site, *, lease: str) -> None:
    running = site.running_workers()
    for proc in running:
        proc.send_signal(signal.SIGTERM)
    for proc in running:
        proc.wait(timeout=30)
    site.env["ESIGN_WORKER_LEASE_SECONDS"] = lease
    for _ in running:
        site.start_worker()
