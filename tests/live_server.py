"""The money race tests' harness: the module-scoped `live` fixture is one live server (tests/live.py) on a
fresh committed database, `Session` is a company on it with an HTTP client and a Db for the invariants."""

from __future__ import annotations

from typing import Any

import httpx
from conftest import HEADERS
from live import Live
from test_invoices import web_line

from app.db import Db

ROUNDS_SECONDS = 20.0  # no scenario loops longer than this


class Session:
    """A company on the live server: an HTTP client with its token and a Db for invariants."""

    def __init__(self, live: Live) -> None:
        info = live.company()
        self.company_id = info["company_id"]
        self.http = httpx.AsyncClient(
            base_url=live.base,
            timeout=60,
            headers={**HEADERS, "X-API-TOKEN": info["token"]},
            limits=httpx.Limits(max_connections=120),
        )
        self.db = Db(live.url, min_size=1, max_size=2)

    async def __aenter__(self) -> Session:
        await self.db.connect()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.http.aclose()
        await self.db.disconnect()

    async def client(self) -> str:
        r = await self.http.post("/api/v1/clients", json={"name": "Racer", "contacts": [{"first_name": "R"}]})
        assert r.status_code == 200, r.text
        return r.json()["data"]["id"]  # type: ignore[no-any-return]

    async def invoice(self, client_id: str, cost: float = 100) -> str:
        r = await self.http.post(
            "/api/v1/invoices?mark_sent=true",
            json={"client_id": client_id, "line_items": [web_line(quantity=1, cost=cost)]},
        )
        assert r.status_code == 200, r.text
        return r.json()["data"]["id"]  # type: ignore[no-any-return]

    def pay(self, client_id: str, *entries: tuple[str, float], **body: Any) -> Any:
        return self.http.post(
            "/api/v1/payments",
            json={"client_id": client_id, **body, "invoices": [{"invoice_id": i, "amount": a} for i, a in entries]},
        )

    async def balance(self, invoice_id: str) -> float:
        return (await self.http.get(f"/api/v1/invoices/{invoice_id}")).json()["data"]["balance"]  # type: ignore


def codes(responses: list[httpx.Response]) -> list[int]:
    return sorted(r.status_code for r in responses)
