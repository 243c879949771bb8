"""Outbox throughput: webhooks delivered per second by 1 and 4 `esign worker` processes on
PostgreSQL, as a ratio to the same HTTP calls made directly in a loop in the same run.

- sink: a local HTTP/1.1 server in its own process answering 204 to every POST (keep-alive).
- direct (baseline): one thread POSTing the same signed JSON body with an httpx client in a loop.
- outbox: W worker processes (``esign worker --no-scheduler --concurrency 1``) are started and
  idle first; N webhook messages are enqueued not yet due, then made due by one UPDATE, and the
  clock runs from that UPDATE until every row is DELIVERED. Per batch of 20: a claim (SELECT …
  FOR UPDATE SKIP LOCKED + one UPDATE, committed); per message: the SSRF check, signing, the POST
  and an outcome UPDATE (the round's outcomes committed together).
- ratio = outbox rate / direct rate. No target was set by the issue; the figures are reported.

PostgreSQL: ``ESIGN_BENCH_POSTGRES_URL`` (default ``postgresql+psycopg://postgres@127.0.0.1:5432/
esign_bench_outbox``, created when missing); its outbox, task tables are emptied, nothing else.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from benchmarks._postgres import bench_database

SINK = r'''
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length", 0)))
        self.send_response(204); self.send_header("content-length", "0"); self.end_headers()
s = ThreadingHTTPServer(("127.0.0.1", 0), H); s.daemon_threads = True
print(s.server_address[1], flush=True); s.serve_forever()
'''
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/esign_bench_outbox"
N = {1: 600, 4: 1200}



def _empty(engine: sa.engine.Engine) -> None:
    from esign_adapters.db import tables as t

    with engine.begin() as conn:
        for table in (t.outbox_messages, t.task_runs, t.scheduled_tasks):
            conn.execute(table.delete())


class _FixedClock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


def direct_rate(url: str, secret: str, n: int) -> float:
    import json

    import httpx

    from esign_adapters.outbox.webhook import sign

    client = httpx.Client(timeout=10, follow_redirects=False, trust_env=False)
    body = json.dumps({"type": "bench.event", "timestamp": "2026-01-01T00:00:00+00:00", "data": {"i": 0}}).encode()
    for _ in range(20):  # warm-up (connection)
        client.post(url, content=body)
    start = time.perf_counter()
    for i in range(n):
        ts = int(time.time())
        headers = {"content-type": "application/json", "webhook-id": f"direct-{i}", "webhook-timestamp": str(ts),
                   "webhook-signature": sign([secret], f"direct-{i}", ts, body)}
        r = client.post(url, content=body, headers=headers)
        assert r.status_code == 204
    elapsed = time.perf_counter() - start
    client.close()
    return n / elapsed


def outbox_rate(engine: sa.engine.Engine, db_url: str, sink_url: str, secret: str, workers: int, n: int,
                tmp: Path) -> float:
    from esign_adapters.db import tables as t
    from esign_adapters.db.uow import SqlUnitOfWork
    from esign_adapters.system import SnowflakeIds
    from esign_core.services.outbox import enqueue

    _empty(engine)
    env = {**os.environ, "ESIGN_DATABASE_URL": db_url, "ESIGN_WEBHOOK_SECRETS": secret,
           "ESIGN_WEBHOOK_ALLOW": "127.0.0.1/32", "ESIGN_WORKER_POLL_SECONDS": "0.05", "ESIGN_WORKER_BATCH": "20"}
    procs = []
    for w in range(workers):
        data_dir = tmp / f"w{workers}-{w}"
        data_dir.mkdir()
        procs.append(subprocess.Popen(
            [sys.executable, "-c", "from esign_cli.main import main; main()", "worker", "--no-scheduler",
             "--concurrency", "1"], env={**env, "ESIGN_DATA_DIR": str(data_dir), "ESIGN_NODE_ID": str(200 + w)},
            stdout=subprocess.DEVNULL, stderr=(data_dir / "log").open("wb")))
    try:
        time.sleep(4.0)  # the workers start and go idle before the clock starts
        # Enqueued not yet due (untimed), then released at once with one UPDATE: the clock measures
        # delivery only, not the single-threaded enqueue of N rows.
        uow, ids = SqlUnitOfWork(engine), SnowflakeIds()
        later = _FixedClock(datetime.now(UTC) + timedelta(days=3650))
        with uow:
            for i in range(n):
                enqueue(uow, ids=ids, clock=later, kind="webhook", topic="bench.event",
                        payload={"url": sink_url, "data": {"i": i}}, idempotency_key=f"bench-{workers}-{i}")
            uow.commit()
        start = time.perf_counter()
        with engine.begin() as conn:
            conn.execute(sa.update(t.outbox_messages).values(next_attempt_at=datetime.now(UTC)))
        query = sa.select(sa.func.count()).select_from(t.outbox_messages).where(
            t.outbox_messages.c.status != "delivered")
        while True:
            with engine.connect() as conn:
                if conn.execute(query).scalar_one() == 0:
                    break
            time.sleep(0.02)
        elapsed = time.perf_counter() - start
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(30)
    return n / elapsed


def run() -> None:
    from esign_adapters.outbox.webhook import new_secret

    db_url = os.environ.get("ESIGN_BENCH_POSTGRES_URL", DEFAULT_URL)
    engine = bench_database(db_url)
    if isinstance(engine, str):
        print(f"not run: {engine}")
        return
    sink = subprocess.Popen([sys.executable, "-c", SINK], stdout=subprocess.PIPE, text=True)
    try:
        port = int(sink.stdout.readline())  # type: ignore[union-attr]
        sink_url = f"http://127.0.0.1:{port}/hooks"
        secret = new_secret()
        with tempfile.TemporaryDirectory() as tmp_name:
            print(f"{'workers':>7} {'messages':>8} {'outbox msg/s':>12} {'direct msg/s':>12} {'ratio':>6}")
            for workers in (1, 4):
                n = N[workers]
                direct = direct_rate(sink_url, secret, n)
                rate = outbox_rate(engine, db_url, sink_url, secret, workers, n, Path(tmp_name))
                print(f"{workers:>7} {n:>8} {rate:12.1f} {direct:12.1f} {rate / direct:6.2f}")
        print(f"(cores: {os.cpu_count()}; the direct loop is one client thread; the outbox adds per message a "
              "claim share, the SSRF check and an outcome UPDATE)")
    finally:
        sink.terminate()
        sink.wait(10)
        _empty(engine)
        engine.dispose()


if __name__ == "__main__":
    run()
