"""One measurement: a counted, checked pass on a counting instance, or a timed load run on a timed one."""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import asyncpg

from . import procs
from .pgproxy import CountingProxy, classify
from .scenarios import Request, Scenario
from .targets import HOST, ROOT, WORK, Target

AMORTISED = 0.1  # a statement sent for fewer than 1 request in 10 is a cache refill or connection set-up
SAVEPOINT = re.compile(r"(__asyncpg_savepoint_)\w+?(__)")
HOST_HEADER = "127.0.0.1:8000"  # every target sees the same Host, so pagination links compare equal
SPECS = WORK / "specs"


def headers(token: str, content_type: str | None = None) -> dict[str, str]:
    """What every request carries, plus the body's Content-Type when there is a body."""
    out = {"X-API-TOKEN": token, "X-Requested-With": "XMLHttpRequest"}
    if content_type is not None:
        out["Content-Type"] = content_type
    return out


def fetch(conn: http.client.HTTPConnection, req: Request, token: str) -> tuple[int, bytes]:
    h = {"Host": HOST_HEADER, **headers(token, req.content_type if req.body is not None else None)}
    conn.request(req.method, req.path, body=req.body.encode() if req.body is not None else None, headers=h)
    resp = conn.getresponse()
    return resp.status, resp.read()


def failed(scenario: Scenario, status: int, body: bytes) -> bool:
    return status >= 400 or (scenario.check == "graphql" and b'"errors"' in body)


def count_pass(
    target: Target,
    proxy: CountingProxy,
    scenario: Scenario,
    requests: list[Request],
    token: str,
    n: int,
    max_seconds: float = 6.0,
) -> dict[str, Any]:
    """Send up to `n` requests one at a time (after an unmeasured one), counting what reaches PostgreSQL."""
    conn = http.client.HTTPConnection(HOST, target.port, timeout=60)
    errors, samples = 0, []
    try:
        fetch(conn, requests[-1], token)
        time.sleep(0.05)  # the pool releases (and resets) the connection after the response is sent
        before = proxy.snapshot()
        started, sent = time.monotonic(), 0
        for req in requests[:n]:
            status, body = fetch(conn, req, token)
            sent += 1
            if failed(scenario, status, body):
                errors += 1
                if len(samples) < 2:
                    samples.append(f"{status}: {body[:300].decode(errors='replace')}")
            if time.monotonic() - started > max_seconds and sent >= 3:
                break
        time.sleep(0.05)  # let the pool's release (reset query) reach the relay
        after = proxy.snapshot()
    finally:
        conn.close()
    grouped: dict[str, list[Any]] = {}
    for sql, (calls, sample) in CountingProxy.diff(before, after).items():
        key = SAVEPOINT.sub(r"\1N\2", " ".join(sql.split()))
        g = grouped.setdefault(key, [0, sample, sql])
        g[0] += calls
    by_class: dict[str, float] = {}
    steady: dict[str, float] = {}
    statements = []
    for key, (calls, sample, sql) in sorted(grouped.items(), key=lambda kv: -kv[1][0]):
        cls, per = classify(key), calls / sent
        by_class[cls] = by_class.get(cls, 0) + per
        if per >= AMORTISED:
            steady[cls] = steady.get(cls, 0) + per
        statements.append({"class": cls, "per_request": round(per, 3), "sql": key, "_sql": sql, "_sample": sample})
    return {
        "requests": sent,
        "errors": errors,
        "error_samples": samples,
        "statements_per_request": round(sum(by_class.values()), 3),
        "steady_per_request": round(sum(steady.values()), 3),
        "by_class": {k: round(v, 3) for k, v in sorted(by_class.items())},
        "steady_by_class": {k: round(v, 3) for k, v in sorted(steady.items())},
        "statements": statements,
    }


def serial_pass(
    target: Target, requests: list[Request], token: str, n: int = 40, max_seconds: float = 5.0
) -> dict[str, Any]:
    """Latency of the query itself: one request at a time on one keep-alive connection, no queueing."""
    conn = http.client.HTTPConnection(HOST, target.port, timeout=60)
    latencies: list[float] = []
    try:
        fetch(conn, requests[-1], token)
        started = time.monotonic()
        for req in requests[:n]:
            t0 = time.perf_counter()
            fetch(conn, req, token)
            latencies.append((time.perf_counter() - t0) * 1000)
            if time.monotonic() - started > max_seconds and len(latencies) >= 3:
                break
    finally:
        conn.close()
    latencies.sort()
    return {
        "requests": len(latencies),
        "p50_ms": round(latencies[len(latencies) // 2], 3),
        "max_ms": round(latencies[-1], 3),
    }


def prime(target: Target, requests: list[Request], token: str, max_seconds: float = 10.0) -> int:
    """Send each distinct request once, one at a time. S3 inlines its page number, so its 500 pages are
    500 GraphQL documents; a long-running server has them in its parse/validation caches (keyed by the
    query text), a freshly started one would validate each on first sight during the timed runs."""
    conn = http.client.HTTPConnection(HOST, target.port, timeout=60)
    started, sent = time.monotonic(), 0
    try:
        for req in dict.fromkeys(requests):
            fetch(conn, req, token)
            sent += 1
            if time.monotonic() - started > max_seconds:
                break
    finally:
        conn.close()
    return sent


def settle(target: Target, db_url: str, max_seconds: float = 120.0) -> float:
    """Wait until the target and the database are idle (requests still queued when the load generator
    stopped must not run into the next measurement); -> seconds waited."""

    async def active() -> int:
        conn = await asyncpg.connect(db_url)
        try:
            return int(
                await conn.fetchval(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' "
                    "AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
                )
            )
        finally:
            await conn.close()

    started = time.monotonic()
    quiet = 0
    while time.monotonic() - started < max_seconds and quiet < 2:
        cpu0 = procs.cpu_seconds(target.pid)
        time.sleep(0.25)
        busy = procs.cpu_seconds(target.pid) - cpu0 > 0.02 or asyncio.run(active()) > 0
        quiet = 0 if busy else quiet + 1
    return round(time.monotonic() - started, 2)


def get_json(target: Target, req: Request, token: str) -> tuple[int, Any]:
    conn = http.client.HTTPConnection(HOST, target.port, timeout=60)
    try:
        status, body = fetch(conn, req, token)
    finally:
        conn.close()
    try:
        return status, json.loads(body)
    except ValueError:
        return status, body[:300].decode(errors="replace")


# what two creations of the same body may differ in: row ids, the next number, random keys (and the contact
# login link made from one), timestamps
FRESH_PER_WRITE = frozenset({"id", "number", "client_hash", "contact_key", "link", "created_at", "updated_at"})


def masked(value: Any, keys: frozenset[str] = FRESH_PER_WRITE) -> Any:
    """`value` with the fields a write makes anew replaced by "*", so two writes of one body compare."""
    if isinstance(value, dict):
        return {k: "*" if k in keys else masked(v, keys) for k, v in value.items()}
    if isinstance(value, list):
        return [masked(v, keys) for v in value]
    return value


def json_diff(a: Any, b: Any, path: str = "", out: list[str] | None = None, limit: int = 8) -> list[str]:
    """Differences between two JSON values (paths), at most `limit`."""
    out = [] if out is None else out
    if len(out) >= limit:
        return out
    if isinstance(a, dict) and isinstance(b, dict):
        for k in a.keys() - b.keys():
            out.append(f"{path}.{k} only in reference")
        for k in b.keys() - a.keys():
            out.append(f"{path}.{k} only in other")
        for k in a.keys() & b.keys():
            json_diff(a[k], b[k], f"{path}.{k}", out, limit)
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            out.append(f"{path}: {len(a)} vs {len(b)} items")
        for i, (x, y) in enumerate(zip(a, b, strict=False)):
            json_diff(x, y, f"{path}[{i}]", out, limit)
    elif a != b and not (isinstance(a, (int, float)) and isinstance(b, (int, float)) and float(a) == float(b)):
        out.append(f"{path}: {str(a)[:60]!r} vs {str(b)[:60]!r}")
    return out[:limit]


def write_spec(
    target: Target, scenario: Scenario, requests: list[Request], token: str, connections: int, seed: int
) -> Path:
    SPECS.mkdir(parents=True, exist_ok=True)
    path = SPECS / f"{scenario.key}-{target.name}.json"
    path.write_text(
        json.dumps(
            {
                "host": HOST,
                "port": target.port,
                "host_header": HOST_HEADER,
                "connections": connections,
                "seed": seed,
                "check": scenario.check,
                "headers": headers(token),  # Content-Type goes with each request's body
                "requests": [r.as_dict() for r in requests],
            }
        )
    )
    return path


def timed_run(target: Target, spec: Path, duration: float, engine: str, pg_pid: int | None) -> dict[str, Any]:
    """Run the load generator once; add the target's CPU per request (/proc, the whole process tree),
    the database's, and the workers' peak RSS."""
    cpu0 = procs.cpu_seconds(target.pid)
    db0 = procs.cpu_seconds(pg_pid) if pg_pid else None
    busy0, kids0 = procs.system_busy_seconds(), os.times()
    t0 = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.load", str(spec), "--duration", str(duration), "--engine", engine],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=duration + 120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    wall = time.perf_counter() - t0
    cpu = procs.cpu_seconds(target.pid) - cpu0
    db = procs.cpu_seconds(pg_pid) - db0 if pg_pid and db0 is not None else None
    kids1 = os.times()
    loadgen = kids1.children_user + kids1.children_system - kids0.children_user - kids0.children_system
    other = procs.system_busy_seconds() - busy0 - cpu - (db or 0.0) - loadgen
    if out.returncode != 0:
        raise RuntimeError(f"load generator failed: {out.stderr[-2000:]}")
    res: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    n = res["requests"]
    res.update(
        server_cpu_s=round(cpu, 3),
        cpu_us_per_req=round(cpu / n * 1e6, 1) if n else None,
        server_cores=round(cpu / res["duration_s"], 2) if res["duration_s"] else None,
        db_cpu_us_per_req=round(db / n * 1e6, 1) if db is not None and n else None,
        peak_rss_mb=procs.peak_rss_mb(target.pid),
        wall_s=round(wall, 2),
        loadgen_cores=round(loadgen / wall, 2),
        other_cores=round(max(other, 0.0) / wall, 2) if pg_pid else None,
    )
    return res
