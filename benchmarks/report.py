"""Medians over repetitions, the bars with PASS/FAIL, and the Markdown that goes into benchmarks/README.md."""

from __future__ import annotations

import re
import statistics
from pathlib import Path
from typing import Any

from .scenarios import BY_KEY, SCALE_CONNECTIONS

START, END = "<!-- results:start -->", "<!-- results:end -->"
ERROR_SHARE = 0.01  # more than 1% failed requests: the scenario's bars are ERROR, not PASS/FAIL
RSS_SCENARIOS = ("S1", "S2", "S3", "S4", "S5", "S5f", "S6")


def _median(values: list[Any]) -> Any:
    values = [v for v in values if v is not None]
    return round(statistics.median(values), 3) if values else None


def summarize(results: dict[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    out: dict[str, dict[str, dict[str, Any]]] = {}
    counts = results.get("counts", {})
    for sc, per_target in results.get("runs", {}).items():
        for name, reps in per_target.items():
            kind = results["targets"][name]["kind"]
            c = counts.get(sc, {}).get(kind, {})
            requests = sum(r["requests"] for r in reps)
            errors = sum(r["errors"] for r in reps)
            out.setdefault(sc, {})[name] = {
                "rps": _median([r["rps"] for r in reps]),
                "rps_reps": [r["rps"] for r in reps],
                "p50_ms": _median([r["p50_ms"] for r in reps]),
                "p99_ms": _median([r["p99_ms"] for r in reps]),
                "cpu_us_per_req": _median([r["cpu_us_per_req"] for r in reps]),
                "cpu_reps": [r["cpu_us_per_req"] for r in reps],
                "db_cpu_us_per_req": _median([r["db_cpu_us_per_req"] for r in reps]),
                "server_cores": _median([r["server_cores"] for r in reps]),
                "other_cores": _median([r.get("other_cores") for r in reps]),
                "requests": requests,
                "errors": errors,
                "error_share": round(errors / requests, 4) if requests else None,
                "error_samples": next((r["error_samples"] for r in reps if r["error_samples"]), []),
                "statements_per_request": c.get("steady_per_request"),
                "statements_amortised": round(c["statements_per_request"] - c["steady_per_request"], 3) if c else None,
                "statements_by_class": c.get("steady_by_class"),
                "peak_rss_mb": results.get("peak_rss_mb", {}).get(name, {}).get(sc),
            }
    return out


def _status(ok: bool | None, error: bool) -> str:
    if error:
        return "ERROR"
    return "SKIP" if ok is None else ("PASS" if ok else "FAIL")


def bars(results: dict[str, Any]) -> list[dict[str, Any]]:
    S = results.get("summary", {})
    skipped = results.get("skipped", {})
    out: list[dict[str, Any]] = []

    def get(sc: str, target: str, key: str) -> Any:
        return S.get(sc, {}).get(target, {}).get(key)

    def erred(*pairs: tuple[str, str]) -> bool:
        return any((get(sc, t, "error_share") or 0) > ERROR_SHARE for sc, t in pairs)

    def why_missing(*pairs: tuple[str, str]) -> str:
        for sc, t in pairs:
            if sc in skipped:
                return f"{sc} skipped: {skipped[sc]}"
            if sc not in S:
                return f"{sc} not run"
            if t not in S[sc]:
                return f"{t} not measured on {sc}"
        return ""

    def ratio(name: str, a: tuple[str, str, str], b: tuple[str, str, str], op: str, limit: float) -> None:
        x, y = get(*a), get(*b)
        value = round(x / y, 2) if x is not None and y else None
        ok = None if value is None else (value <= limit if op == "<=" else value >= limit)
        out.append(
            {
                "bar": name,
                "measured": value,
                "unit": "x",
                "op": op,
                "limit": limit,
                "status": _status(ok, value is not None and erred((a[0], a[1]), (b[0], b[1]))),
                "note": why_missing((a[0], a[1]), (b[0], b[1])) if value is None else f"{x} / {y}",
            }
        )

    for sc in ("S1", "S2"):
        ratio(
            f"{sc} server CPU/request vs floor",
            (sc, "server", "cpu_us_per_req"),
            (sc, "floor", "cpu_us_per_req"),
            "<=",
            1.5,
        )
    ratio(
        "S3 server CPU/request vs floor's S2",
        ("S3", "server", "cpu_us_per_req"),
        ("S2", "floor", "cpu_us_per_req"),
        "<=",
        2.5,
    )
    ratio(
        "S4 server CPU/request vs floor",
        ("S4", "server", "cpu_us_per_req"),
        ("S4", "floor", "cpu_us_per_req"),
        "<=",
        1.5,
    )
    for sc in ("S1", "S2", "S4"):
        ratio(f"{sc} server req/s vs peer", (sc, "server", "rps"), (sc, "peer", "rps"), ">=", 3.0)
    for sc, limit in (("S1", 2), ("S2", 3), ("S3", 3)):
        value = get(sc, "server", "statements_per_request")
        out.append(
            {
                "bar": f"{sc} queries/request (server)",
                "measured": value,
                "unit": "",
                "op": "<=",
                "limit": limit,
                "status": _status(None if value is None else value <= limit, False),
                "note": why_missing((sc, "server"))
                if value is None
                else ", ".join(f"{k} {v}" for k, v in (get(sc, "server", "statements_by_class") or {}).items())
                + (
                    f"; +{get(sc, 'server', 'statements_amortised')} amortised"
                    if get(sc, "server", "statements_amortised")
                    else ""
                ),
            }
        )
    serial = results.get("serial", {})
    for big, small, name in (
        ("S7a", "S2", "S7a p50 at 100,000 clients vs S2 p50 at 10,000"),
        ("S7b", "S4", "S7b p50 at 1,000,000 invoices vs S4 p50 at 100,000"),
    ):
        x = serial.get(big, {}).get("server", {}).get("p50_ms")
        y = serial.get(small, {}).get("server", {}).get("p50_ms")
        value = round(x / y, 2) if x is not None and y else None
        out.append(
            {
                "bar": name + " (one request at a time)",
                "measured": value,
                "unit": "x",
                "op": "<=",
                "limit": 2.0,
                "status": _status(None if value is None else value <= 2.0, False),
                "note": why_missing((big, "server"), (small, "server")) if value is None else f"{x} ms / {y} ms",
            }
        )
    statements = results.get("plans", {}).get("statements", [])
    for key in [k for k, sc in BY_KEY.items() if sc.list_endpoint]:
        mine = [s for s in statements if s["scenario"] == key]
        bad = sorted({t for s in mine for t in s["seq_scans_on_big_tables"]})
        costly = sorted({t for s in mine for t in s.get("generic_only_seq_scans", ())})
        note = f"{len(mine)} statement(s) explained" + (
            f"; the generic plan scans {', '.join(costly)} but costs more than the custom one" if costly else ""
        )
        out.append(
            {
                "bar": f"{key} no Seq Scan on a big table (EXPLAIN)",
                "measured": ", ".join(bad) or ("none" if mine else None),
                "unit": "",
                "op": "",
                "limit": "none",
                "status": _status(None if not mine else not bad, False),
                "note": why_missing((key, "server")) if not mine else note,
            }
        )
    rss = results.get("peak_rss_mb", {}).get("server", {})
    values = [v for k, v in rss.items() if k in RSS_SCENARIOS and v is not None]
    peak = max(values) if values else None
    out.append(
        {
            "bar": "peak RSS of one worker under S1-S6 (MB)",
            "measured": peak,
            "unit": " MB",
            "op": "<",
            "limit": 150,
            "status": _status(None if peak is None else peak < 150, False),
            "note": "VmHWM of the 1-worker server after " + ", ".join(k for k in rss if k in RSS_SCENARIOS),
        }
    )
    return out


# ---- Markdown ------------------------------------------------------------------------------------------
def _f(v: Any, digits: int = 1) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:,.{digits}f}"
    return str(v)


def markdown(results: dict[str, Any]) -> str:
    S = results.get("summary", {})
    m, c, st = results["machine"], results["commit"], results["settings"]
    db = results.get("database", {})
    dirty = f" + {c['dirty_app_files']} uncommitted files under app/ rest/ graph/ db/" if c["dirty_app_files"] else ""
    lines = [
        f"Run of {results['date']}: `{results['command']}`, wall time {results.get('wall_seconds')} s.",
        "",
        f"- machine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB, Linux {m['kernel']}, Python {m['python']}",
        f"- commit: `{c['sha'][:12]}` ({c['subject']}){dirty}",
        f"- database: {db.get('kind')}, PostgreSQL {db.get('postgres')}; "
        + f"dataset scale {st['scale']} ({_counts(results)})",
        f"- load: {results.get('engine')} generator, {st['connections']} connections, "
        + f"{st['reps']} x {st['duration_s']} s per scenario and target after {st['warmup_s']} s warm-up "
        + f"(S7: {SCALE_CONNECTIONS} connections); repetitions interleaved across targets",
        "",
        "| scenario | target | req/s (median; reps) | p50 ms | p99 ms | errors | CPU µs/req (median; reps) "
        + "| DB CPU µs/req | statements/req | peak RSS MB | CPU vs floor | req/s vs peer "
        + "| p50 ms, 1 at a time | other load, cores |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    serial = results.get("serial", {})
    for sc, per_target in S.items():
        floor_ref = S.get("S2" if sc == "S3" else sc, {}).get("floor", {}).get("cpu_us_per_req")
        peer_rps = per_target.get("peer", {}).get("rps")
        for name, s in per_target.items():
            vs_floor = (
                f"{s['cpu_us_per_req'] / floor_ref:.2f}x"
                if name.startswith("server") and floor_ref and s["cpu_us_per_req"]
                else ""
            )
            vs_peer = f"{s['rps'] / peer_rps:.2f}x" if name.startswith("server") and peer_rps and s["rps"] else ""
            errors = f"{s['errors']}/{s['requests']}" if s["errors"] else "0"
            lines.append(
                f"| {sc} | {name} | {_f(s['rps'])} ({', '.join(_f(x, 0) for x in s['rps_reps'])}) "
                f"| {_f(s['p50_ms'], 2)} | {_f(s['p99_ms'], 2)} | {errors} "
                f"| {_f(s['cpu_us_per_req'], 0)} ({', '.join(_f(x, 0) for x in s['cpu_reps'])}) "
                f"| {_f(s['db_cpu_us_per_req'], 0)} | {_f(s['statements_per_request'], 2)} | {_f(s['peak_rss_mb'])} "
                f"| {vs_floor} | {vs_peer} | {_f(serial.get(sc, {}).get(name, {}).get('p50_ms'), 2)} "
                f"| {_f(s.get('other_cores'), 2)} |"
            )
    lines += ["", "| bar | measured | limit | result | detail |", "|---|---|---|---|---|"]
    for b in results.get("bars", []):
        measured = "-" if b["measured"] is None else f"{b['measured']}{b['unit']}"
        lines.append(
            f"| {b['bar']} | {measured} | {b['op']} {b['limit']}{b['unit']} | **{b['status']}** | {b['note']} |"
        )
    plan_lines = []
    for e in results.get("plans", {}).get("statements", []):
        custom = e.get("custom", {})
        scans = custom.get("largest_scans") or []
        if scans:
            s0 = scans[0]
            plan_lines.append(
                f"{e['scenario']} {_f(custom.get('execution_ms'), 1)} ms, largest scan {s0['node']} "
                f"{('using ' + s0['index'] + ' ') if s0['index'] else ''}on {s0['relation']}: "
                f"{_f(s0['actual_rows'], 0)} rows"
            )
        elif "error" in custom:
            plan_lines.append(f"{e['scenario']} EXPLAIN failed: {custom['error'][:100]}")
    if plan_lines:
        lines += [
            "",
            "Server list statements, EXPLAIN ANALYZE with values from the counted pass: " + "; ".join(plan_lines) + ".",
        ]
    skipped = results.get("skipped", {})
    if skipped:
        lines += ["", "Skipped: " + "; ".join(f"{k}: {v}" for k, v in skipped.items()) + "."]
    checks = results.get("json_checks", {})
    if checks:
        lines += [
            "",
            "JSON compared with the server's (first request of each scenario; writes less ids, numbers, keys "
            + "and timestamps): "
            + "; ".join(
                f"{sc} {kind} {'equal' if v == 'equal' else 'differs: ' + '; '.join(v[:3])}"
                for sc, per in checks.items()
                for kind, v in per.items()
            )
            + ".",
        ]
    errs = [(sc, n, s["error_samples"][:1]) for sc, per in S.items() for n, s in per.items() if s["errors"]]
    if errs:
        lines += ["", "Errors: " + "; ".join(f"{sc} {n}: `{str(e)[:160]}`" for sc, n, e in errs) + "."]
    return "\n".join(lines)


def _counts(results: dict[str, Any]) -> str:
    d = results.get("dataset", {})
    n = d.get("counts", {})
    text = f"{n.get('big_clients', 0):,} + {n.get('small_clients', 0):,} clients x 2 contacts"
    inv = d.get("invoices") or {}
    if inv and "error" not in inv:
        text += f", {inv.get('big', 0):,} invoices, {inv.get('payments', 0):,} payments"
        text += f", {inv.get('scale', 0):,} invoices at scale"
    return text + f"; seeded in {d.get('seed_seconds')} s"


def update_readme(path: Path, table: str) -> None:
    text = path.read_text() if path.exists() else f"# Benchmarks\n\n{START}\n{END}\n"
    if START not in text:
        text += f"\n## Last results\n\n{START}\n{END}\n"
    text = re.sub(re.escape(START) + ".*?" + re.escape(END), lambda _: f"{START}\n{table}\n{END}", text, flags=re.S)
    path.write_text(text)
