"""EXPLAIN the statements the server actually ran on the list endpoints, and look for sequential scans.

The statements, and the values each was last bound with during its scenario's counted pass, come from the
counting relay. Each read statement is explained twice: with EXPLAIN ANALYZE on those values (the custom
plan PostgreSQL uses for the first executions of a prepared statement; the actual rows each scan read show
what a page really costs) and as a generic plan (`EXPLAIN (GENERIC_PLAN)`, PostgreSQL 16+, the plan a
prepared statement may switch to after five executions). A "Seq Scan" node on a big table (at least
BIG_ROWS rows by pg_class.reltuples) fails the bar when it is in the custom plan, or in the generic plan
while that plan's estimated cost is within 10% of the custom one (PostgreSQL's plan cache would then
adopt it); a generic-plan scan that costs more is only reported.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

import asyncpg

from .pgproxy import decode_params

BIG_ROWS = 5000
GENERIC_SQL = """CREATE FUNCTION pg_temp.explain_generic(q text) RETURNS json LANGUAGE plpgsql AS $f$
DECLARE r json; BEGIN EXECUTE 'EXPLAIN (GENERIC_PLAN, FORMAT JSON) ' || q INTO r; RETURN r; END $f$"""
SCAN_NODES = {"Seq Scan", "Index Scan", "Index Only Scan", "Bitmap Heap Scan"}


async def big_tables(conn: asyncpg.Connection) -> dict[str, int]:
    rows = await conn.fetch(
        "SELECT relname, reltuples::bigint AS n FROM pg_class WHERE relkind = 'r' "
        "AND relnamespace = 'public'::regnamespace AND reltuples >= $1",
        BIG_ROWS,
    )
    return {r["relname"]: r["n"] for r in rows}


def _walk(node: dict[str, Any], found: list[dict[str, Any]]) -> None:
    if node.get("Node Type") in SCAN_NODES:
        rows = node.get("Actual Rows")
        found.append(
            {
                "node": node["Node Type"],
                "relation": node.get("Relation Name"),
                "index": node.get("Index Name", ""),
                "plan_rows": node.get("Plan Rows"),
                "actual_rows": None if rows is None else int(rows * node.get("Actual Loops", 1)),
                "filter": node.get("Filter", "")[:120],
            }
        )
    for child in node.get("Plans", ()):
        _walk(child, found)


def _plan(plan_json: Any) -> dict[str, Any]:
    doc = (json.loads(plan_json) if isinstance(plan_json, str) else plan_json)[0]
    found: list[dict[str, Any]] = []
    _walk(doc["Plan"], found)
    key = "actual_rows" if "Execution Time" in doc else "plan_rows"
    biggest = sorted(found, key=lambda s: -(s[key] or 0))[:3]
    return {
        "cost": doc["Plan"].get("Total Cost"),
        "execution_ms": doc.get("Execution Time"),
        "seq_scans": [s for s in found if s["node"] == "Seq Scan"],
        "largest_scans": biggest,
    }


async def explain(url: str, statements: list[tuple[str, str, Any]]) -> dict[str, Any]:
    """statements: (scenario, sql, bind sample) -> {"big_tables", "statements": [...]}."""
    conn = await asyncpg.connect(url)
    out: list[dict[str, Any]] = []
    try:
        await conn.execute("SET statement_timeout = '30s'")
        # asyncpg checks the argument count client-side, so a placeholder-only EXPLAIN runs in plpgsql
        with contextlib.suppress(Exception):
            await conn.execute(GENERIC_SQL)
        big = await big_tables(conn)
        for scenario, sql, sample in statements:
            entry: dict[str, Any] = {"scenario": scenario, "sql": " ".join(sql.split())[:400]}
            try:
                stmt = await conn.prepare(sql)
                values = decode_params(sample, [t.oid for t in stmt.get_parameters()])
                if values is not None:
                    entry["custom"] = _plan(await conn.fetchval("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, *values))
                else:
                    entry["custom"] = {"skipped": "bind values not decodable"}
            except Exception as exc:  # report, don't stop the run
                entry["custom"] = {"error": f"{type(exc).__name__}: {exc}"[:300]}
            try:
                entry["generic"] = _plan(await conn.fetchval("SELECT pg_temp.explain_generic($1)", sql))
            except Exception as exc:
                entry["generic"] = {"error": f"{type(exc).__name__}: {exc}"[:300]}
            custom, generic = entry["custom"], entry["generic"]
            kinds = ["custom"]
            if generic.get("cost") is not None and (
                custom.get("cost") is None or generic["cost"] <= 1.1 * custom["cost"]
            ):
                kinds.append("generic")
            entry["seq_scans_on_big_tables"] = sorted(
                {s["relation"] for kind in kinds for s in entry[kind].get("seq_scans", ()) if s["relation"] in big}
            )
            entry["generic_only_seq_scans"] = sorted(
                {s["relation"] for s in generic.get("seq_scans", ()) if s["relation"] in big}
                - set(entry["seq_scans_on_big_tables"])
            )
            out.append(entry)
    finally:
        await conn.close()
    return {"big_tables": big, "statements": out}
