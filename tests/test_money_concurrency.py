"""Money under concurrency against a LIVE uvicorn on a real, committed PostgreSQL
database of its own (not the rollback fixture): racing payments, split payments, the A/B - B/A deadlock probe,
gapless numbers under 100 concurrent creates, duplicate PUTs racing a payment, idempotency_key races.
Every loop is bounded in count and time; the invariants of tests/invariants.py hold after each scenario."""

from __future__ import annotations

import asyncio
import time

from invariants import assert_invariants
from live_server import ROUNDS_SECONDS, Session, codes
from test_invoices import web_line

from app import ids


async def test_racing_full_payments_exactly_one_wins(live):
    async with Session(live) as s:
        client = await s.client()
        started = time.monotonic()
        for _ in range(3):
            if time.monotonic() - started > ROUNDS_SECONDS:
                break
            inv = await s.invoice(client)
            results = await asyncio.gather(*(s.pay(client, (inv, 100)) for _ in range(25)))
            got = codes(results)
            assert got.count(200) == 1, got
            assert all(c in (200, 409, 422) for c in got), got
            assert await s.balance(inv) == 0
        await assert_invariants(s.db, s.company_id)


async def test_split_payments_never_exceed_the_balance(live):
    async with Session(live) as s:
        client = await s.client()
        inv = await s.invoice(client)
        results = await asyncio.gather(*(s.pay(client, (inv, 15)) for _ in range(10)))
        got = codes(results)
        assert got.count(200) == 6 and got.count(422) == 4, got
        assert await s.balance(inv) == 10
        await assert_invariants(s.db, s.company_id)


async def test_ab_ba_payments_do_not_deadlock(live):
    async with Session(live) as s:
        client = await s.client()
        a, b = await s.invoice(client, 1000), await s.invoice(client, 1000)
        started = time.monotonic()
        for _ in range(20):
            if time.monotonic() - started > ROUNDS_SECONDS:
                break
            results = await asyncio.gather(
                s.pay(client, (a, 1), (b, 1)),
                s.pay(client, (b, 1), (a, 1)),
                s.pay(client, (a, 1), (b, 1)),
                s.pay(client, (b, 1), (a, 1)),
            )
            assert codes(results) == [200] * 4, [r.text for r in results if r.status_code != 200]
        await assert_invariants(s.db, s.company_id)


async def test_concurrent_creates_get_gapless_numbers(live):
    async with Session(live) as s:
        client = await s.client()
        body = {"client_id": client, "line_items": [web_line(quantity=1, cost=5)]}
        results = await asyncio.gather(*(s.http.post("/api/v1/invoices", json=body) for _ in range(100)))
        assert codes(results) == [200] * 100, [r.text for r in results if r.status_code != 200][:3]
        numbers = sorted(r.json()["data"]["number"] for r in results)
        assert numbers == [f"{n:04d}" for n in range(1, 101)]
        await assert_invariants(s.db, s.company_id)


async def test_duplicate_puts_racing_a_payment_apply_once(live):
    async with Session(live) as s:
        client = await s.client()
        inv = await s.invoice(client, 100)
        put = {"line_items": [web_line(quantity=1, cost=150)]}
        results = await asyncio.gather(
            *(s.http.put(f"/api/v1/invoices/{inv}", json=put) for _ in range(10)), s.pay(client, (inv, 30))
        )
        assert codes(results) == [200] * 11, [r.text for r in results if r.status_code != 200][:3]
        got = (await s.http.get(f"/api/v1/invoices/{inv}")).json()["data"]
        assert got["amount"] == 150 and got["balance"] == 120 and got["paid_to_date"] == 30
        rows = await s.db.fetch("SELECT notes FROM company_ledgers WHERE notes LIKE 'Update Adjustment%'")
        assert len(rows) == 1, rows
        await assert_invariants(s.db, s.company_id)


async def test_idempotency_key_race_makes_one_payment(live):
    async with Session(live) as s:
        client = await s.client()
        inv = await s.invoice(client, 100)
        results = await asyncio.gather(*(s.pay(client, (inv, 10), idempotency_key="same-key") for _ in range(10)))
        got = codes(results)
        assert got.count(200) == 1 and got.count(422) == 9, got
        assert all(
            r.json()["errors"] == {"idempotency_key": ["The idempotency key has already been taken."]}
            for r in results
            if r.status_code == 422
        )
        assert await s.db.fetchval("SELECT count(*) FROM payments WHERE idempotency_key = 'same-key'") == 1
        assert await s.balance(inv) == 90
        await assert_invariants(s.db, s.company_id)


async def test_mark_paid_refund_and_delete_races_keep_invariants(live):
    """C8: mark_paid racing a manual payment; a refund racing the payment's deletion; an edit racing both."""
    async with Session(live) as s:
        client = await s.client()
        started = time.monotonic()
        for _ in range(5):
            if time.monotonic() - started > ROUNDS_SECONDS:
                break
            inv = await s.invoice(client, 100)
            results = await asyncio.gather(
                s.http.get(f"/api/v1/invoices/{inv}/mark_paid"),
                s.pay(client, (inv, 100)),
                s.http.get(f"/api/v1/invoices/{inv}/mark_paid"),
            )
            got = codes(results)
            assert got.count(200) == 1 and all(c in (200, 400, 422) for c in got), got
            assert await s.db.fetchval("SELECT count(*) FROM paymentables WHERE invoice_id = $1", ids.decode(inv)) == 1
            inv2 = await s.invoice(client, 100)
            payment = (await s.pay(client, (inv2, 50))).json()["data"]["id"]
            results = await asyncio.gather(
                s.http.post(
                    "/api/v1/payments/refund", json={"id": payment, "invoices": [{"invoice_id": inv2, "amount": 20}]}
                ),
                s.http.delete(f"/api/v1/payments/{payment}"),
                s.http.put(f"/api/v1/invoices/{inv2}", json={"line_items": [web_line(quantity=1, cost=120)]}),
            )
            assert all(r.status_code in (200, 422) for r in results), [r.text for r in results]
            await assert_invariants(s.db, s.company_id)
