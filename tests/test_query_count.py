"""No N+1: the number of SQL statements a request runs does not grow with the rows it returns.
`db.queries` counts every statement sent, the token lookup included."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from app import ids
from app.auth import random_key
from app.db import Db

CLIENTS = 200


@pytest.fixture
async def many(db: Db, tenant_a: Any, api: httpx.AsyncClient) -> list[int]:
    """200 clients with 2 contacts each, one group and one activity each, inserted straight through SQL."""
    company, user = ids.decode(tenant_a.company_id), ids.decode(tenant_a.user_id)
    group = await db.fetchval(
        "INSERT INTO group_settings (company_id, user_id, name) VALUES ($1, $2, 'G') RETURNING id", company, user
    )
    client_ids = [
        r["id"]
        for r in await db.fetch(
            "INSERT INTO clients (company_id, user_id, name, number, group_settings_id, settings) "
            "SELECT $1, $2, 'Client ' || n, lpad(n::text, 4, '0'), $3, '{\"currency_id\": \"1\"}'::jsonb "
            "FROM generate_series(1, $4) n RETURNING id",
            company,
            user,
            group,
            CLIENTS,
        )
    ]
    await db.executemany(
        "INSERT INTO client_contacts (company_id, client_id, user_id, first_name, email, is_primary, contact_key) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7)",
        [
            (company, cid, user, f"Contact {k}", f"c{cid}-{k}@example.com", k == 0, random_key(32))
            for cid in client_ids
            for k in range(2)
        ],
    )
    await db.executemany(
        "INSERT INTO activities (company_id, user_id, client_id, activity_type_id) VALUES ($1, $2, $3, 1)",
        [(company, user, cid) for cid in client_ids],
    )
    return client_ids


async def count(db: Db, api: httpx.AsyncClient, path: str) -> tuple[int, dict[str, Any]]:
    before = db.queries
    r = await api.get(path)
    assert r.status_code == 200, r.text
    return db.queries - before, r.json()


@pytest.mark.parametrize(
    "include",
    [
        "contacts",
        "contacts,documents,gateway_tokens",
        "group_settings,activities.history",
        "activities,ledger,system_logs",
    ],
)
async def test_client_list_statements_do_not_grow_with_the_page(
    db: Db, api: httpx.AsyncClient, many: list[int], include: str
) -> None:
    small, body_small = await count(db, api, f"/api/v1/clients?per_page=20&include={include}")
    large, body_large = await count(db, api, f"/api/v1/clients?per_page=200&include={include}")
    assert len(body_small["data"]) == 20 and len(body_large["data"]) == CLIENTS
    assert all(len(c["contacts"]) == 2 for c in body_large["data"])
    assert small == large, (small, large)
    assert large <= 3  # the token, one statement for the rows with their includes, one count


async def test_included_data_is_really_loaded(db: Db, api: httpx.AsyncClient, many: list[int]) -> None:
    _, body = await count(db, api, "/api/v1/clients?per_page=200&include=group_settings,activities")
    for client in body["data"]:
        assert client["group_settings"]["name"] == "G"
        assert [a["activity_type_id"] for a in client["activities"]] == ["1"]
        assert [c["is_primary"] for c in client["contacts"]] == [True, False]


async def test_filtered_and_sorted_lists_are_constant_too(db: Db, api: httpx.AsyncClient, many: list[int]) -> None:
    query = "filter=client&status=active&sort=name|desc&balance=-1:gt&include=contacts,activities"
    small, _ = await count(db, api, f"/api/v1/clients?per_page=10&{query}")
    large, body = await count(db, api, f"/api/v1/clients?per_page=5000&{query}")
    # never more statements for a bigger page (a first page that is not full even skips the count)
    assert len(body["data"]) == CLIENTS and large <= small <= 3


async def test_page_past_the_end(db: Db, api: httpx.AsyncClient, many: list[int]) -> None:
    statements, body = await count(db, api, "/api/v1/clients?per_page=20&page=999")
    assert body["data"] == [] and body["meta"]["pagination"]["total"] == CLIENTS
    assert statements <= 3


async def test_show_is_at_most_two_statements(db: Db, api: httpx.AsyncClient, many: list[int]) -> None:
    client = ids.encode(many[0])
    for include in ("", "group_settings,activities.history", "activities,ledger,system_logs,documents"):
        statements, body = await count(db, api, f"/api/v1/clients/{client}?include={include}")
        assert body["data"]["id"] == client and len(body["data"]["contacts"]) == 2
        assert statements <= 2, (include, statements)


async def test_other_lists_are_constant(db: Db, api: httpx.AsyncClient, many: list[int]) -> None:
    for path in ("/api/v1/activities", "/api/v1/group_settings"):
        small, _ = await count(db, api, f"{path}?per_page=5")
        large, _ = await count(db, api, f"{path}?per_page=500")
        assert large <= small <= 3, path  # a first page that is not full skips the count


async def test_bulk_statements_do_not_grow_with_the_ids(db: Db, api: httpx.AsyncClient, many: list[int]) -> None:
    async def bulk(chosen: list[int], action: str, extra: dict[str, Any]) -> int:
        before = db.queries
        r = await api.post(
            f"/api/v1/clients/bulk?per_page={CLIENTS}",
            json={"action": action, "ids": [ids.encode(i) for i in chosen], **extra},
        )
        assert r.status_code == 200, r.text
        assert len(r.json()["data"]) == len(chosen)
        return db.queries - before

    # archive/delete write one activity row per changed client (as upstream); the rest is constant
    for action, extra in (("restore", {}), ("bulk_update", {"column": "public_notes", "new_value": "x"})):
        small = await bulk(many[:2], action, extra)
        large = await bulk(many, action, extra)
        assert small == large, (action, small, large)
