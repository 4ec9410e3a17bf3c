"""A task's time log: [start, end, description, billable] entries in unix seconds, end 0 while running.

Clients send it as upstream stores it, a JSON *string* (`"[[1725170400,1725174000,\\"design\\",true]]"`);
a real array is taken too. What is stored is always validated, sorted by start and compact, so the SQL of
app.entities.projects can derive duration and is_running from it. The checks are upstream's intent
(Request::checkTimeLog) applied to every entry, not only the first pair: each entry ends after it starts,
only the last one may run, and no two overlap.
"""

from __future__ import annotations

import json
import math
from typing import Any

import orjson

from ...errors import invalid

Entry = list[Any]  # [start, end, description, billable]
MAX_ENTRIES = 1000
MAX_SECONDS = 253402300799  # 9999-12-31T23:59:59Z
FIELD = "time_log"
SHAPE = "The time log must be a JSON array of [start, end, description, billable] entries."


def _seconds(value: Any, n: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid(FIELD, f"The {what} of time log entry {n} must be an integer (unix seconds).")
    if not 0 <= value <= MAX_SECONDS:
        raise invalid(FIELD, f"The {what} of time log entry {n} is out of range.")
    return value


def _entry(raw: Any, n: int) -> Entry:
    if not isinstance(raw, list) or not 2 <= len(raw) <= 4:
        raise invalid(FIELD, SHAPE)
    start = _seconds(raw[0], n, "start")
    end = _seconds(raw[1], n, "end")
    description = raw[2] if len(raw) > 2 and raw[2] is not None else ""
    billable = raw[3] if len(raw) > 3 and raw[3] is not None else True
    if not isinstance(description, str) or len(description) > 65535 or "\x00" in description:
        raise invalid(FIELD, f"The description of time log entry {n} must be a string.")
    if not isinstance(billable, bool):
        raise invalid(FIELD, f"The billable flag of time log entry {n} must be true or false.")
    if end != 0 and start > end:
        raise invalid(FIELD, f"Time log entry {n} ends before it starts.")
    return [start, end, description, billable]


def parse(raw: Any) -> list[Entry]:
    """The body's time_log -> validated entries sorted by start (upstream: missing, '' and '{}' are [])."""
    if raw is None or raw == "" or raw == "{}":
        return []
    if isinstance(raw, str):
        try:
            raw = orjson.loads(raw)  # bounded nesting: a hostile depth is a 422, never a RecursionError
        except orjson.JSONDecodeError:
            raise invalid(FIELD, SHAPE) from None
    if not isinstance(raw, list):
        raise invalid(FIELD, SHAPE)
    if len(raw) > MAX_ENTRIES:
        raise invalid(FIELD, f"The time log may not have more than {MAX_ENTRIES} entries.")
    entries = [_entry(item, n) for n, item in enumerate(raw, start=1)]
    check(entries)
    return sorted(entries, key=lambda e: e[0])


def check(entries: list[Entry]) -> None:
    """At most one running entry, the last one by start; no two entries overlap."""
    running = [e for e in entries if e[1] == 0]
    if len(running) > 1:
        raise invalid(FIELD, "The time log may have only one running entry.")
    ordered = sorted(entries, key=lambda e: e[0])
    if running and ordered[-1] is not running[0]:
        raise invalid(FIELD, "Only the last time log entry may be running (end 0).")
    for before, after in zip(ordered, ordered[1:], strict=False):
        if after[0] < before[1]:
            raise invalid(FIELD, "Time log entries may not overlap.")


def dumps(entries: list[Entry]) -> str:
    return json.dumps(entries, separators=(",", ":"), ensure_ascii=False)


def loads(stored: str) -> list[Entry]:
    """A stored log (always written by dumps)."""
    value = json.loads(stored or "[]")
    return value if isinstance(value, list) else []


def rounded(entries: list[Entry], round_up: bool, nearest: int) -> list[Entry]:
    """Each closed entry's end rounded to `nearest` seconds (settings task_round_up / task_round_to_nearest;
    0 and 1 mean off): up to start + ceil(length/N)*N, or down to start + floor(length/N)*N, or start when the
    entry is no longer than N."""
    if nearest <= 1:
        return entries
    out = []
    for start, end, description, billable in entries:
        if end != 0:
            length = end - start
            if round_up:
                moved = start + math.ceil(length / nearest) * nearest
            else:
                moved = start if length <= nearest else start + (length // nearest) * nearest
            end = min(moved, MAX_SECONDS) or end  # never 0: that would mark a closed entry running
        out.append([start, end, description, billable])
    return out


def running(entries: list[Entry]) -> bool:
    return bool(entries) and entries[-1][1] == 0


def started(entries: list[Entry], now: int) -> list[Entry]:
    """A new running entry from now (after the last end, so nothing overlaps), unless one already runs."""
    if running(entries):
        return entries
    start = max([now, *(e[1] for e in entries)])
    return [*entries, [start, 0, "", True]]


def stopped(entries: list[Entry], now: int) -> list[Entry]:
    """The running entry ends now (never before it started)."""
    if not running(entries):
        return entries
    start, _, description, billable = entries[-1]
    return [*entries[:-1], [start, max(now, start), description, billable]]


def billable_hours(entries: list[Entry], allow_billable_items: bool) -> list[tuple[Entry, float]]:
    """The closed entries an invoice bills, each with its hours (4 places, as the web app computes them);
    entries marked not billable are left out when the company's allow_billable_task_items is on."""
    out = []
    for entry in entries:
        if entry[1] == 0 or (allow_billable_items and entry[3] is False):
            continue
        out.append((entry, round((entry[1] - entry[0]) / 3600, 4)))
    return out
