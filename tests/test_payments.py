"""Payments over REST: create with invoices and unapplied remainders,
upstream's validation, idempotency_key, apply later (PUT), refunds, delete restoring balances exactly,
archive/restore; the money invariants after every test."""

from __future__ import annotations

from typing import Any

from invariants import assert_invariants
from test_invoices import make_client, web_line

from app import ids

PAY = "/api/v1/payments"
INV = "/api/v1/invoices"


async def sent_invoice(api: Any, client_id: str, cost: float = 100, **body: Any) -> dict[str, Any]:
    r = await api.post(
        f"{INV}?mark_sent=true", json={"client_id": client_id, "line_items": [web_line(quantity=1, cost=cost)], **body}
    )
    assert r.status_code == 200, r.text
    assert r.json()["data"]["status_id"] == "2"
    return r.json()["data"]


async def pay(api: Any, client_id: str, *entries: tuple[str, float], **body: Any) -> Any:
    return await api.post(
        PAY, json={"client_id": client_id, **body, "invoices": [{"invoice_id": i, "amount": a} for i, a in entries]}
    )


async def client_row(api: Any, client_id: str) -> dict[str, Any]:
    return (await api.get(f"/api/v1/clients/{client_id}")).json()["data"]


async def invoice(api: Any, invoice_id: str) -> dict[str, Any]:
    return (await api.get(f"{INV}/{invoice_id}?include=payments,paymentables")).json()["data"]


async def test_full_payment_pays_the_invoice(api, db, tenant_a):
    client = await make_client(api)
    inv = await sent_invoice(api, client["id"])
    r = await pay(api, client["id"], (inv["id"], 100))
    assert r.status_code == 200, r.text
    p = r.json()["data"]
    assert p["amount"] == 100 and p["applied"] == 100 and p["refunded"] == 0 and p["status_id"] == "4"
    assert p["number"] == "0001" and p["is_manual"] is True and p["client_id"] == client["id"]
    assert p["paymentables"][0]["invoice_id"] == inv["id"] and "credit_id" not in p["paymentables"][0]
    assert p["paymentables"][0]["amount"] == 100 and p["documents"] == []
    assert all(v is not None for v in p.values())
    for key in (
        "transaction_id",
        "company_gateway_id",
        "invitation_id",
        "gateway_type_id",
        "exchange_currency_id",
        "private_notes",
        "custom_value1",
        "vendor_id",
        "project_id",
        "client_contact_id",
    ):
        assert p[key] == "", key
    assert p["exchange_rate"] == 1 and p["currency_id"] == "1" and p["archived_at"] == 0
    got = await invoice(api, inv["id"])
    assert got["status_id"] == "4" and got["balance"] == 0 and got["paid_to_date"] == 100
    assert [x["id"] for x in got["payments"]] == [p["id"]] and got["paymentables"][0]["amount"] == 100
    c = await client_row(api, client["id"])
    assert c["balance"] == 0 and c["paid_to_date"] == 100 and c["payment_balance"] == 0
    ledger = await db.fetch(
        "SELECT adjustment, balance, notes, activity_id, ledgerable_type FROM company_ledgers ORDER BY id"
    )
    assert [(float(x["adjustment"]), float(x["balance"]), x["notes"]) for x in ledger] == [
        (100, 100, "Invoice 0001 marked as sent."),
        (-100, 0, "ApplyPaymentInvoice"),
    ]
    assert ledger[1]["activity_id"] == 11 and ledger[1]["ledgerable_type"] == "payment"
    types = [
        r["activity_type_id"]
        for r in await db.fetch("SELECT activity_type_id FROM activities WHERE payment_id IS NOT NULL")
    ]
    assert types == [10]
    await assert_invariants(db, tenant_a.company_id)


async def test_partial_and_unapplied(api, db, tenant_a):
    client = await make_client(api)
    a = await sent_invoice(api, client["id"], 100)
    r = await pay(api, client["id"], (a["id"], 40), amount=150, transaction_reference="wire 7")
    assert r.status_code == 200, r.text
    p = r.json()["data"]
    assert p["amount"] == 150 and p["applied"] == 40 and p["transaction_reference"] == "wire 7"
    got = await invoice(api, a["id"])
    assert got["status_id"] == "3" and got["balance"] == 60 and got["paid_to_date"] == 40
    c = await client_row(api, client["id"])
    assert c["balance"] == 60 and c["paid_to_date"] == 150 and c["payment_balance"] == 110
    # apply 60 of the unapplied 110 later (R4.2): paid_to_date untouched
    r = await api.put(
        f"{PAY}/{p['id']}",
        json={"invoices": [{"invoice_id": a["id"], "amount": 60}], "private_notes": "applied later", "amount": 1},
    )
    assert r.status_code == 200, r.text
    assert r.json()["data"]["applied"] == 100 and r.json()["data"]["amount"] == 150
    assert r.json()["data"]["private_notes"] == "applied later"
    c = await client_row(api, client["id"])
    assert c["balance"] == 0 and c["paid_to_date"] == 150 and c["payment_balance"] == 50
    r = await api.put(f"{PAY}/{p['id']}", json={"invoices": [{"invoice_id": a["id"], "amount": 1}]})
    assert r.status_code == 422  # the invoice is paid now
    await assert_invariants(db, tenant_a.company_id)


async def test_amount_zero_means_the_invoices_total(api, db, tenant_a):
    client = await make_client(api)
    a, b = await sent_invoice(api, client["id"], 10), await sent_invoice(api, client["id"], 20)
    r = await pay(api, client["id"], (a["id"], 10), (b["id"], 5))
    assert r.status_code == 200 and r.json()["data"]["amount"] == 15
    await assert_invariants(db, tenant_a.company_id)


async def test_validation(api, api_b, db, tenant_a):
    client = await make_client(api)
    other = await make_client(api, "Other")
    inv = await sent_invoice(api, client["id"], 100)
    theirs = await sent_invoice(api, other["id"], 100)
    draft = (
        await api.post(INV, json={"client_id": client["id"], "line_items": [web_line(quantity=1, cost=30)]})
    ).json()["data"]
    cases = [
        ({"invoices": [{"invoice_id": inv["id"], "amount": 101}]}, "invoices.0.amount"),
        (
            {"invoices": [{"invoice_id": inv["id"], "amount": 10}, {"invoice_id": inv["id"], "amount": 10}]},
            "invoices.1.invoice_id",
        ),
        ({"invoices": [{"invoice_id": theirs["id"], "amount": 10}]}, "invoices.0.invoice_id"),
        ({"invoices": [{"invoice_id": "nope", "amount": 10}]}, "invoices.0.invoice_id"),
        ({"invoices": [{"invoice_id": inv["id"], "amount": "abc"}]}, "invoices.0.amount"),
        ({"invoices": [{"invoice_id": inv["id"], "amount": -5}]}, "invoices.0.amount"),
        ({"amount": 5, "invoices": [{"invoice_id": inv["id"], "amount": 10}]}, "amount"),
        ({"invoices": [{"invoice_id": draft["id"], "amount": 31}]}, "invoices.0.amount"),
        ({"amount": "NaN"}, "amount"),
        ({"invoices": "x"}, "invoices"),
    ]
    for body, field in cases:
        r = await api.post(PAY, json={"client_id": client["id"], **body})
        assert r.status_code == 422, (body, r.text)
        assert field in r.json()["errors"], (body, r.json())
    r = await api.post(PAY, json={"amount": 5})
    assert r.status_code == 422 and "client_id" in r.json()["errors"]
    # another company's invoice id is just invalid
    r = await api_b.post(PAY, json={"client_id": client["id"], "amount": 5})
    assert r.status_code == 422 and "client_id" in r.json()["errors"]
    assert await db.fetchval("SELECT count(*) FROM payments") == 0
    # a draft is payable up to its amount, and gets marked sent
    r = await pay(api, client["id"], (draft["id"], 30))
    assert r.status_code == 200, r.text
    got = await invoice(api, draft["id"])
    assert got["status_id"] == "4" and got["number"] != ""
    r = await pay(api, client["id"], (draft["id"], 1))
    assert r.status_code == 422 and r.json()["errors"]["invoices"] == ["One or more of these invoices have been paid"]
    await assert_invariants(db, tenant_a.company_id)


async def test_idempotency_key(api, db, tenant_a):
    client = await make_client(api)
    r = await api.post(PAY, json={"client_id": client["id"], "amount": 5, "idempotency_key": "k-1"})
    assert r.status_code == 200 and "idempotency_key" not in r.json()["data"]
    r = await api.post(PAY, json={"client_id": client["id"], "amount": 5, "idempotency_key": "k-1"})
    assert r.status_code == 422
    assert r.json() == {
        "message": "The given data was invalid.",
        "errors": {"idempotency_key": ["The idempotency key has already been taken."]},
    }
    r = await api.post(PAY, json={"client_id": client["id"], "amount": 5, "idempotency_key": "k" * 65})
    assert r.status_code == 422 and "idempotency_key" in r.json()["errors"]
    assert await db.fetchval("SELECT count(*) FROM payments") == 1
    await assert_invariants(db, tenant_a.company_id)


async def test_refunds(api, db, tenant_a):
    client = await make_client(api)
    inv = await sent_invoice(api, client["id"], 20)
    p = (await pay(api, client["id"], (inv["id"], 20))).json()["data"]
    r = await api.post(f"{PAY}/refund", json={"id": p["id"], "invoices": [{"invoice_id": inv["id"], "amount": 25}]})
    assert r.status_code == 422 and "invoices.0.amount" in r.json()["errors"]
    r = await api.post(f"{PAY}/refund", json={"id": p["id"], "amount": 10})
    assert r.status_code == 422 and "invoices" in r.json()["errors"]  # an applied payment names its invoices
    r = await api.post(
        f"{PAY}/refund",
        json={"id": p["id"], "date": "2024-01-01", "invoices": [{"invoice_id": inv["id"], "amount": 10}]},
    )
    assert r.status_code == 200, r.text
    assert r.json()["data"]["refunded"] == 10 and r.json()["data"]["status_id"] == "5"
    assert r.json()["data"]["paymentables"][0]["refunded"] == 10
    got = await invoice(api, inv["id"])
    assert got["balance"] == 10 and got["paid_to_date"] == 10 and got["status_id"] == "3"
    c = await client_row(api, client["id"])
    assert c["paid_to_date"] == 10 and c["balance"] == 10
    r = await api.post(f"{PAY}/refund", json={"id": p["id"], "invoices": [{"invoice_id": inv["id"], "amount": 10}]})
    assert r.status_code == 200 and r.json()["data"]["status_id"] == "6"
    assert (await invoice(api, inv["id"]))["status_id"] == "2"
    await assert_invariants(db, tenant_a.company_id)
    # unapplied money: refund lowers paid_to_date only (UnappliedPaymentRefundTest)
    u = (await api.post(PAY, json={"client_id": client["id"], "amount": 1000})).json()["data"]
    r = await api.post(f"{PAY}/refund", json={"id": u["id"], "amount": 1001})
    assert r.status_code == 422
    r = await api.post(f"{PAY}/refund", json={"id": u["id"], "amount": 500})
    assert r.status_code == 200 and r.json()["data"]["refunded"] == 500
    c = await client_row(api, client["id"])
    assert c["paid_to_date"] == 500 and c["payment_balance"] == 500
    r = await api.post(f"{PAY}/refund", json={"id": "xyz", "amount": 1})
    assert r.status_code == 422 and "id" in r.json()["errors"]
    await assert_invariants(db, tenant_a.company_id)


async def test_delete_restores_everything_and_is_final(api, db, tenant_a):
    client = await make_client(api)
    a, b = await sent_invoice(api, client["id"], 100), await sent_invoice(api, client["id"], 50)
    before = await client_row(api, client["id"])
    p = (await pay(api, client["id"], (a["id"], 100), (b["id"], 20), amount=150)).json()["data"]
    await api.post(f"{PAY}/refund", json={"id": p["id"], "invoices": [{"invoice_id": a["id"], "amount": 30}]})
    r = await api.delete(f"{PAY}/{p['id']}")
    assert r.status_code == 200, r.text
    d = r.json()["data"]
    assert d["is_deleted"] is True and d["status_id"] == "2" and d["archived_at"] > 0 and d["paymentables"] == []
    after = await client_row(api, client["id"])
    for key in ("balance", "paid_to_date", "payment_balance", "credit_balance"):
        assert after[key] == before[key], key
    for x, amount in ((a, 100), (b, 50)):
        got = await invoice(api, x["id"])
        assert got["balance"] == amount and got["paid_to_date"] == 0 and got["status_id"] == "2"
    r = await api.post(f"{PAY}/bulk", json={"action": "restore", "ids": [p["id"]]})
    assert r.status_code == 200 and r.json()["data"][0]["is_deleted"] is True  # never comes back
    r = await api.delete(f"{PAY}/{p['id']}")  # a second delete changes nothing
    assert r.status_code == 200 and (await client_row(api, client["id"]))["balance"] == before["balance"]
    notes = [r["notes"] for r in await db.fetch("SELECT notes FROM company_ledgers ORDER BY id")]
    assert "Adjusting invoice 0001 due to deletion of Payment 0001" in notes
    await assert_invariants(db, tenant_a.company_id)


async def test_archive_restore_and_list(api, db, tenant_a):
    client = await make_client(api)
    p = (await api.post(PAY, json={"client_id": client["id"], "amount": 5})).json()["data"]
    r = await api.post(f"{PAY}/bulk", json={"action": "archive", "ids": [p["id"]]})
    assert r.status_code == 200 and r.json()["data"][0]["archived_at"] > 0
    r = await api.post(f"{PAY}/bulk", json={"action": "restore", "ids": [p["id"]]})
    assert r.json()["data"][0]["archived_at"] == 0
    r = await api.get(f"{PAY}?include=client,invoices&client_id={client['id']}")
    assert r.status_code == 200 and r.json()["data"][0]["client"]["id"] == client["id"]
    assert r.json()["data"][0]["invoices"] == []
    acts = [
        r["activity_type_id"]
        for r in await db.fetch(
            "SELECT activity_type_id FROM activities WHERE payment_id = $1 ORDER BY id", ids.decode(p["id"])
        )
    ]
    assert acts == [10, 12, 27]
    await assert_invariants(db, tenant_a.company_id)


async def test_tenant_isolation(api, api_b, db, tenant_a):
    client = await make_client(api)
    p = (await api.post(PAY, json={"client_id": client["id"], "amount": 5})).json()["data"]
    assert (await api_b.get(f"{PAY}/{p['id']}")).status_code == 404
    assert (await api_b.delete(f"{PAY}/{p['id']}")).status_code == 404
    r = await api_b.post(f"{PAY}/refund", json={"id": p["id"], "amount": 1})
    assert r.status_code == 422
    assert (await api_b.post(f"{PAY}/bulk", json={"action": "delete", "ids": [p["id"]]})).status_code == 422
    assert (await api.get(f"{PAY}/{p['id']}")).json()["data"]["is_deleted"] is False
    await assert_invariants(db, tenant_a.company_id)


async def test_through_relation_in_rest_and_graphql(api, db, tenant_a):
    """invoice.payments and payment.invoices go through paymentables (Relation.through): REST includes
    (one statement) and GraphQL loaders (select_related) agree, duplicates collapse, tenants stay apart."""
    client = await make_client(api)
    a, b = await sent_invoice(api, client["id"], 100), await sent_invoice(api, client["id"], 100)
    p1 = (await pay(api, client["id"], (a["id"], 10), (b["id"], 10), amount=50)).json()["data"]
    await api.put(f"{PAY}/{p1['id']}", json={"invoices": [{"invoice_id": a["id"], "amount": 5}]})  # 2nd pivot on a
    p2 = (await pay(api, client["id"], (a["id"], 1))).json()["data"]
    r = await api.get(f"{PAY}/{p1['id']}?include=invoices")
    assert sorted(x["id"] for x in r.json()["data"]["invoices"]) == sorted([a["id"], b["id"]])
    assert len(r.json()["data"]["paymentables"]) == 3
    got = await invoice(api, a["id"])
    assert [x["id"] for x in got["payments"]] == sorted([p1["id"], p2["id"]], key=ids.decode)
    r = await api.post(
        "/graphql",
        json={"query": "{ invoices(perPage: 10) { items { id payments { id amount } paymentables { amount } } } }"},
    )
    assert r.status_code == 200 and "errors" not in r.json(), r.text
    items = {x["id"]: x for x in r.json()["data"]["invoices"]["items"]}
    assert [x["id"] for x in items[a["id"]]["payments"]] == [x["id"] for x in got["payments"]]
    assert [x["id"] for x in items[b["id"]]["payments"]] == [p1["id"]]
    r = await api.post(
        "/graphql",
        json={"query": "query($id: HashID!) { payment(id: $id) { invoices { id } } }", "variables": {"id": p2["id"]}},
    )
    assert r.json()["data"]["payment"]["invoices"] == [{"id": a["id"]}], r.text
    await assert_invariants(db, tenant_a.company_id)


async def test_credit_payment_and_its_deletion(api, db, tenant_a):
    """CreditTest::testCreditPaymentsPaidToDates: invoice 100 paid by a credit of 100, then the payment deleted."""
    client = await make_client(api)
    inv = await sent_invoice(api, client["id"], 100)
    r = await api.post(
        "/api/v1/credits", json={"client_id": client["id"], "line_items": [web_line(quantity=1, cost=100)]}
    )
    assert r.status_code == 200, r.text
    credit = r.json()["data"]
    assert (await api.get(f"/api/v1/credits/{credit['id']}/mark_sent")).status_code == 200
    body = {
        "client_id": client["id"],
        "invoices": [{"invoice_id": inv["id"], "amount": 100}],
        "credits": [{"credit_id": credit["id"], "amount": 101}],
    }
    r = await api.post(PAY, json=body)
    assert r.status_code == 422 and "credits.0.amount" in r.json()["errors"]
    body["credits"][0]["amount"] = 100
    r = await api.post(PAY, json=body)
    assert r.status_code == 200, r.text
    p = r.json()["data"]
    assert p["amount"] == 0 and p["applied"] == 0
    assert {x.get("credit_id", "") for x in p["paymentables"]} == {"", credit["id"]}
    got = await invoice(api, inv["id"])
    assert got["balance"] == 0 and got["paid_to_date"] == 100 and got["status_id"] == "4"
    cr = (await api.get(f"/api/v1/credits/{credit['id']}")).json()["data"]
    assert cr["balance"] == 0 and cr["paid_to_date"] == 100
    c = await client_row(api, client["id"])
    assert c["balance"] == 0 and c["paid_to_date"] == 100 and c["credit_balance"] == 0
    await assert_invariants(db, tenant_a.company_id)
    r = await api.delete(f"{PAY}/{p['id']}")
    assert r.status_code == 200
    got = await invoice(api, inv["id"])
    assert got["balance"] == 100 and got["paid_to_date"] == 0 and got["status_id"] == "2"
    cr = (await api.get(f"/api/v1/credits/{credit['id']}")).json()["data"]
    assert cr["balance"] == 100 and cr["status_id"] == "2"
    c = await client_row(api, client["id"])
    assert c["balance"] == 100 and c["paid_to_date"] == 0 and c["credit_balance"] == 100
    await assert_invariants(db, tenant_a.company_id)


async def test_numbers_and_fields(api, db, tenant_a):
    client = await make_client(api)
    r = await api.post(
        PAY,
        json={
            "client_id": client["id"],
            "amount": 5,
            "number": "P-1",
            "type_id": "2",
            "date": "2024-05-01",
            "custom_value1": "cv",
        },
    )
    assert r.status_code == 200, r.text
    p = r.json()["data"]
    assert p["number"] == "P-1" and p["type_id"] == "2" and p["date"] == "2024-05-01" and p["custom_value1"] == "cv"
    r = await api.post(PAY, json={"client_id": client["id"], "amount": 5, "number": "P-1"})
    assert r.status_code == 422 and "number" in r.json()["errors"]
    r = await api.post(PAY, json={"client_id": client["id"], "amount": 5, "type_id": "999"})
    assert r.status_code == 422 and "type_id" in r.json()["errors"]
    for bad in (-1, "1e20", True, "Infinity"):
        r = await api.post(PAY, json={"client_id": client["id"], "amount": bad})
        assert r.status_code == 422 and "amount" in r.json()["errors"], bad
    second = (await api.post(PAY, json={"client_id": client["id"], "amount": 5})).json()["data"]
    assert second["number"] == "0001"
    r = await api.put(f"{PAY}/{second['id']}", json={"number": "P-1"})
    assert r.status_code == 422 and "number" in r.json()["errors"]
    r = await api.put(f"{PAY}/{second['id']}", json={"transaction_reference": "ref", "client_id": "zzz"})
    assert r.status_code == 200 and r.json()["data"]["transaction_reference"] == "ref"
    assert r.json()["data"]["client_id"] == client["id"]
    blank = (await api.get(f"{PAY}/create")).json()["data"]
    assert blank["paymentables"] == [] and blank["status_id"] == "4" and "idempotency_key" not in blank
    await assert_invariants(db, tenant_a.company_id)


async def test_single_actions_answer_the_payment(api, api_b, db, tenant_a):
    """GET /payments/{id}/{action}: archive, restore, delete (reversing like DELETE) answer the row; an action
    payments do not take is a 400; another company's payment is a 404 like a missing one, and unchanged."""
    client = await make_client(api)
    inv = await sent_invoice(api, client["id"], 40)
    p = (await pay(api, client["id"], (inv["id"], 40), amount=40)).json()["data"]
    r = await api.get(f"{PAY}/{p['id']}/archive")
    assert r.status_code == 200 and r.json()["data"]["id"] == p["id"] and r.json()["data"]["archived_at"] > 0
    r = await api.get(f"{PAY}/{p['id']}/restore")
    assert r.status_code == 200 and r.json()["data"]["archived_at"] == 0
    r = await api.get(f"{PAY}/{p['id']}/fly")
    assert r.status_code == 400 and r.json()["message"] == "The requested action fly is not available."
    foreign, missing = await api_b.get(f"{PAY}/{p['id']}/delete"), await api_b.get(f"{PAY}/{ids.encode(2**40)}/delete")
    assert foreign.status_code == missing.status_code == 404 and foreign.json() == missing.json()
    assert (await invoice(api, inv["id"]))["balance"] == 0
    r = await api.get(f"{PAY}/{p['id']}/delete")
    assert r.status_code == 200 and r.json()["data"]["is_deleted"] is True
    assert (await invoice(api, inv["id"]))["balance"] == 40
    await assert_invariants(db, tenant_a.company_id)
