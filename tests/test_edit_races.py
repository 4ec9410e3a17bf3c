"""An invoice edit racing every action that moves its money, against the live server of
live_server.py: `PUT /invoices/{id}` with a new total at the same moment as mark_sent, mark_paid, cancel,
reverse, delete or a payment. Each round uses a fresh client and invoice, so a round is wrong when it adds
a violation of tests/invariants.py, answers a 5xx, or lets the edit land on an invoice the action had already
cancelled, reversed or deleted. Rounds are bounded in count and time."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest
from invariants import assert_invariants, violations
from live_server import ROUNDS_SECONDS, Session
from test_invoices import web_line

from app import ids

ROUNDS = 40
CANCELLED, REVERSED, DELETED = 59, 58, 9  # activity types that end an invoice's editable life
FINAL_ACTIVITY = {"cancel": CANCELLED, "reverse": REVERSED, "delete": DELETED}
# the states an invoice is in when the race starts: a draft is what mark_sent, mark_paid and payments turn
# into money; cancel, reverse and delete only act on a sent one
STARTS = {
    "mark_sent": ("draft",),
    "mark_paid": ("draft", "sent"),
    "payment": ("draft", "sent"),
    "cancel": ("sent",),
    "reverse": ("sent",),
    "delete": ("sent",),
}


def _seen(found: dict[str, list[dict[str, Any]]]) -> set[tuple[str, str]]:
    return {(name, repr(sorted(row.items()))) for name, rows in found.items() for row in rows}


async def _race(
    s: Session, client: str, action: str, start: str, total: int
) -> tuple[str, httpx.Response, httpx.Response]:
    flag = "?mark_sent=true" if start == "sent" else ""
    r = await s.http.post(
        f"/api/v1/invoices{flag}", json={"client_id": client, "line_items": [web_line(quantity=1, cost=100)]}
    )
    assert r.status_code == 200, r.text
    inv = r.json()["data"]["id"]
    edit = s.http.put(f"/api/v1/invoices/{inv}", json={"line_items": [web_line(quantity=1, cost=total)]})
    if action == "payment":
        other = s.pay(client, (inv, 60))
    elif action == "delete":
        other = s.http.delete(f"/api/v1/invoices/{inv}")
    else:
        other = s.http.get(f"/api/v1/invoices/{inv}/{action}")
    put, done = await asyncio.gather(edit, other)
    return inv, put, done


async def _edited_after_the_end(s: Session, inv: str, action: str) -> bool:
    """The edit's activity (type 5) written after the cancel/reverse/delete one: it changed a closed invoice.
    Activities are written under the invoice's lock, so their ids follow the order the writers held it."""
    final = FINAL_ACTIVITY.get(action)
    if final is None:
        return False
    rows = await s.db.fetch(
        "SELECT activity_type_id, id FROM activities WHERE invoice_id = $1 ORDER BY id", ids.decode(inv)
    )
    ended = [r["id"] for r in rows if r["activity_type_id"] == final]
    return bool(ended) and any(r["activity_type_id"] == 5 and r["id"] > ended[0] for r in rows)


@pytest.mark.parametrize("action", list(STARTS))
async def test_edit_racing_an_action_keeps_the_money_right(live, action):  # noqa: F811
    async with Session(live) as s:
        seen = _seen(await violations(s.db, s.company_id))
        wrong: list[str] = []
        rounds, started = 0, time.monotonic()
        while rounds < ROUNDS and time.monotonic() - started < ROUNDS_SECONDS:
            start = STARTS[action][rounds % len(STARTS[action])]
            total = (250, 40)[rounds // len(STARTS[action]) % 2]  # an edit up, and one below what a payment pays
            rounds += 1
            inv, put, done = await _race(s, await s.client(), action, start, total)
            found = _seen(await violations(s.db, s.company_id))
            problems = [f"{name}: {row}" for name, row in sorted(found - seen)]
            seen |= found
            if put.status_code not in (200, 400, 422) or done.status_code not in (200, 400, 422):
                problems.append(f"answers {put.status_code} {put.text[:200]} / {done.status_code} {done.text[:200]}")
            if put.status_code == 200 and await _edited_after_the_end(s, inv, action):
                problems.append(f"the edit landed after {action}")
            if problems:
                wrong.append(f"round {rounds} ({start}, {total}): " + "; ".join(problems))
        assert not wrong, f"{len(wrong)} of {rounds} rounds wrong:\n" + "\n".join(wrong[:5])
        await assert_invariants(s.db, s.company_id)
