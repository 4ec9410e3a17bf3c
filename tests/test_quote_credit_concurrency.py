"""Quotes and credits under concurrency, against the live server of live_server.py (a committed
database of its own): racing mark_sent moves credit_balance once, racing conversions create one invoice,
racing payments that spend one credit spend it once, concurrent creates get distinct numbers."""

from __future__ import annotations

import asyncio

from invariants import assert_invariants
from live_server import Session

from app import ids


async def credit_balance(s: Session, client_id: str) -> float:
    return float(await s.db.fetchval("SELECT credit_balance FROM clients WHERE id = $1", ids.decode(client_id)))


async def test_racing_mark_sent_and_convert(live):  # noqa: F811
    async with Session(live) as s:
        client = await s.client()
        r = await s.http.post(
            "/api/v1/credits", json={"client_id": client, "line_items": [{"quantity": 1, "cost": 40}]}
        )
        credit = r.json()["data"]["id"]
        responses = await asyncio.gather(*(s.http.get(f"/api/v1/credits/{credit}/mark_sent") for _ in range(10)))
        assert {r.status_code for r in responses} == {200}
        assert await credit_balance(s, client) == 40
        r = await s.http.post("/api/v1/quotes", json={"client_id": client, "line_items": [{"quantity": 1, "cost": 7}]})
        quote = r.json()["data"]["id"]
        responses = await asyncio.gather(*(s.http.get(f"/api/v1/quotes/{quote}/convert") for _ in range(8)))
        assert sorted(r.status_code for r in responses) == [200] + [400] * 7
        assert await s.db.fetchval("SELECT count(*) FROM invoices WHERE company_id = $1", ids.decode(s.company_id)) == 1
        made = await asyncio.gather(
            *(
                s.http.post(
                    "/api/v1/credits?mark_sent=true",
                    json={"client_id": client, "line_items": [{"quantity": 1, "cost": 1}]},
                )
                for _ in range(12)
            )
        )
        numbers = [r.json()["data"]["number"] for r in made]
        assert {r.status_code for r in made} == {200} and len(set(numbers)) == 12
        assert await credit_balance(s, client) == 52
        await assert_invariants(s.db, s.company_id)


async def test_racing_payments_spend_a_credit_once(live):  # noqa: F811
    async with Session(live) as s:
        client = await s.client()
        invoices = [await s.invoice(client, 30) for _ in range(5)]
        r = await s.http.post(
            "/api/v1/credits?mark_sent=true", json={"client_id": client, "line_items": [{"quantity": 1, "cost": 30}]}
        )
        credit = r.json()["data"]["id"]
        responses = await asyncio.gather(
            *(
                s.http.post(
                    "/api/v1/payments",
                    json={
                        "client_id": client,
                        "amount": 0,
                        "invoices": [{"invoice_id": i, "amount": 30}],
                        "credits": [{"credit_id": credit, "amount": 30}],
                    },
                )
                for i in invoices
            )
        )
        assert sorted(r.status_code for r in responses) == [200] + [422] * 4, [r.text for r in responses]
        shown = (await s.http.get(f"/api/v1/credits/{credit}")).json()["data"]
        assert (shown["balance"], shown["status_id"], shown["paid_to_date"]) == (0, "4", 30)
        assert await credit_balance(s, client) == 0
        await assert_invariants(s.db, s.company_id)
