"""The scenarios: what each one sends, which targets answer it, and what it needs from the schema.

Every scenario builds a fixed list of requests from a seeded RNG, so every target replays the same
requests. A scenario whose `needs` (tables) are missing from the schema is declared but skipped with a
note; a target not in `targets` has no implementation of it (shown as "n/a").
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from app import ids

PER_PAGE = 20
GRAPHQL = "{ clients(perPage: 20, page: %d) { items { id name contacts { id email } } } }"
S4_QUERY = "per_page=20&include=client&client_status=unpaid&sort=" + quote("date|desc", safe="")
S4_PAGES = 200  # random pages among the first 200 (4,000 rows) of the filtered, sorted list
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"  # what the PHP SDK sends on every write
N_REQUESTS = 2000  # distinct requests per scenario, replayed in random order
SCALE_CONNECTIONS = 4  # S7: few connections, so a slow query's backlog drains within seconds


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: str | None = None
    content_type: str = JSON  # sent with the body (ignored without one)

    def as_dict(self) -> dict[str, Any]:
        return {"method": self.method, "path": self.path, "body": self.body, "content_type": self.content_type}


@dataclass(frozen=True)
class Scenario:
    key: str
    title: str
    build: Callable[[Context, random.Random], list[Request]]
    targets: frozenset[str] = frozenset({"server", "floor", "peer"})
    needs: tuple[str, ...] = ()
    company: str = "big"
    list_endpoint: bool = False
    write: bool = False
    check: str = "status"  # "graphql": a 200 carrying "errors" is an error too
    connections: int | None = None  # overrides --connections (the scale scenarios: slow queries must drain)
    prime: bool = False  # send each distinct request once before the warm-up (text-keyed caches)
    notes: dict[str, str] = field(default_factory=dict)  # target -> why it does not run there


def scenario_rng(key: str) -> random.Random:
    """The seeded RNG a scenario builds its requests from: the same requests in every run."""
    return random.Random(sum(map(ord, key)))


@dataclass
class Context:
    dataset: dict[str, Any]
    extra: dict[str, Any] = field(default_factory=dict)  # filled from the database (e.g. open invoices)

    def company(self, which: str) -> dict[str, Any]:
        return self.dataset["companies"][which]


def _pages(ctx: Context, company: str = "big", cap: int | None = None) -> int:
    pages = max(1, -(-ctx.company(company)["clients"] // PER_PAGE))
    return min(pages, cap) if cap else pages


def s1(ctx: Context, rng: random.Random) -> list[Request]:
    c = ctx.company("big")
    return [
        Request("GET", f"/api/v1/clients/{ids.encode(rng.randint(c['first_client_id'], c['last_client_id']))}")
        for _ in range(N_REQUESTS)
    ]


def s2(ctx: Context, rng: random.Random, company: str = "big", cap: int | None = None) -> list[Request]:
    pages = _pages(ctx, company, cap)
    return [
        Request("GET", f"/api/v1/clients?per_page={PER_PAGE}&include=contacts&page={rng.randint(1, pages)}")
        for _ in range(N_REQUESTS)
    ]


def s3(ctx: Context, rng: random.Random) -> list[Request]:
    pages = _pages(ctx)
    return [
        Request("POST", "/graphql", json.dumps({"query": GRAPHQL % rng.randint(1, pages)})) for _ in range(N_REQUESTS)
    ]


def s4(ctx: Context, rng: random.Random) -> list[Request]:
    return [Request("GET", f"/api/v1/invoices?{S4_QUERY}&page={rng.randint(1, S4_PAGES)}") for _ in range(N_REQUESTS)]


def _new_clients(rng: random.Random) -> list[dict[str, Any]]:
    out = []
    for i in range(N_REQUESTS):
        first, last = rng.choice(("Ann", "Ben", "Cleo", "Dan")), rng.choice(("Lee", "Ross", "Kim", "Berg"))
        body = {
            "name": f"Bench Client {i}",
            "website": "https://bench.example.com",
            "city": "Springfield",
            "contacts": [{"first_name": first, "last_name": last, "email": f"{first}.{last}.{i}@example.com".lower()}],
        }
        out.append(body)
    return out


def php_query(value: dict[str, Any]) -> str:
    """A body as PHP's http_build_query encodes it (the PHP SDK's writes): nested keys in brackets
    (`contacts[0][email]`), keys and values through urlencode, so the brackets arrive as %5B/%5D and a space
    as `+` (quote_plus differs from PHP's urlencode only on `~`, which these bodies do not contain)."""
    pairs: list[tuple[str, str]] = []

    def walk(prefix: str, v: Any) -> None:
        items = v.items() if isinstance(v, dict) else enumerate(v) if isinstance(v, list) else None
        if items is None:
            pairs.append((prefix, str(v)))
            return
        for k, sub in items:
            walk(f"{prefix}[{k}]" if prefix else str(k), sub)

    walk("", value)
    return urlencode(pairs)


def s5(ctx: Context, rng: random.Random) -> list[Request]:
    return [Request("POST", "/api/v1/clients", json.dumps(body)) for body in _new_clients(rng)]


def s5_form(ctx: Context, rng: random.Random) -> list[Request]:
    """S5's very clients (drawn from S5's seed, not this scenario's) as the PHP SDK sends them."""
    return [Request("POST", "/api/v1/clients", php_query(body), FORM) for body in _new_clients(scenario_rng("S5"))]


def s6(ctx: Context, rng: random.Random) -> list[Request]:
    """A 1.00 payment applied to an open invoice; `extra["open_invoices"]` = [(invoice_id, client_id)]."""
    open_invoices = ctx.extra.get("open_invoices") or []
    out = []
    for _ in range(N_REQUESTS if open_invoices else 0):
        invoice_id, client_id = rng.choice(open_invoices)
        body = {
            "client_id": ids.encode(client_id),
            "amount": 1.0,
            "date": "2024-06-01",
            "type_id": "1",
            "invoices": [{"invoice_id": ids.encode(invoice_id), "amount": 1.0}],
        }
        out.append(Request("POST", "/api/v1/payments", json.dumps(body)))
    return out


def s7_clients(ctx: Context, rng: random.Random) -> list[Request]:
    return s2(ctx, rng, "scale", cap=_pages(ctx))  # the same pages as S2, over 10x the rows


def s7_invoices(ctx: Context, rng: random.Random) -> list[Request]:
    return s4(ctx, rng)


PEER_TODO = "peer not written yet for payments"

SCENARIOS: tuple[Scenario, ...] = (
    Scenario("S1", "GET /api/v1/clients/{id}", s1),
    Scenario("S2", "GET /api/v1/clients?per_page=20&include=contacts (random pages)", s2, list_endpoint=True),
    Scenario(
        "S3",
        "GraphQL clients(perPage: 20, page: N) { items { id name contacts { id email } } }",
        s3,
        targets=frozenset({"server"}),
        list_endpoint=True,
        check="graphql",
        prime=True,
        notes={"floor": "compared with the floor's S2", "peer": "no GraphQL in the peer"},
    ),
    Scenario(
        "S4",
        f"GET /api/v1/invoices?{S4_QUERY.replace('%7C', '|')} (random pages 1-{S4_PAGES})",
        s4,
        needs=("invoices",),
        list_endpoint=True,
    ),
    Scenario(
        "S6",
        "POST /api/v1/payments applying 1.00 to an open invoice",
        s6,
        targets=frozenset({"server"}),
        needs=("invoices", "payments"),
        write=True,
        notes={"floor": "floor has no payment writer yet", "peer": PEER_TODO},
    ),
    Scenario("S5", "POST /api/v1/clients (one contact)", s5, write=True),
    Scenario(
        "S5f",
        "POST /api/v1/clients (one contact) as the PHP SDK sends it (form-encoded)",
        s5_form,
        targets=frozenset({"server", "floor"}),
        write=True,
        notes={"peer": "n/a: the peer reads JSON bodies only"},
    ),
    Scenario(
        "S7a",
        "S2 on the 1,000,000-invoice company (100,000 clients; same pages as S2)",
        s7_clients,
        targets=frozenset({"server", "floor"}),
        needs=("invoices",),
        company="scale",
        list_endpoint=True,
        connections=SCALE_CONNECTIONS,
        notes={"peer": "not measured at scale"},
    ),
    Scenario(
        "S7b",
        "S4 on the 1,000,000-invoice company",
        s7_invoices,
        targets=frozenset({"server", "floor"}),
        needs=("invoices",),
        company="scale",
        list_endpoint=True,
        connections=SCALE_CONNECTIONS,
        notes={"peer": "not measured at scale"},
    ),
)
BY_KEY = {s.key: s for s in SCENARIOS}
