"""Where the time of one contract through /open goes (issue 4): the same five requests as
``bench_contracts_http`` through the Litestar app in process (no network, one client thread), with

- wall time per request,
- the time inside ``Platform.handle`` per command type (the use cases, DB and signing included),
- SQL statements per request (SQLAlchemy ``before_cursor_execute``; ``pool_pre_ping``'s ping counted
  separately through the ``checkout`` event),
- and a cProfile of the use cases (``--profile``: top functions by cumulative time).

Run: ``ESIGN_BENCH_DB=mydb python -m benchmarks.profile_contracts_http [N] [--profile]``.
Not a ``bench_`` module: ``python -m benchmarks`` does not run it."""

from __future__ import annotations

import cProfile
import logging
import os
import pstats
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from benchmarks.bench_contracts_http import PLATFORM_NAME, Client, contract_pdf, fresh_database, install


def main(argv: list[str]) -> None:
    logging.getLogger("httpx").setLevel(logging.WARNING)
    n = int(next((a for a in argv if a.isdigit()), "30"))
    reason = fresh_database()
    if reason:
        print(f"not run: {reason}")
        return
    import sqlalchemy as sa
    from litestar.testing import TestClient

    from esign_adapters.bootstrap import Platform
    from esign_adapters.settings import Settings
    from esign_core.model.seal import SealKind
    from esign_core.services.seals import CreateSeal
    from esign_http.app import create_app

    with tempfile.TemporaryDirectory() as tmp_name:
        data_dir, env, token, secret = install(Path(tmp_name))
        os.environ["ESIGN_DATA_DIR"] = str(data_dir)
        platform = Platform.from_settings(Settings.load(data_dir, env=env))
        with platform.uow() as uow:
            org = uow.organizations.platform()
        seal_id = str(platform.handle(CreateSeal(owner_id=org.id, kind=SealKind.COMPANY, name="合同专用章",
                                                 authorize_member_ids=(org.admin_member_id,))))
        counts = {"sql": 0, "checkout": 0}
        measuring = [False]
        trace: list[str] = []

        def on_sql(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
            counts["sql"] += 1
            if "--sql" in argv and measuring[0]:
                trace.append(" ".join(statement.split())[:150])

        sa.event.listen(platform.engine, "before_cursor_execute", on_sql)
        sa.event.listen(platform.engine.pool, "checkout",
                        lambda *a, **k: counts.__setitem__("checkout", counts["checkout"] + 1))
        handle_time: dict[str, float] = defaultdict(float)
        original = platform.handle
        profiler = cProfile.Profile() if "--profile" in argv else None

        def timed(command: Any) -> Any:
            t0 = time.perf_counter()
            if profiler is not None and measuring[0]:
                profiler.enable()
            try:
                return original(command)
            finally:
                if profiler is not None and measuring[0]:
                    profiler.disable()
                handle_time[type(command).__name__] += time.perf_counter() - t0

        platform.handle = timed  # type: ignore[method-assign]
        app = create_app(platform)
        steps: dict[str, list[float]] = defaultdict(lambda: [0.0, 0, 0, 0])
        with TestClient(app) as http:
            client = Client("http://testserver", token, secret, __import__("collections").Counter(), threading.Lock())
            client.http = http  # type: ignore[assignment]
            original_call = client.call

            def call(step: str, path: str, **kwargs: Any) -> dict[str, Any]:
                before = dict(counts)
                t0 = time.perf_counter()
                out = original_call(step, "/open" + path, **kwargs)
                row = steps[step]
                row[0] += time.perf_counter() - t0
                row[1] += counts["sql"] - before["sql"]
                row[2] += counts["checkout"] - before["checkout"]
                row[3] += 1
                return out

            client.call = call  # type: ignore[method-assign]
            pdf = contract_pdf()
            for i in range(3):
                client.contract(pdf, f"warm-{i}", seal_id)
            steps.clear()
            handle_time.clear()
            measuring[0] = True
            t0 = time.perf_counter()
            for i in range(n):
                client.contract(pdf, f"p-{i}", seal_id)
            total = time.perf_counter() - t0
        print(f"{n} contracts in {total:.2f} s: {total / n * 1000:.1f} ms per contract, one client thread, "
              f"in process ({PLATFORM_NAME})")
        print(f"{'request':<14} {'ms':>7} {'SQL stmts':>9} {'checkouts':>9}")
        for step, (seconds, sql, checkouts, calls) in steps.items():
            print(f"{step:<14} {seconds / calls * 1000:7.1f} {sql / calls:9.1f} {checkouts / calls:9.1f}")
        stats = getattr(platform.signer, "stats", None)
        if stats is not None:
            print(f"signatures: fast path {stats.fast}, pyHanko fallbacks {dict(stats.fallbacks)}")
        if "--engine" in argv:
            from benchmarks.bench_contracts_http import engine_contracts_per_minute

            rate = engine_contracts_per_minute(platform, pdf, 3.0)
            print(f"engine in this process: {rate:.0f} contracts/min = {60_000 / rate:.1f} ms per contract")
        print("time inside Platform.handle per contract, by command:")
        for name, seconds in sorted(handle_time.items(), key=lambda kv: -kv[1]):
            print(f"  {name:<24} {seconds / n * 1000:7.1f} ms")
        if "--sql" in argv:
            for line in trace[: len(trace) // n]:
                print("   ", line)
        if profiler is not None:
            stats = pstats.Stats(profiler).sort_stats(os.environ.get("PROFILE_SORT", "cumulative"))
            stats.print_stats(45)
        platform.close()


if __name__ == "__main__":
    main(sys.argv[1:])
