"""Recurring expenses over REST: the transformer's fields never null, upstream's factory defaults, numbering
with the recurring expense counter, the schedule (frequency, next send date, cycles), start/stop/pause as
actions and bulk, status filters, and foreign links answering like missing ones."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from clock import company_today
from test_expenses import category
from test_invoices import make_client

from app import ids

BASE = "/api/v1/recurring_expenses"


async def recurring(api: Any, **body: Any) -> dict[str, Any]:
    r = await api.post(BASE, json={"frequency_id": "5", **body})
    assert r.status_code == 200, r.text
    return r.json()["data"]  # type: ignore[no-any-return]


async def status(api: Any, hid: str) -> str:
    return (await api.get(f"{BASE}/{hid}")).json()["data"]["status_id"]  # type: ignore[no-any-return]


async def test_create_has_the_expense_fields_and_the_schedule(api, db):
    made = await recurring(api, amount=30, public_notes="Rent")
    assert made["entity_type"] == "recurringExpense" and made["status_id"] == "1"
    assert made["number"] == "0001" and made["frequency_id"] == "5" and made["remaining_cycles"] == -1
    assert made["uses_inclusive_taxes"] is True and made["calculate_tax_by_amount"] is True
    assert made["invoice_documents"] is False and made["currency_id"] == "1"
    today = company_today().isoformat()
    assert made["next_send_date"] == today and made["next_send_date_client"] == today
    assert made["last_sent_date"] == "" and made["recurring_dates"] == []
    assert made["recurring_expense_currency_id"] == "" and "recurring_expense_id" not in made
    assert all(v is not None for v in made.values())
    assert (await recurring(api, amount=1))["number"] == "0002"
    moment = await db.fetchval("SELECT next_send_date FROM recurring_expenses WHERE id = $1", ids.decode(made["id"]))
    assert moment is not None and moment.isoformat().startswith(today)  # midnight UTC, the test company's zone
    kinds = await db.fetch(
        "SELECT activity_type_id FROM activities WHERE recurring_expense_id = $1", ids.decode(made["id"])
    )
    assert [k["activity_type_id"] for k in kinds] == [120]
    blank = (await api.get(f"{BASE}/create")).json()["data"]
    assert set(blank) == set(made) and blank["entity_type"] == "recurringExpense"


async def test_frequency_cycles_and_dates_are_checked(api):
    r = await api.post(BASE, json={"amount": 1})
    assert r.status_code == 422 and r.json()["errors"] == {"frequency_id": ["The frequency id field is required."]}
    for bad in ("13", "0", "x"):
        r = await api.post(BASE, json={"amount": 1, "frequency_id": bad})
        assert r.status_code == 422 and "frequency_id" in r.json()["errors"], bad
    r = await api.post(BASE, json={"amount": 1, "frequency_id": "5", "remaining_cycles": -2})
    assert r.status_code == 422 and "remaining_cycles" in r.json()["errors"]
    later = (company_today() + timedelta(days=9)).isoformat()
    made = await recurring(api, amount=1, frequency_id=2, remaining_cycles=3, next_send_date=later)
    assert (made["frequency_id"], made["remaining_cycles"], made["next_send_date"]) == ("2", 3, later)
    r = await api.put(f"{BASE}/{made['id']}", json={"frequency_id": "10", "number": made["number"]})
    assert r.status_code == 200 and r.json()["data"]["frequency_id"] == "10"
    assert (await api.get(BASE)).json()["data"][0]["id"] == made["id"]
    r = await api.post(BASE, json={"amount": 1, "frequency_id": "5", "number": made["number"]})
    assert r.status_code == 422 and r.json()["errors"] == {"number": ["The number has already been taken."]}


async def test_start_stop_pause_as_actions_and_bulk(api, db):
    made = await recurring(api, amount=5)
    r = await api.get(f"{BASE}/{made['id']}/start")
    assert r.status_code == 200 and r.json()["data"]["status_id"] == "2"
    r = await api.get(f"{BASE}/{made['id']}/pause")
    assert r.status_code == 200 and r.json()["data"]["status_id"] == "3"
    r = await api.get(f"{BASE}/{made['id']}/fly")
    assert r.status_code == 400
    other = await recurring(api, amount=6)
    both = [made["id"], other["id"]]
    r = await api.post(f"{BASE}/bulk", json={"action": "start", "ids": both})
    assert r.status_code == 200 and {e["status_id"] for e in r.json()["data"]} == {"2"}
    r = await api.post(f"{BASE}/bulk", json={"action": "stop", "ids": both})
    assert {e["status_id"] for e in r.json()["data"]} == {"3"}
    await api.post(f"{BASE}/bulk", json={"action": "archive", "ids": [other["id"]]})
    r = await api.get(f"{BASE}/{other['id']}/start")  # starting restores an archived one
    assert r.json()["data"]["status_id"] == "2" and r.json()["data"]["archived_at"] == 0
    ended = await recurring(api, amount=7, remaining_cycles=0)
    await api.get(f"{BASE}/{ended['id']}/start")
    assert await status(api, ended["id"]) == "1"  # no cycles left: not started
    kinds = await db.fetch(
        "SELECT activity_type_id FROM activities WHERE recurring_expense_id = $1 ORDER BY id", ids.decode(other["id"])
    )
    assert [k["activity_type_id"] for k in kinds] == [120, 122]


async def test_status_and_link_filters(api):
    client = await make_client(api, "Landlord")
    rent = await category(api, "Rent")
    draft = await recurring(api, amount=5, public_notes="draft", client_id=client["id"])
    active = await recurring(api, amount=6, public_notes="active", category_id=rent)
    await api.get(f"{BASE}/{active['id']}/start")

    async def notes(query: str) -> list[str]:
        r = await api.get(f"{BASE}?{query}")
        assert r.status_code == 200, r.text
        return [e["public_notes"] for e in r.json()["data"]]

    assert await notes("client_status=draft") == ["draft"]
    assert await notes("client_status=active") == ["active"]
    assert await notes("client_status=draft,active") == ["draft", "active"]
    assert await notes("client_status=paused") == []
    assert await notes("client_status=logged") == ["draft", "active"]
    assert await notes("status_id=2") == ["active"]
    assert await notes(f"client_id={client['id']}") == ["draft"]
    assert await notes(f"category_id={rent}") == ["active"]
    assert await notes("sort=amount|desc") == ["active", "draft"]
    assert draft["client_id"] == client["id"]


async def test_foreign_links_answer_like_missing(api, api_b):
    theirs = (await make_client(api_b, "Theirs"))["id"]
    theirs_category = await category(api_b, "Theirs")
    missing = ids.encode(987_654)
    for name, foreign in (("client_id", theirs), ("category_id", theirs_category)):
        a = await api.post(BASE, json={"amount": 1, "frequency_id": "5", name: foreign})
        b = await api.post(BASE, json={"amount": 1, "frequency_id": "5", name: missing})
        assert a.status_code == b.status_code == 422 and a.json() == b.json(), name
    assert (await api.get(BASE)).json()["data"] == []
    mine = await recurring(api_b, amount=1)
    assert (await api.get(f"{BASE}/{mine['id']}/start")).status_code == 404
    assert await status(api_b, mine["id"]) == "1"
