"""`make bench` (`python -m benchmarks.run`): the whole benchmark, from an empty machine to a results table.

1. PostgreSQL: the embedded pgserver under benchmarks/.work/pg, or the server of BENCH_DATABASE_URL (where
   the harness creates its own databases `lightninja_bench_tpl` and `lightninja_bench`).
2. The dataset (benchmarks.seed): seeded once into a template with COPY, then copied fresh for every run.
3. The targets (benchmarks.targets): the server as `lightninja serve` (1 worker, then `--workers 2`), the
   floor (benchmarks.floor) and the peer (benchmarks.peers, its own virtualenv); each also once more behind
   the counting relay (benchmarks.pgproxy), for the statement counts and the plans.
4. Per scenario: a counted pass with response checks (and JSON compared with the server's), EXPLAIN of the
   server's list statements, then timed runs of the load generator (benchmarks.load), repetitions
   interleaved across targets.
5. benchmarks/results/<date>.json and the table in benchmarks/README.md, with every bar PASS/FAIL.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import platform
import shlex
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import asyncpg

from . import measure, plans, report, seed, targets
from .pgproxy import CountingProxy
from .scenarios import SCENARIOS, Context, Scenario, scenario_rng
from .targets import ROOT, WORK, Target

RESULTS = ROOT / "benchmarks" / "results"
README = ROOT / "benchmarks" / "README.md"
ALL_TARGETS = ("server", "server-w2", "floor", "peer")


class Log:
    def __init__(self) -> None:
        self.t0 = time.perf_counter()

    def __call__(self, *parts: Any) -> None:
        s = int(time.perf_counter() - self.t0)
        print(f"[{s // 60:02d}:{s % 60:02d}]", *parts, flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="1 repetition of 2 s per scenario (a smoke check)")
    p.add_argument("--scale", type=float, default=1.0, help="dataset scale (1.0: 10,000 clients, 100,000 invoices)")
    p.add_argument("--reps", type=int, help="repetitions per scenario and target (default 3; quick 1)")
    p.add_argument("--duration", type=float, help="seconds per repetition (default 5; quick 2)")
    p.add_argument("--warmup", type=float, help="seconds of unmeasured load per scenario and target (default 1.5)")
    p.add_argument("--connections", type=int, default=32)
    p.add_argument(
        "--engine",
        choices=("auto", "wrk", "asyncio"),
        default="auto",
        help="load generator: wrk when installed (auto), else asyncio",
    )
    p.add_argument("--scenarios", default="", help="comma-separated subset, e.g. S1,S2")
    p.add_argument(
        "--targets", default=",".join(ALL_TARGETS), help="comma-separated subset of " + ",".join(ALL_TARGETS)
    )
    p.add_argument("--count-requests", type=int, help="requests in each counted pass (default 60; quick 20)")
    p.add_argument("--reseed", action="store_true", help="rebuild the seeded template even if it looks current")
    p.add_argument(
        "--readme",
        choices=("auto", "yes", "no"),
        default="auto",
        help="update benchmarks/README.md (auto: full runs only)",
    )
    args = p.parse_args(argv)
    args.reps = args.reps or (1 if args.quick else 3)
    args.duration = args.duration or (2.0 if args.quick else 5.0)
    args.warmup = args.warmup if args.warmup is not None else (0.5 if args.quick else 1.5)
    args.count_requests = args.count_requests or (20 if args.quick else 60)
    return args


# ---- environment ---------------------------------------------------------------------------------------
def machine() -> dict[str, Any]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_kb = 0
    with contextlib.suppress(OSError, ValueError, IndexError):
        mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
    }


def commit() -> dict[str, Any]:
    def git(*a: str) -> str:
        return subprocess.run(["git", *a], cwd=ROOT, capture_output=True, text=True).stdout.strip()

    status = git("status", "--porcelain", "--", "app", "rest", "graph", "db", "pyproject.toml")
    return {
        "sha": git("rev-parse", "HEAD"),
        "subject": git("log", "-1", "--format=%s"),
        "dirty_app_files": len(status.splitlines()),
    }


async def postmaster_pid(url: str) -> int | None:
    """The local postmaster (parent of our backend), for the database's CPU; None if not on this machine."""
    conn = await asyncpg.connect(url)
    try:  # read while the backend lives: it exits when the connection closes
        backend = await conn.fetchval("SELECT pg_backend_pid()")
        text = Path(f"/proc/{backend}/stat").read_text()
        return int(text[text.rfind(")") + 2 :].split()[1])
    except (OSError, ValueError):
        return None
    finally:
        await conn.close()


async def tables_and_extras(url: str, dataset: dict[str, Any]) -> tuple[set[str], dict[str, Any]]:
    conn = await asyncpg.connect(url)
    try:
        tables = {
            r["relname"]
            for r in await conn.fetch(
                "SELECT relname FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace"
            )
        }
        extra: dict[str, Any] = {}
        if "invoices" in tables and "payments" in tables:
            rows = await conn.fetch(
                "SELECT id, client_id FROM invoices WHERE company_id = $1 AND status_id IN (2, 3) "
                "AND balance > 50 AND NOT is_deleted ORDER BY id LIMIT 4000",
                dataset["companies"]["big"]["company_id"],
            )
            extra["open_invoices"] = [(r["id"], r["client_id"]) for r in rows]
        extra["postgres"] = await conn.fetchval("SHOW server_version")
    finally:
        await conn.close()
    return tables, extra


def start_database(log: Log) -> tuple[str, Any, str]:
    url = os.environ.get("BENCH_DATABASE_URL", "")
    if url:
        log("database: BENCH_DATABASE_URL")
        return url, None, "BENCH_DATABASE_URL"
    from app.embedded import start

    WORK.mkdir(parents=True, exist_ok=True)
    url, handle = start(WORK / "pg", database="postgres", cleanup="stop")
    log(f"database: embedded pgserver in {WORK / 'pg'}")
    return url, handle, "embedded pgserver (benchmarks/.work/pg)"


# ---- the run ---------------------------------------------------------------------------------------------
def plan_scenarios(
    args: argparse.Namespace, tables: set[str], dataset: dict[str, Any], extra: dict[str, Any]
) -> tuple[list[Scenario], dict[str, str]]:
    wanted = {s.strip() for s in args.scenarios.split(",") if s.strip()}
    chosen, skipped = [], {}
    inv = dataset.get("invoices") or {}
    for sc in SCENARIOS:
        if wanted and sc.key not in wanted and sc.key.rstrip("ab") not in wanted:
            continue
        missing = [t for t in sc.needs if t not in tables]
        if missing:
            skipped[sc.key] = f"needs {' and '.join(missing)}: not in the schema yet"
        elif "invoices" in sc.needs and "error" in inv:
            skipped[sc.key] = f"needs invoices: seeding them failed ({inv['error'][:150]})"
        elif sc.company not in dataset["companies"]:
            skipped[sc.key] = f"needs the '{sc.company}' company (seeded only with invoices)"
        elif "payments" in sc.needs and "payments_error" in inv:
            skipped[sc.key] = f"needs payments: seeding them failed ({inv['payments_error'][:150]})"
        elif sc.key == "S6" and not extra.get("open_invoices"):
            skipped[sc.key] = "needs open invoices in the dataset"
        else:
            chosen.append(sc)
    return chosen, skipped


def portable(command: list[str]) -> str:
    """A command as the results file records it: no path of the machine that ran it. A path inside the
    checkout is relative to it, one inside the running virtualenv is `.venv/...`, any other is its name."""
    venv = Path(sys.prefix)

    def word(arg: str) -> str:
        path = Path(arg)
        if not path.is_absolute():
            return arg
        for base, shown in ((ROOT, ""), (venv, ".venv/")):
            if path.is_relative_to(base):
                return shown + str(path.relative_to(base))
        return path.name

    return shlex.join(word(arg) for arg in command)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    log = Log()
    command = (
        "make bench"
        if os.environ.get("MAKELEVEL")
        else "python -m benchmarks.run"
        + ("" if not argv and len(sys.argv) <= 1 else " " + shlex.join(argv or sys.argv[1:]))
    )
    results: dict[str, Any] = {
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "command": command,
        "machine": machine(),
        "commit": commit(),
        "settings": {
            "reps": args.reps,
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "connections": args.connections,
            "scale": args.scale,
            "quick": args.quick,
        },
    }
    chosen_targets = [t.strip() for t in args.targets.split(",") if t.strip() in ALL_TARGETS]
    running: list[Target] = []
    proxies: list[CountingProxy] = []
    db_handle = None
    try:
        admin_url, db_handle, db_kind = start_database(log)
        bench_url, dataset = asyncio.run(seed.prepare(admin_url, args.scale, log, args.reseed))
        tables, extra = asyncio.run(tables_and_extras(bench_url, dataset))
        pg_pid = asyncio.run(postmaster_pid(bench_url))
        results["database"] = {"kind": db_kind, "postgres": extra.pop("postgres"), "postmaster_pid_found": bool(pg_pid)}
        results["dataset"] = {k: dataset[k] for k in ("scale", "counts", "seed_seconds", "has_invoices", "invoices")}
        scenarios, skipped = plan_scenarios(args, tables, dataset, extra)
        results["skipped"] = skipped
        for key, why in skipped.items():
            log(f"{key}: skipped ({why})")

        peer_python = None
        if "peer" in chosen_targets:
            try:
                peer_python = targets.ensure_peer_venv(log)
            except Exception as exc:
                results.setdefault("notes", []).append(f"peer skipped: its virtualenv failed ({exc})")
                log(f"peer skipped: {exc}")
        tokens = json.dumps(
            {c["token"]: [c["company_id"], c["user_id"], c["token_id"]] for c in dataset["companies"].values()}
        )

        # timed instances, and one counting instance per kind behind its own relay
        timed: list[Target] = []
        counted: dict[str, tuple[Target, CountingProxy]] = {}
        upstream = targets.upstream_of(bench_url)
        for name in chosen_targets:
            if name == "peer" and peer_python is None:
                continue
            make = {
                "server": lambda u, n: targets.server(u, 1, n),
                "server-w2": lambda u, n: targets.server(u, 2, n),
                "floor": lambda u, n: targets.floor(u, tokens, n),
                "peer": lambda u, n: targets.peer(peer_python or "", u, n),
            }[name]
            timed.append(make(bench_url, name))
            if name != "server-w2":
                proxy = CountingProxy(upstream)
                proxies.append(proxy)
                port = proxy.start()
                counted[timed[-1].kind] = (make(targets.via_proxy(bench_url, port), f"{name}#count"), proxy)
        everything = timed + [t for t, _ in counted.values()]
        for t in everything:
            t.start()
            running.append(t)
        for t in everything:
            t.wait_ready()
        log("started: " + ", ".join(f"{t.name} :{t.port}" for t in everything))
        results["targets"] = {t.name: {"command": portable(t.command), "kind": t.kind} for t in timed}

        ctx = Context(dataset, extra)
        requests = {sc.key: sc.build(ctx, scenario_rng(sc.key)) for sc in scenarios}
        token_of = {sc.key: dataset["companies"][sc.company]["token"] for sc in scenarios}

        # 1) counted, checked passes + JSON compared with the server's
        counts: dict[str, dict[str, Any]] = {}
        checks: dict[str, dict[str, Any]] = {}
        for sc in scenarios:
            for kind, (t, proxy) in counted.items():
                if kind not in sc.targets:
                    continue
                c = measure.count_pass(t, proxy, sc, requests[sc.key], token_of[sc.key], args.count_requests)
                counts.setdefault(sc.key, {})[kind] = c
                log(
                    f"{sc.key} {kind}: {c['steady_per_request']} statements/request {c['steady_by_class']}"
                    + (
                        f" (+{round(c['statements_per_request'] - c['steady_per_request'], 3)} amortised)"
                        if c["statements_per_request"] > c["steady_per_request"]
                        else ""
                    )
                    + (f", {c['errors']}/{c['requests']} errors: {c['error_samples'][:1]}" if c["errors"] else "")
                )
            others = [kind for kind in ("floor", "peer") if kind in counted and kind in sc.targets]
            if sc.check == "status" and "server" in counted and others:
                # a write compares the row it made, less what every write makes anew (ids, number, keys)
                req, view = requests[sc.key][0], measure.masked if sc.write else (lambda v: v)
                ref_status, ref = measure.get_json(counted["server"][0], req, token_of[sc.key])
                ref = view(ref)
                for kind in others:
                    status, other = measure.get_json(counted[kind][0], req, token_of[sc.key])
                    other = view(other)
                    diffs = (
                        measure.json_diff(ref, other) if status == ref_status else [f"status {ref_status} vs {status}"]
                    )
                    checks.setdefault(sc.key, {})[kind] = diffs if diffs else "equal"
                    if diffs:
                        log(f"{sc.key}: {kind} JSON differs from the server's: {diffs[:3]}")
        results["counts"] = {
            k: {
                kind: {**c, "statements": [{x: s[x] for x in ("class", "per_request", "sql")} for s in c["statements"]]}
                for kind, c in v.items()
            }
            for k, v in counts.items()
        }
        results["json_checks"] = checks

        # 2) plans of the server's list statements
        to_explain = []
        for sc in scenarios:
            if sc.list_endpoint and "server" in counts.get(sc.key, {}):
                for s in counts[sc.key]["server"]["statements"]:
                    if (
                        s["class"] == "sql"
                        and s["sql"].lstrip().upper().startswith(("SELECT", "WITH"))
                        and "company_tokens" not in s["sql"]
                    ):
                        to_explain.append((sc.key, s["_sql"], s["_sample"]))
        if to_explain:
            results["plans"] = asyncio.run(plans.explain(bench_url, to_explain))
            for e in results["plans"]["statements"]:
                if e["seq_scans_on_big_tables"]:
                    log(f"{e['scenario']}: Seq Scan on {e['seq_scans_on_big_tables']} in: {e['sql'][:120]}")

        # 3) timed runs, repetitions interleaved across targets
        for t, _ in counted.values():  # the counting instances are done: free their memory and CPU
            t.stop()
        runs: dict[str, dict[str, list[dict[str, Any]]]] = {}
        rss: dict[str, dict[str, float | None]] = {}
        serial: dict[str, dict[str, Any]] = {}
        for sc in scenarios:
            group = [t for t in timed if t.kind in sc.targets]
            conns = sc.connections or args.connections
            specs = {t.name: measure.write_spec(t, sc, requests[sc.key], token_of[sc.key], conns, 1) for t in group}
            for t in group:
                if sc.prime:
                    log(
                        f"{sc.key} {t.name}: primed with {measure.prime(t, requests[sc.key], token_of[sc.key])} "
                        "distinct requests"
                    )
                if args.warmup > 0:
                    measure.timed_run(t, specs[t.name], args.warmup, args.engine, None)
                    measure.settle(t, bench_url)
            for rep in range(args.reps):
                for t in group:
                    r = measure.timed_run(t, specs[t.name], args.duration, args.engine, pg_pid)
                    r["connections"] = conns
                    r["settle_s"] = measure.settle(t, bench_url)
                    runs.setdefault(sc.key, {}).setdefault(t.name, []).append(r)
                    log(
                        f"{sc.key} rep {rep + 1}/{args.reps} {t.name:9s} {r['rps']:8.1f} req/s  p50 {r['p50_ms']} ms  "
                        f"p99 {r['p99_ms']} ms  {r['cpu_us_per_req']} us CPU/req  errors {r['errors']}"
                        + (f" {r['error_samples'][:1]}" if r["errors"] else "")
                        + (f" (settled {r['settle_s']} s)" if r["settle_s"] > 2 else "")
                        + (
                            f" [other processes used {r['other_cores']} cores]"
                            if (r["other_cores"] or 0) > 0.25
                            else ""
                        )
                    )
            for t in group:
                rss.setdefault(t.name, {})[sc.key] = measure.procs.peak_rss_mb(t.pid)
                if sc.list_endpoint and t.name in ("server", "floor"):
                    serial.setdefault(sc.key, {})[t.name] = measure.serial_pass(t, requests[sc.key], token_of[sc.key])
            if sc.key in serial:
                log(
                    f"{sc.key} one request at a time: "
                    + ", ".join(f"{k} p50 {v['p50_ms']} ms" for k, v in serial[sc.key].items())
                )
        results["serial"] = serial
        results["engine"] = next((r[0]["engine"] for v in runs.values() for r in v.values()), None)
        results["runs"] = runs
        results["peak_rss_mb"] = rss
    finally:
        for t in reversed(running):
            t.stop()
        for p in proxies:
            p.stop()
    results["summary"] = report.summarize(results)
    results["bars"] = report.bars(results)
    results["wall_seconds"] = round(time.perf_counter() - log.t0, 1)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / (dt.date.today().isoformat() + ("-quick" if args.quick else "") + ".json")
    out.write_text(json.dumps(results, indent=1, default=str))
    table = report.markdown(results)
    print("\n" + table)
    if args.readme == "yes" or (args.readme == "auto" and not args.quick and not args.scenarios):
        report.update_readme(README, table)
        log(f"updated {README.relative_to(ROOT)}")
    log(f"results in {out.relative_to(ROOT)}; wall time {results['wall_seconds']} s")
    del db_handle  # the embedded PostgreSQL stops when the last handle goes
    return 0


if __name__ == "__main__":
    sys.exit(main())
