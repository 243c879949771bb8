"""Contracts completed per minute through the open API (/open), 1 and 2 `esign serve` workers on
PostgreSQL, each figure a ratio to the signing engine's own rate measured in the same run.

- baseline: the engine in-process on one core — per contract two event certificates from our CA
  and two PAdES B-T signatures (internal TSA) with a visible seal on the same 1-page PDF.
- HTTP: `esign serve --workers W` as a subprocess, K = 2×W client threads each repeating the
  integrator flow of the v4 SDK (x-qys headers): document upload, createbycategory with a company
  and a personal signatory, send, signbycompany, signbyperson, for ~20 s.
- the engine baseline for W workers is measured like with like, right before the HTTP run: W
  processes, each with its own Platform on the same data dir, signing concurrently for 5 s;
  their rates are summed (on a loaded 2-core machine this is below engine(1) × W, and the ratio
  then compares the HTTP server with the same number of processes doing only the signing).
- ratio = http_rate(W) / engine_rate(W processes). Target (issue 4): >= 0.7.
- ESIGN_BENCH_DB names the database (default esign_bench); ESIGN_BENCH_SECONDS the HTTP run length;
  ESIGN_BENCH_PROFILE=1 starts the server under cProfile-friendly settings (see docs/performance.md).
An answer with envelope code != 0 (e.g. a ConcurrencyError) is counted and the step retried once.
Needs PostgreSQL on 127.0.0.1:5432, user postgres, trust auth; the database esign_bench is dropped
and recreated.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}
DB_NAME = os.environ.get("ESIGN_BENCH_DB", "esign_bench")
SECONDS = float(os.environ.get("ESIGN_BENCH_SECONDS", "20"))
TARGET = 0.7
PLATFORM_NAME, USCC, ADMIN_MOBILE = "示例科技有限公司", "91350100M000100Y43", "13812345678"
PERSON = {"tenantName": "李四", "contact": "13900001111", "cardNo": "11010519491231002X"}
BIN = Path(sys.executable).parent
ESIGN = str(BIN / "esign") if (BIN / "esign").exists() else (shutil.which("esign") or "esign")


def contract_pdf() -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=1)
    pdf.setFont("Helvetica", 14)
    pdf.drawString(72, 760, "Purchase agreement, page 1")
    for line in range(30):
        pdf.drawString(72, 720 - line * 16, f"Clause {line + 1}: the parties agree to the terms below.")
    pdf.drawString(72, 200, "Party A (seal):")
    pdf.drawString(320, 200, "Party B (signature):")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def fresh_database() -> str | None:
    """Drop and create esign_bench; None when PostgreSQL is reachable, else the reason."""
    try:
        import psycopg

        with psycopg.connect(dbname="postgres", autocommit=True, connect_timeout=5, **PG) as conn:  # type: ignore[arg-type]
            conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {DB_NAME}")
    except Exception as exc:  # noqa: BLE001 - any failure here means "cannot run", reported as such
        return f"PostgreSQL at {PG['host']}:{PG['port']} not usable: {exc}"
    return None


def esign(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([ESIGN, *args], env=env, capture_output=True, text=True, timeout=180)
    if done.returncode != 0:
        raise RuntimeError(f"esign {args[0]} failed: {done.stdout}{done.stderr}")
    return done.stdout


def install(tmp: Path) -> tuple[Path, dict[str, str], str, str]:
    """Activate a data dir on PostgreSQL; return it, its environment and an app's token/secret."""
    from esign_adapters.licensing import generate_vendor_keys, issue_licence, product_code
    from esign_core.model.installation import Quotas

    data_dir = tmp / "esign-data"
    data_dir.mkdir()
    env = {**os.environ, "ESIGN_DATA_DIR": str(data_dir)}
    env.pop("ESIGN_DATABASE_URL", None)
    priv, pub = generate_vendor_keys(tmp / "vendor")
    shutil.copy(pub, data_dir / "licence-vendor.pub")
    code = issue_licence(priv.read_bytes(), product_code=product_code(data_dir), licensee=PLATFORM_NAME,
                         expires_at=datetime.now(UTC) + timedelta(days=30), quotas=Quotas())
    esign(env, "init", "--licence", code, "--db-type", "postgresql", "--db-host", PG["host"],  # type: ignore[arg-type]
          "--db-port", str(PG["port"]), "--db-user", PG["user"], "--db-name", DB_NAME,  # type: ignore[arg-type]
          "--admin-username", "admin", "--admin-password", "Passw0rd2026", "--platform-name", PLATFORM_NAME,
          "--platform-uscc", USCC, "--platform-admin-name", "张三", "--platform-admin-mobile", ADMIN_MOBILE)
    out = esign(env, "app", "create", "bench")
    values = dict(line.split(":", 1) for line in out.splitlines() if ":" in line)
    return data_dir, env, values["AppToken"].strip(), values["AppSecret"].strip()


def engine_contracts_per_minute(platform: Any, pdf: bytes, seconds: float = 5.0) -> float:
    """Two event certificates + two B-T signatures per contract, in this process (one core)."""
    from esign_adapters.seals.renderer import PillowSealRenderer
    from esign_core.model.certificate import SubjectType
    from esign_core.model.contract import StamperType
    from esign_core.ports.signing import SealDesign, SealStyle, SignatureLevel, SignRequest, Stamp, Subject
    from esign_core.values import PagePosition

    company = Subject(PLATFORM_NAME, SubjectType.ENTERPRISE, USCC)
    person = Subject(PERSON["tenantName"], SubjectType.PERSONAL, PERSON["cardNo"])
    renderer = PillowSealRenderer()
    seal_png = renderer.render(SealDesign(SealStyle.COMPANY_ROUND, PLATFORM_NAME, "合同专用章"))
    sig_png = renderer.render(SealDesign(SealStyle.PERSONAL_SIGNATURE, PERSON["tenantName"], ""))
    ca, signer = platform.ca, platform.signer

    def one_contract() -> None:
        doc = pdf
        for subject, kind, png, x in ((company, StamperType.SEAL_CORPORATE, seal_png, 0.1),
                                      (person, StamperType.SEAL_PERSONAL, sig_png, 0.55)):
            cred = ca.issue_event_certificate(subject, at=platform.clock.now())
            stamp = Stamp(kind, png, PagePosition(1, x, 0.1), 42.0, 42.0)
            doc = signer.sign(doc, SignRequest(credential=cred, stamps=(stamp,), level=SignatureLevel.B_T))

    one_contract()  # warm: CA keys, TSA credential, fonts
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        one_contract()
        done += 1
    return done * 60 / (time.perf_counter() - start)


class Client:
    """The SDK's request signing: md5(token + secret + timestamp)."""

    def __init__(self, base: str, token: str, secret: str, failures: Counter[str], lock: threading.Lock) -> None:
        self.http = httpx.Client(base_url=f"{base}/open", timeout=60)
        self.token, self.secret, self.failures, self.lock = token, secret, failures, lock
        self.latency: dict[str, list[float]] = {}

    _last_ms = 0
    _ms_lock = threading.Lock()

    def headers(self) -> dict[str, str]:
        # Each x-qys signature is accepted once (ADR 0042): threads sharing one app never send the
        # same millisecond twice.
        with Client._ms_lock:
            Client._last_ms = max(Client._last_ms + 1, int(time.time() * 1000))
            ts = str(Client._last_ms)
        return {"x-qys-accesstoken": self.token, "x-qys-timestamp": ts,
                "x-qys-signature": hashlib.md5((self.token + self.secret + ts).encode()).hexdigest()}

    def call(self, step: str, path: str, **kwargs: Any) -> dict[str, Any]:
        """One step; a non-zero envelope code (or non-200) is counted and the step retried once."""
        for attempt in (1, 2):
            t0 = time.perf_counter()
            response = self.http.post(path, headers=self.headers(), **kwargs)
            self.latency.setdefault(step, []).append(time.perf_counter() - t0)
            body = response.json() if response.status_code == 200 else {"code": response.status_code}
            if body.get("code") == 0:
                return body  # type: ignore[no-any-return]
            with self.lock:
                self.failures[f"{step} code {body.get('code')}: {str(body.get('message', ''))[:70]}"] += 1
            if attempt == 2:
                raise RuntimeError(f"{step} failed twice: {body}")
        raise AssertionError("unreachable")

    def contract(self, pdf: bytes, biz_id: str, seal_id: str) -> None:
        doc = self.call("upload", "/document/createbyfile", data={"title": "采购合同"},
                        files={"file": ("contract.pdf", pdf, "application/pdf")})["documentId"]
        request = {
            "subject": "采购合同", "send": False, "documents": [doc], "tenantName": PLATFORM_NAME,
            "creatorName": "张三", "creatorContact": ADMIN_MOBILE, "bizId": biz_id, "expireTime": "2099-12-31 23:59:59",
            "signatories": [
                {"tenantType": "CORPORATE", "tenantName": PLATFORM_NAME, "serialNo": 1,
                 "actions": [{"type": "CORPORATE", "name": "公司盖章", "serialNo": 1, "locations": [
                     {"documentId": doc, "rectType": "SEAL_CORPORATE", "page": "1", "offsetX": 0.1, "offsetY": 0.1}]}]},
                {"tenantType": "PERSONAL", "tenantName": PERSON["tenantName"], "receiverName": PERSON["tenantName"],
                 "contact": PERSON["contact"], "serialNo": 2,
                 "actions": [{"type": "PERSONAL", "name": "个人签字", "serialNo": 1, "locations": [
                     {"documentId": doc, "rectType": "SEAL_PERSONAL", "page": "1", "offsetX": 0.55, "offsetY": 0.1}]}]},
            ],
        }
        contract_id = self.call("create", "/contract/createbycategory", json=request)["contractId"]
        self.call("send", "/contract/send", json={"contractId": contract_id})
        self.call("signbycompany", "/contract/signbycompany", json={
            "contractId": contract_id, "tenantName": PLATFORM_NAME,
            "stampers": [{"documentId": doc, "type": "SEAL_CORPORATE", "sealId": seal_id, "page": 1, "x": 0.1,
                          "y": 0.1}]})
        self.call("signbyperson", "/contract/signbyperson", json={"contractId": contract_id, **PERSON})


def http_contracts_per_minute(env: dict[str, str], workers: int, token: str, secret: str, seal_id: str,
                              pdf: bytes, log_path: Path) -> tuple[float, int, Counter[str], int, dict[str, float]]:
    """Start `esign serve --workers W`, drive 2×W threads for SECONDS;
    (rate, done, failures, lost, median ms per step)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with log_path.open("w") as log:
        server = subprocess.Popen([ESIGN, "serve", "--workers", str(workers), "--port", str(port)],
                                  env={**env, "ESIGN_PORT": str(port)}, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"esign serve did not start:\n{log_path.read_text()[-2000:]}")
                time.sleep(0.3)
            threads = 2 * workers
            failures: Counter[str] = Counter()
            lock = threading.Lock()
            ids = itertools.count()
            completed = [0] * threads
            lost = [0] * threads
            barrier = threading.Barrier(threads + 1)
            latency: dict[str, list[float]] = {}
            end = [0.0]
            go = threading.Event()  # end[0] is set before any thread reads it

            def drive(n: int) -> None:
                client = Client(base, token, secret, failures, lock)
                try:
                    client.contract(pdf, f"warm-{workers}-{n}", seal_id)  # warms each worker process
                except RuntimeError:
                    pass
                barrier.wait()
                go.wait()
                client.latency.clear()
                while time.perf_counter() < end[0]:
                    try:
                        client.contract(pdf, f"bench-{workers}-{next(ids)}", seal_id)
                        completed[n] += 1
                    except RuntimeError:
                        lost[n] += 1
                client.http.close()
                with lock:
                    for step, samples in client.latency.items():
                        latency.setdefault(step, []).extend(samples)

            pool = [threading.Thread(target=drive, args=(n,)) for n in range(threads)]
            for t in pool:
                t.start()
            barrier.wait()
            start = time.perf_counter()
            end[0] = start + SECONDS
            go.set()
            for t in pool:
                t.join()
            elapsed = time.perf_counter() - start
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    medians = {step: statistics.median(samples) * 1000 for step, samples in latency.items()}
    return sum(completed) * 60 / elapsed, sum(completed), failures, sum(lost), medians


def run() -> None:
    reason = fresh_database()
    if reason:
        print(f"not run: {reason}")
        return
    from esign_adapters.bootstrap import Platform
    from esign_adapters.settings import Settings
    from esign_core.model.seal import SealKind
    from esign_core.services.seals import CreateSeal

    pdf = contract_pdf()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        data_dir, env, token, secret = install(tmp)
        platform = Platform.from_settings(Settings.load(data_dir, env=env))
        with platform.uow() as uow:
            org = uow.organizations.platform()
            admin_member_id = org.admin_member_id
        seal_id = str(platform.handle(CreateSeal(owner_id=org.id, kind=SealKind.COMPANY, name="合同专用章",
                                                 authorize_member_ids=(admin_member_id,))))
        engine_rate = engine_contracts_per_minute(platform, pdf)
        stats = getattr(platform.signer, "stats", None)
        if stats is not None:
            print(f"engine signatures: fast path {stats.fast}, pyHanko fallbacks {dict(stats.fallbacks)}")
        platform.close()
        print(f"engine in-process (1 core): {engine_rate:7.1f} contracts/min "
              f"({engine_rate * 2 / 60:.1f} signatures/s, 2 event certs + 2 B-T signatures per contract)")
        print(f"{'workers':>7} {'threads':>7} {'done':>5} {'contracts/min':>14} {'engine W proc':>13} {'ratio':>6}"
              f"  {'engine1 x W':>11} {'ratio':>6}  target >= {TARGET}")
        results = {}
        for workers in (1, 2):
            engine_w = engine_rate if workers == 1 else engine_in_processes(env, data_dir, workers)
            rate, done, failures, lost, medians = http_contracts_per_minute(env, workers, token, secret, seal_id, pdf,
                                                                  tmp / f"serve-{workers}.log")
            ratio = rate / engine_w
            results[workers] = rate
            print(f"{workers:>7} {2 * workers:>7} {done:>5} {rate:14.1f} {engine_w:13.1f} {ratio:6.2f}"
                  f"  {engine_rate * workers:11.1f} {rate / (engine_rate * workers):6.2f}"
                  f"  {'met' if ratio >= TARGET else 'NOT met'}")
            for what, count in failures.most_common():
                print(f"        non-zero answer x{count}: {what}")
            print("        median ms per request: " + ", ".join(f"{k} {v:.0f}" for k, v in medians.items()))
            if lost:
                print(f"        contracts abandoned after a failed retry: {lost}")
        print(f"scaling 2 workers / 1 worker: {results[2] / results[1]:.2f}x (cores: {os.cpu_count()})")


def engine_in_processes(env: dict[str, str], data_dir: Path, processes: int, seconds: float = 5.0) -> float:
    """The engine rate of ``processes`` concurrent processes (each its own Platform), summed."""
    code = ("import sys; from benchmarks.bench_contracts_http import _engine_child; "
            f"print(_engine_child({str(data_dir)!r}, {seconds}))")
    root = str(Path(__file__).resolve().parent.parent)
    children = [subprocess.Popen([sys.executable, "-c", code], env={**env, "PYTHONPATH": root},
                                 stdout=subprocess.PIPE, text=True) for _ in range(processes)]
    return sum(float(child.communicate(timeout=300)[0].strip().splitlines()[-1]) for child in children)


def _engine_child(data_dir: str, seconds: float) -> float:
    from esign_adapters.bootstrap import Platform
    from esign_adapters.settings import Settings

    platform = Platform.from_settings(Settings.load(Path(data_dir), env=dict(os.environ)))
    try:
        return engine_contracts_per_minute(platform, contract_pdf(), seconds)
    finally:
        platform.close()
