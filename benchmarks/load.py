"""The load generator, run as its own process: `python -m benchmarks.load SPEC.json [--duration S]`.

SPEC names the target (host, port), the connections, and a list of requests that are replayed in random
order over keep-alive HTTP/1.1 connections for a bounded time. Two engines:

* wrk (when `shutil.which("wrk")` finds it): a generated Lua script holds the requests; `done()` prints the
  counts and percentiles as JSON. GraphQL scenarios count bodies with `"errors"` as errors.
* asyncio (always available): closed-loop coroutines on raw asyncio streams, one connection each. It has
  no dependencies, so it also runs from the peer's virtualenv.

Either prints one JSON object on stdout: requests, errors (by kind), duration, rps, latency percentiles
in milliseconds and the generator's own CPU seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from typing import Any

TIMEOUT = 10.0
JSON = "application/json"


def raw_request(spec: dict[str, Any], req: dict[str, Any]) -> bytes:
    body = req.get("body")
    data = body.encode() if isinstance(body, str) else b""
    lines = [f"{req['method']} {req['path']} HTTP/1.1", f"Host: {host_header(spec)}"]
    lines += [f"{k}: {v}" for k, v in spec.get("headers", {}).items()]
    if body is not None:
        lines += [f"Content-Type: {content_type(req)}", f"Content-Length: {len(data)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + data


def content_type(req: dict[str, Any]) -> str:
    """The body's media type (specs written before requests carried one are JSON)."""
    return str(req.get("content_type") or JSON)


def host_header(spec: dict[str, Any]) -> str:
    """The same Host for every target, so links built from it (pagination) compare equal."""
    return spec.get("host_header") or f"{spec['host']}:{spec['port']}"


def percentile(sorted_values: list[float], q: float) -> float | None:
    if not sorted_values:
        return None
    k = max(0, min(len(sorted_values) - 1, int(round(q * len(sorted_values) + 0.5)) - 1))
    return sorted_values[k]


# ---- asyncio engine ----------------------------------------------------------------------------------
async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length, chunked, close = None, False, False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
        elif name == b"connection" and b"close" in value.lower():
            close = True
    if chunked:
        parts = []
        while True:
            size = int((await reader.readline()).split(b";")[0], 16)
            if size == 0:
                await reader.readline()
                break
            parts.append(await reader.readexactly(size))
            await reader.readline()
        return status, b"".join(parts), close
    if length is None:
        return status, await reader.read(), True
    return status, await reader.readexactly(length), close


async def _worker(
    spec: dict[str, Any],
    raws: list[bytes],
    deadline: float,
    rng: random.Random,
    latencies: list[float],
    errors: dict[str, int],
    samples: list[str],
) -> None:
    check_graphql = spec.get("check") == "graphql"
    reader = writer = None
    while time.perf_counter() < deadline:
        raw = raws[rng.randrange(len(raws))]
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection(spec["host"], spec["port"])
            t0 = time.perf_counter()
            writer.write(raw)
            status, body, close = await asyncio.wait_for(_read_response(reader), TIMEOUT)
            latencies.append(time.perf_counter() - t0)
            if status >= 400:
                errors[f"status_{status}"] = errors.get(f"status_{status}", 0) + 1
                if len(samples) < 3:
                    samples.append(f"{status}: {body[:300].decode(errors='replace')}")
            elif check_graphql and b'"errors"' in body:
                errors["graphql"] = errors.get("graphql", 0) + 1
                if len(samples) < 3:
                    samples.append(body[:300].decode(errors="replace"))
            if close:
                writer.close()
                reader = writer = None
        except (TimeoutError, OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as exc:
            kind = "timeout" if isinstance(exc, asyncio.TimeoutError) else "socket"
            errors[kind] = errors.get(kind, 0) + 1
            if len(samples) < 3:
                samples.append(f"{kind}: {exc!r}")
            if writer is not None:
                writer.close()
            reader = writer = None
            await asyncio.sleep(0.01)
    if writer is not None:
        writer.close()


async def _run_asyncio(spec: dict[str, Any], duration: float) -> dict[str, Any]:
    raws = [raw_request(spec, r) for r in spec["requests"]]
    latencies: list[float] = []
    errors: dict[str, int] = {}
    samples: list[str] = []
    seed = spec.get("seed", 1)
    started = time.perf_counter()
    deadline = started + duration
    await asyncio.gather(
        *(
            _worker(spec, raws, deadline, random.Random(seed * 1000 + i), latencies, errors, samples)
            for i in range(spec["connections"])
        )
    )
    elapsed = time.perf_counter() - started
    latencies.sort()
    return _summary("asyncio", len(latencies), elapsed, errors, [x * 1000 for x in latencies], samples)


def _summary(
    engine: str,
    requests: int,
    elapsed: float,
    errors: dict[str, int],
    lat_ms: list[float],
    samples: list[str],
    pcts: dict[str, float | None] | None = None,
) -> dict[str, Any]:
    if pcts is None:
        pcts = {
            "p50_ms": percentile(lat_ms, 0.50),
            "p90_ms": percentile(lat_ms, 0.90),
            "p99_ms": percentile(lat_ms, 0.99),
            "max_ms": lat_ms[-1] if lat_ms else None,
        }
    return {
        "engine": engine,
        "requests": requests,
        "errors": sum(errors.values()),
        "errors_by_kind": errors,
        "duration_s": round(elapsed, 3),
        "rps": round(requests / elapsed, 1) if elapsed else 0.0,
        **{k: (round(v, 3) if v is not None else None) for k, v in pcts.items()},
        "error_samples": samples,
        "loadgen_cpu_s": round(time.process_time(), 3),
    }


# ---- wrk engine --------------------------------------------------------------------------------------
def _lua_str(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r") + '"'


def wrk_script(spec: dict[str, Any]) -> str:
    headers = {"Host": host_header(spec), **spec.get("headers", {})}
    entries = []
    for r in spec["requests"]:
        body = "nil" if r.get("body") is None else _lua_str(r["body"])
        entries.append(f"{{{_lua_str(r['method'])}, {_lua_str(r['path'])}, {body}, {_lua_str(content_type(r))}}}")
    header_lua = ", ".join(f"[{_lua_str(k)}] = {_lua_str(v)}" for k, v in headers.items())
    check = spec.get("check") == "graphql"
    return f"""
local reqs = {{
{",".join(entries)}
}}
local threads = {{}}
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
  table.insert(threads, thread)
end
function init(args)
  gql_errors = 0
  built = {{}}
  for i, r in ipairs(reqs) do
    local h = {{{header_lua}}}
    if r[3] ~= nil then h["Content-Type"] = r[4] end
    built[i] = wrk.format(r[1], r[2], h, r[3])
  end
  math.randomseed({spec.get("seed", 1)} * 1000 + tid)
end
function request()
  return built[math.random(#built)]
end
{
        '''function response(status, headers, body)
  if status < 400 and string.find(body, '"errors"', 1, true) then gql_errors = gql_errors + 1 end
end'''
        if check
        else ""
    }
function done(summary, latency, requests)
  local g = 0
  for _, t in ipairs(threads) do g = g + (t:get("gql_errors") or 0) end
  local e = summary.errors
  io.write(string.format('WRKJSON {{"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,' ..
    '"status":%d,"timeout":%d,"graphql":%d,"p50":%d,"p90":%d,"p99":%d,"max":%d}}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout, g,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
"""


def _run_wrk(spec: dict[str, Any], duration: float) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(wrk_script(spec))
        script = fh.name
    try:
        cmd = [
            "wrk",
            "-t",
            str(spec.get("threads", 1)),
            "-c",
            str(spec["connections"]),
            "-d",
            f"{max(1, round(duration))}s",
            "--timeout",
            f"{int(TIMEOUT)}s",
            "-s",
            script,
            f"http://{spec['host']}:{spec['port']}",
        ]
        t0 = time.perf_counter()
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60)
        elapsed = time.perf_counter() - t0
    finally:
        os.unlink(script)
    m = re.search(r"WRKJSON (\{.*\})", out.stdout)
    if not m:
        raise SystemExit(f"wrk failed: {out.stdout[-500:]} {out.stderr[-500:]}")
    w = json.loads(m.group(1))
    errors = {k: w[k] for k in ("connect", "read", "write", "timeout") if w[k]}
    if w["status"]:
        errors["status_4xx_5xx"] = w["status"]
    if w["graphql"]:
        errors["graphql"] = w["graphql"]
    elapsed = w["duration_us"] / 1e6 or elapsed
    usage = os.times()
    done = w["requests"] > 0
    result = _summary(
        "wrk",
        w["requests"],
        elapsed,
        errors,
        [],
        [],
        {k: (w[k[:-3]] / 1000 if done else None) for k in ("p50_ms", "p90_ms", "p99_ms")}
        | {"max_ms": w["max"] / 1000 if done else None},
    )
    result["loadgen_cpu_s"] = round(usage.children_user + usage.children_system, 3)
    return result


def run(spec: dict[str, Any], duration: float, engine: str = "auto") -> dict[str, Any]:
    if engine == "auto":
        engine = "wrk" if shutil.which("wrk") else "asyncio"
    if engine == "wrk":
        return _run_wrk(spec, duration)
    return asyncio.run(_run_asyncio(spec, duration))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("spec")
    p.add_argument("--duration", type=float, default=5.0)
    p.add_argument("--engine", choices=("auto", "wrk", "asyncio"), default="auto")
    args = p.parse_args()
    with open(args.spec) as fh:
        spec = json.load(fh)
    json.dump(run(spec, min(args.duration, 120.0), args.engine), sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
