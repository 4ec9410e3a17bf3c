"""Process accounting from /proc: CPU time of a process tree and peak RSS (VmHWM) of its workers."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for tid in tasks:
        with contextlib.suppress(OSError):
            out += [int(x) for x in Path(f"/proc/{pid}/task/{tid}/children").read_text().split()]
    return out


def tree(pid: int) -> list[int]:
    """`pid` and all its live descendants."""
    seen, todo = [], [pid]
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.append(p)
        todo += children(p)
    return seen


def _stat_fields(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rfind(")") + 2 :].split()  # [0] is field 3 (state)


def cpu_seconds(pid: int) -> float:
    """utime+stime of every live process in the tree, plus cutime+cstime (children already reaped), so
    a delta over an interval is the CPU the whole tree burnt in it."""
    ticks = 0
    for p in tree(pid):
        f = _stat_fields(p)
        if f is not None:
            ticks += int(f[11]) + int(f[12]) + int(f[13]) + int(f[14])
    return ticks / CLOCK_TICKS


def status_kb(pid: int, key: str) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def workers(pid: int) -> list[int]:
    """The processes serving requests: uvicorn's spawned workers if it has any, else the process itself."""
    spawned = [p for p in tree(pid)[1:] if "spawn_main" in cmdline(p)]
    return spawned or [pid]


def peak_rss_mb(pid: int) -> float | None:
    """The largest VmHWM among the workers (one worker's peak resident set)."""
    values = [status_kb(p, "VmHWM") for p in workers(pid)]
    values = [v for v in values if v is not None]
    return round(max(values) / 1024, 1) if values else None


def system_busy_seconds() -> float:
    """CPU time all cores spent not idle since boot (/proc/stat): with the target's, the database's and the
    load generator's own CPU, shows how much else ran on the machine during a measurement."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS
