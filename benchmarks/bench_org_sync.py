"""Directory sync of 100,000 e-cology users from the HrmService SOAP test server: time and peak RSS
of a full first sync (``Platform.sync_directory``: zeep-built requests, the user answers read with
zeep's hardened parser, diff against the directory, bulk writes, links, checkpoints) and of the
idle re-sync, as a ratio to zeep alone calling ``getHrmUserInfo`` for the same departments and
deserialising the same answers in the same run (target: <= 2x its time).

The SOAP server runs in its own process, and each side in a fresh subprocess, so ``ru_maxrss`` is
that side's own peak. SQLite always; PostgreSQL too when ``ESIGN_BENCH_POSTGRES_URL`` names a
database this benchmark may wipe. ``ESIGN_BENCH_SYNC_USERS`` changes the user count (spread over
10 sub-companies of 20 departments)."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

USERS = int(os.environ.get("ESIGN_BENCH_SYNC_USERS", "100000"))
COMPANIES, DEPARTMENTS = 10, 20
NS = "http://localhost/services/HrmService"


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def serve(users: int) -> None:
    """Child: serve the organization until stdin closes; print the address first."""
    from esign_adapters.testing.hrm_soap_server import HrmSoapServer, sample_organization

    per_department = max(1, users // (COMPANIES * DEPARTMENTS))
    org = sample_organization(COMPANIES, DEPARTMENTS, per_department)
    for uid in org.users:  # warm the render cache: both sides then get the same cost from the server
        org.user_bean(uid)
    with HrmSoapServer(org) as server:
        print(server.address, flush=True)
        sys.stdin.read()


def child_zeep(address: str) -> dict[str, float]:
    import zeep
    from zeep.transports import Transport

    settings = zeep.Settings(strict=True, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    client = zeep.Client(address + "?wsdl", transport=Transport(timeout=60, operation_timeout=60), settings=settings)
    svc = client.create_service(f"{{{NS}}}HrmServiceHttpBinding", address)
    start = time.perf_counter()
    n = 0
    for c in range(1, COMPANIES + 1):
        for d in range(1, DEPARTMENTS + 1):
            beans = svc.getHrmUserInfo(in0=None, in1=None, in2=str(c), in3=str(c * 100 + d), in4=None, in5=None)
            n += len(beans or [])
    return {"seconds": time.perf_counter() - start, "users": n, "peak_mb": _peak_mb()}


def child_sync(address: str, data_dir: Path) -> dict[str, float]:
    from esign_adapters.bootstrap import Platform
    from esign_adapters.settings import Settings
    from esign_core.model.org_sync import SyncScope, SyncStatus

    platform = Platform.from_settings(Settings.load(data_dir))
    platform.configure_org_sync("ecology", {"address": address, "timeout": "120"},
                                scopes=tuple(SyncScope(company_id=str(c)) for c in range(1, COMPANIES + 1)))
    start = time.perf_counter()
    report = platform.sync_directory("ecology", trigger="cli")
    seconds = time.perf_counter() - start
    assert report.status is SyncStatus.SUCCEEDED, report.message
    created = report.counts["members_created"]
    start = time.perf_counter()
    again = platform.sync_directory("ecology", trigger="cli")
    idle = time.perf_counter() - start
    assert again.changes == 0, again.counts
    platform.close()
    return {"seconds": seconds, "users": created, "idle_seconds": idle, "peak_mb": _peak_mb()}


def _child(*args: str, env: dict[str, str] | None = None) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-m", "benchmarks.bench_org_sync", *args], check=True, capture_output=True,
                         text=True, env={**os.environ, **(env or {})})
    return json.loads(out.stdout.strip().splitlines()[-1])


def run() -> None:
    from benchmarks.bench_import import _initialise, _wipe

    server = subprocess.Popen([sys.executable, "-m", "benchmarks.bench_org_sync", "--serve", str(USERS)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        address = server.stdout.readline().strip()
        with tempfile.TemporaryDirectory(prefix="esign-bench-sync-") as tmp:
            raw = _child("--child-zeep", address)
            print(f"zeep alone: {raw['users']:,} users in {COMPANIES * DEPARTMENTS} getHrmUserInfo calls, "
                  f"{raw['seconds']:.2f} s ({raw['users'] / raw['seconds']:,.0f} users/s), "
                  f"peak RSS {raw['peak_mb']:.0f} MB")
            backends = [("sqlite", {})]
            if os.environ.get("ESIGN_BENCH_POSTGRES_URL"):
                backends.append(("postgresql", {"ESIGN_DATABASE_URL": os.environ["ESIGN_BENCH_POSTGRES_URL"]}))
            for name, env in backends:
                data_dir = Path(tmp) / f"data-{name}"
                if env:
                    _wipe(env["ESIGN_DATABASE_URL"])
                _initialise(data_dir, env)
                ours = _child("--child-sync", address, str(data_dir), env=env)
                ratio = ours["seconds"] / raw["seconds"]
                print(f"sync ({name}): {ours['users']:,.0f} members created in {ours['seconds']:.2f} s "
                      f"({ours['users'] / ours['seconds']:,.0f} users/s), idle re-sync {ours['idle_seconds']:.2f} s, "
                      f"peak RSS {ours['peak_mb']:.0f} MB; time ratio to zeep alone = {ratio:.2f}x "
                      f"(target <= 2x: {'met' if ratio <= 2 else 'NOT met'}); RSS ratio "
                      f"{ours['peak_mb'] / raw['peak_mb']:.2f}x")
    finally:
        if server.stdin is not None:
            server.stdin.close()
        server.wait(10)


if __name__ == "__main__":
    if sys.argv[1] == "--serve":
        serve(int(sys.argv[2]))
    elif sys.argv[1] == "--child-zeep":
        print(json.dumps(child_zeep(sys.argv[2])))
    elif sys.argv[1] == "--child-sync":
        print(json.dumps(child_sync(sys.argv[2], Path(sys.argv[3]))))
