"""``python -m campaign [--quick] [--only STAGES] [--json FILE] [--markdown FILE]``

Stages (all by default, in this order): ``properties`` (the suite's hypothesis properties with a
bigger budget), ``fuzz`` (atheris, each target for a bounded time), ``load`` (concurrent signers
and the idempotency check on a private PostgreSQL with 2 web workers and 2 background workers),
``faults`` (PostgreSQL restart, storage down, web node and worker killed, SMTP/SMS hanging),
``figures`` (the raw baselines and the import/storage figures). Prints a JSON summary and a
markdown table; exit status 1 when an invariant failed."""

from __future__ import annotations

import argparse
import json
import os
import platform as pyplatform
import subprocess
import sys
import tempfile
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from campaign.checks import Result

ROOT = Path(__file__).resolve().parents[1]
STAGES = ("properties", "fuzz", "load", "faults", "figures")
BUDGETS = {
    "quick": {"contracts": 10, "persons": 3, "copies": 100, "fault_contracts": 3, "fault_persons": 2,
              "worker_contracts": 4, "messages": 6, "fuzz_seconds": 20, "examples": 150, "import_rows": 5000,
              "storage_mb": 8, "storage_reps": 3, "engine_seconds": 4},
    "full": {"contracts": 50, "persons": 3, "copies": 100, "fault_contracts": 6, "fault_persons": 3,
             "worker_contracts": 8, "messages": 12, "fuzz_seconds": 60, "examples": 500, "import_rows": 50000,
             "storage_mb": 32, "storage_reps": 5, "engine_seconds": 8},
}


def log(message: str) -> None:
    print(f"[campaign {datetime.now(UTC):%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def stage_properties(budget: dict[str, Any], summary: dict[str, Any]) -> list[Result]:
    env = {**os.environ, "ESIGN_PROPERTY_EXAMPLES": str(budget["examples"])}
    files = ["tests/campaign", "tests/http/test_open_api_bad_input.py"]
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider",
                           *files], cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
    tail = [line for line in done.stdout.splitlines() if line.strip()][-1:] or ["(no output)"]
    summary["properties"] = {"examples_per_target": budget["examples"], "seconds": time.perf_counter() - t0,
                             "result": tail[0], "failures": [line for line in done.stdout.splitlines()
                                                             if line.startswith("FAILED")]}
    return [Result(f"bad-input properties ({budget['examples']} examples per target)", done.returncode == 0, tail[0])]


def stage_fuzz(budget: dict[str, Any], summary: dict[str, Any], tmp: Path) -> list[Result]:
    from campaign.fuzz import TARGETS

    try:
        import atheris  # noqa: F401
    except ImportError:
        summary["fuzz"] = {"skipped": "atheris is not installed (pip install atheris)"}
        return [Result("fuzz targets", True, "skipped: atheris not installed")]
    results, out = [], {}
    for name in TARGETS:
        corpus = tmp / "fuzz" / name / "corpus"
        t0 = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "campaign.fuzz.run", name, str(budget["fuzz_seconds"]),
                               str(corpus)], cwd=ROOT, capture_output=True, text=True,
                              timeout=budget["fuzz_seconds"] + 300)
        stats = {k: v for line in done.stderr.splitlines() if line.startswith("stat::")
                 for k, v in [line[6:].split(":", 1)]}
        runs = stats.get("number_of_executed_units", "?").strip()
        finding = "" if done.returncode == 0 else "\n".join(done.stderr.splitlines()[-25:])
        out[name] = {"seconds": time.perf_counter() - t0, "executions": runs, "exit": done.returncode,
                     "peak_rss_mb": stats.get("peak_rss_mb", "?").strip(), "finding": finding}
        results.append(Result(f"fuzz {name} ({budget['fuzz_seconds']} s)", done.returncode == 0,
                              f"{runs} inputs, no finding" if done.returncode == 0 else finding[-300:]))
        log(f"fuzz {name}: exit {done.returncode}, {runs} inputs")
    summary["fuzz"] = out
    return results


def machine() -> dict[str, Any]:
    return {"cores": os.cpu_count(), "load_average": [round(x, 2) for x in os.getloadavg()],
            "python": pyplatform.python_version(), "host": pyplatform.node()}


def run(args: argparse.Namespace) -> dict[str, Any]:
    mode = "quick" if args.quick else "full"
    budget = dict(BUDGETS[mode])
    for item in args.set:
        key, _, value = item.partition("=")
        if key not in budget:
            raise SystemExit(f"unknown budget figure {key!r}")
        budget[key] = int(value)
    stages = [s for s in STAGES if not args.only or s in args.only.split(",")]
    if args.scenarios:
        budget["scenarios"] = args.scenarios.split(",")
    summary: dict[str, Any] = {"mode": mode, "started": datetime.now(UTC).isoformat(timespec="seconds"),
                               "machine_before": machine(), "budget": budget, "stages": stages, "figures": {}}
    results: list[Result] = []
    t_start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="esign-campaign-") as tmp_name:
        tmp = Path(tmp_name)
        if args.keep:
            tmp = args.keep
            tmp.mkdir(parents=True, exist_ok=False)
        if "properties" in stages:
            log("properties")
            results += stage_properties(budget, summary)
        if "fuzz" in stages:
            log("fuzz")
            results += stage_fuzz(budget, summary, tmp)
        if {"load", "faults", "figures"} & set(stages):
            results += platform_stages(budget, stages, summary, tmp)
    summary["seconds"] = time.perf_counter() - t_start
    summary["machine_after"] = machine()
    summary["invariants"] = [r.as_dict() for r in results]
    summary["ok"] = all(r.ok for r in results)
    return summary


def platform_stages(budget: dict[str, Any], stages: list[str], summary: dict[str, Any], tmp: Path) -> list[Result]:
    from campaign import faults, figures, load
    from campaign.pg import PrivatePostgres
    from campaign.servers import WebhookReceiver
    from campaign.site import Site

    results: list[Result] = []
    log("private PostgreSQL cluster")
    pg = PrivatePostgres(tmp / "pg").init()
    webhook = WebhookReceiver()
    site = Site(tmp, pg, webhook_url=f"{webhook.url}/callback")
    try:
        site.install()
        site.start_web(2)
        site.start_worker()
        site.start_worker()
        log(f"site up: web {site.base} (2 workers), 2 background workers, PostgreSQL port {pg.port}")
        fig = summary["figures"]
        wanted = set(budget.get("scenarios") or ())

        def step(name: str, fn: Any) -> None:
            if wanted and name not in wanted:
                return
            log(name)
            try:
                res, data = fn()
            except Exception as exc:  # noqa: BLE001 - a scenario that crashed is a failed invariant
                res, data = [Result(f"[{name}] scenario ran", False, f"{type(exc).__name__}: {exc}")], {
                    "error": traceback.format_exc()[-2000:]}
            results.extend(res)
            summary.setdefault("scenarios", {})[name] = data
            bad = [r for r in res if not r.ok]
            log(f"{name}: {len(res) - len(bad)}/{len(res)} invariants hold" + (f"; FAILED: {[r.name for r in bad]}"
                                                                                 if bad else ""))

        if "load" in stages:
            step("load", lambda: load.load(site, webhook, contracts=budget["contracts"], persons=budget["persons"]))
            step("idempotency", lambda: load.idempotency(site, webhook, copies=budget["copies"]))
        if "faults" in stages:
            kw = {"contracts": budget["fault_contracts"], "persons": budget["fault_persons"]}
            step("postgres restart", lambda: faults.postgres_restart(site, webhook, **kw))
            step("storage down", lambda: faults.storage_down(site, webhook, **kw))
            step("web node killed", lambda: faults.web_node_killed(site, webhook, **kw))
            step("worker killed", lambda: faults.worker_killed(site, webhook, contracts=budget["worker_contracts"]))
            step("providers timing out", lambda: faults.providers_hang(site, messages=budget["messages"]))
        if "figures" in stages:
            log("figures: engine baseline")
            site.stop_all()  # the baseline gets the machine without the servers
            fig["engine"] = figures.engine_baseline(site, budget["engine_seconds"])
            log("figures: import")
            fig["import"] = figures.import_figures(budget["import_rows"])
            log("figures: storage")
            fig["storage"] = figures.storage_figures(budget["storage_mb"], budget["storage_reps"])
    finally:
        site.stop_all()
        site.close_platform()
        webhook.close()
        pg.close()
    return results


def derived(summary: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(figure, value, raw baseline, ratio) rows."""
    rows = []
    fig, scen = summary.get("figures", {}), summary.get("scenarios", {})
    engine = fig.get("engine")
    loadf = scen.get("load") or {}
    if engine and "signatures_per_second" in loadf:
        e = engine["signatures_per_second"]
        rows.append(("signatures/s through the open API (2 web workers)", f"{loadf['signatures_per_second']:.2f}",
                     f"{e:.2f} (engine, 1 core, in process)", f"{loadf['signatures_per_second'] / e:.2f}"))
        per_contract = loadf["signers"] / loadf["contracts"]
        engine_cpm = e * 60 / per_contract
        rows.append((f"API contracts/min ({per_contract:.0f} signatures each, create + sign)",
                     f"{loadf['contracts_per_minute']:.1f}", f"{engine_cpm:.1f} (engine)",
                     f"{loadf['contracts_per_minute'] / engine_cpm:.2f}"))
        for step, lat in loadf.get("latency", {}).items():
            if step.startswith("sign"):
                base = engine["ms_per_signature"]
                rows.append((f"{step} p50 / p99 ms ({lat['n']} calls, under load)",
                             f"{lat['p50_ms']:.0f} / {lat['p99_ms']:.0f}", f"{base:.0f} (one signature, engine)",
                             f"{lat['p50_ms'] / base:.1f} / {lat['p99_ms'] / base:.1f}"))
            else:
                rows.append((f"{step} p50 / p99 ms ({lat['n']} calls)", f"{lat['p50_ms']:.0f} / {lat['p99_ms']:.0f}",
                             "—", "—"))
    if "import" in fig:
        i = fig["import"]
        rows.append((f"import rows/s ({i['rows']} members, SQLite)", f"{i['rows_per_second']:,.0f}",
                     f"{i['raw_rows_per_second']:,.0f} (openpyxl iteration)",
                     f"{i['rows_per_second'] / i['raw_rows_per_second']:.2f}"))
    if "storage" in fig:
        s = fig["storage"]
        rows.append((f"storage put MB/s (local, {s['object_mb']} MB objects)", f"{s['put_mb_s']:.0f}",
                     f"{s['raw_put_mb_s']:.0f} (raw write + read-back hash)",
                     f"{s['put_mb_s'] / s['raw_put_mb_s']:.2f}"))
        rows.append((f"storage get MB/s (local, {s['object_mb']} MB objects)", f"{s['get_mb_s']:.0f}",
                     f"{s['raw_get_mb_s']:.0f} (raw read)", f"{s['get_mb_s'] / s['raw_get_mb_s']:.2f}"))
    return rows


def markdown(summary: dict[str, Any]) -> str:
    m = summary["machine_before"]
    lines = [f"Campaign ({summary['mode']}), {summary['started']}, {summary['seconds']:.0f} s; {m['cores']} cores, "
             f"load average before {m['load_average']}, after {summary['machine_after']['load_average']}.", "",
             "| invariant | result | detail |", "|---|---|---|"]
    for r in summary["invariants"]:
        detail = str(r["detail"]).replace("|", "\\|").replace("\n", " ")[:160]
        lines.append(f"| {r['invariant']} | {'ok' if r['ok'] else '**FAILED**'} | {detail} |")
    rows = derived(summary)
    if rows:
        lines += ["", "| figure | value | raw baseline | ratio |", "|---|---|---|---|"]
        lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m campaign", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small budgets (about 10 minutes)")
    parser.add_argument("--only", help=f"comma-separated stages: {','.join(STAGES)}")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=N",
                        help=f"override one budget figure ({', '.join(BUDGETS['quick'])})")
    parser.add_argument("--scenarios", help="comma-separated scenario names of the load/faults stages (default: all)")
    parser.add_argument("--keep", type=Path,
                        help="work in this new directory and keep it (logs, data) for a post-mortem")
    parser.add_argument("--json", type=Path, help="also write the JSON summary to this file")
    parser.add_argument("--markdown", type=Path, help="also write the markdown tables to this file")
    args = parser.parse_args(argv)
    summary = run(args)
    summary["derived"] = [dict(zip(("figure", "value", "baseline", "ratio"), row, strict=True))
                          for row in derived(summary)]
    text = json.dumps(summary, ensure_ascii=False, indent=2, default=str)
    print(text)
    md = markdown(summary)
    print(md)
    if args.json:
        args.json.write_text(text + "\n")
    if args.markdown:
        args.markdown.write_text(md)
    return 0 if summary["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
