"""Document actions and refunds through GraphQL: the same service calls, rules and tenant scoping as REST."""

from __future__ import annotations

from typing import Any

from invariants import assert_invariants

ACTION = "mutation($id: HashID!, $a: String!) { invoiceAction(id: $id, action: $a) }"
REFUND = "mutation($in: JSON!) { refundPayment(input: $in) { id refunded applied statusId } }"


async def gql(client: Any, query: str, **variables: Any) -> dict[str, Any]:
    r = await client.post("/graphql", json={"query": query, "variables": variables})
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


async def draft_invoice(api: Any, cost: int = 100) -> tuple[str, str]:
    client = (await api.post("/api/v1/clients", json={"name": "GQL Co"})).json()["data"]["id"]
    body = {"client_id": client, "line_items": [{"quantity": 1, "cost": cost}]}
    invoice = (await api.post("/api/v1/invoices", json=body)).json()["data"]["id"]
    return client, invoice


async def test_invoice_action_marks_sent_and_moves_the_client_balance(api, db, tenant_a):
    client, invoice = await draft_invoice(api)
    out = await gql(api, ACTION, id=invoice, a="mark_sent")
    result = out["data"]["invoiceAction"]
    assert result["entity"] == "invoice" and result["data"]["status_id"] == "2" and result["data"]["balance"] == 100
    rest = (await api.get(f"/api/v1/clients/{client}")).json()["data"]
    assert rest["balance"] == 100
    await assert_invariants(db, tenant_a.company_id)


async def test_invoice_action_email_answers_a_message(api, db, tenant_a):
    _, invoice = await draft_invoice(api)
    out = await gql(api, ACTION, id=invoice, a="email")
    assert out["data"]["invoiceAction"] == {
        "message": "Marked as sent. No e-mail was sent: this server does not send mail yet."
    }


async def test_unknown_action_and_foreign_ids_answer_like_rest(api, api_b, db):
    _, invoice = await draft_invoice(api)
    out = await gql(api, ACTION, id=invoice, a="explode")
    assert out["errors"][0]["extensions"]["status"] == 400
    foreign = await gql(api_b, ACTION, id=invoice, a="mark_sent")
    missing = await gql(api_b, ACTION, id="xxxxxxxxxx", a="mark_sent")
    assert foreign["errors"][0]["message"] == missing["errors"][0]["message"] == "Invoice not found"
    assert foreign["errors"][0]["extensions"]["status"] == 404
    assert await db.fetchval("SELECT status_id FROM invoices") == 1  # still a draft


async def test_refund_payment_through_graphql(api, api_b, db, tenant_a):
    client, invoice = await draft_invoice(api)
    await api.get(f"/api/v1/invoices/{invoice}/mark_sent")
    body = {"client_id": client, "amount": 100, "invoices": [{"invoice_id": invoice, "amount": 100}]}
    payment = (await api.post("/api/v1/payments", json=body)).json()["data"]["id"]
    refund = {"id": payment, "invoices": [{"invoice_id": invoice, "amount": 40}]}
    theirs = await gql(api_b, REFUND, **{"in": refund})
    assert theirs["errors"][0]["extensions"]["status"] in (404, 422)
    out = await gql(api, REFUND, **{"in": refund})
    assert out["data"]["refundPayment"]["refunded"] == 40
    assert (await api.get(f"/api/v1/invoices/{invoice}")).json()["data"]["balance"] == 40
    too_much = await gql(api, REFUND, **{"in": {"id": payment, "invoices": [{"invoice_id": invoice, "amount": 500}]}})
    assert too_much["errors"][0]["extensions"]["status"] == 422
    assert await db.fetchval("SELECT refunded FROM payments") == 40
    await assert_invariants(db, tenant_a.company_id)


async def test_paymentables_of_invoices_and_credits_read_through_graphql(api, db, tenant_a):
    client, invoice = await draft_invoice(api, cost=100)
    await api.get(f"/api/v1/invoices/{invoice}/mark_sent")
    credit = (
        await api.post(
            "/api/v1/credits?mark_sent=true", json={"client_id": client, "line_items": [{"quantity": 1, "cost": 30}]}
        )
    ).json()["data"]
    body = {
        "client_id": client,
        "amount": 70,
        "invoices": [{"invoice_id": invoice, "amount": 100}],
        "credits": [{"credit_id": credit["id"], "amount": 30}],
    }
    r = await api.post("/api/v1/payments", json=body)
    assert r.status_code == 200, r.text
    payment = r.json()["data"]["id"]
    out = await gql(
        api, "query($id: HashID!) { payment(id: $id) { paymentables { invoiceId creditId amount } } }", id=payment
    )
    assert "errors" not in out, out
    rows = {(p["invoiceId"], p["creditId"]): p["amount"] for p in out["data"]["payment"]["paymentables"]}
    assert rows == {(invoice, ""): 100.0, ("", credit["id"]): 30.0}
    await assert_invariants(db, tenant_a.company_id)


CREATE_INVOICE = (
    "mutation($in: JSON!, $sent: Boolean, $amount: Decimal) { createInvoice(input: $in, markSent: $sent, "
    "amountPaid: $amount) { id statusId balance } }"
)
UPDATE_INVOICE = "mutation($id: HashID!, $in: JSON!) { updateInvoice(id: $id, input: $in, paid: true) { statusId } }"


async def test_create_invoice_with_mark_sent_marks_it_sent(api, db, tenant_a):
    """`markSent: true` is REST's `?mark_sent=true`: the invoice is sent in the create's transaction and the
    client's balance moves; without it the invoice stays a draft and the client is untouched."""
    client = (await api.post("/api/v1/clients", json={"name": "Flagged Co"})).json()["data"]["id"]
    body = {"client_id": client, "line_items": [{"quantity": 1, "cost": 100}]}
    out = await gql(api, CREATE_INVOICE, **{"in": body, "sent": True})
    assert "errors" not in out, out
    assert out["data"]["createInvoice"]["statusId"] == "2" and out["data"]["createInvoice"]["balance"] == 100
    assert (await api.get(f"/api/v1/clients/{client}")).json()["data"]["balance"] == 100
    draft = await gql(api, CREATE_INVOICE, **{"in": body})
    assert draft["data"]["createInvoice"]["statusId"] == "1"
    assert (await api.get(f"/api/v1/clients/{client}")).json()["data"]["balance"] == 100
    await assert_invariants(db, tenant_a.company_id)


async def test_amount_paid_and_paid_flags_through_graphql(api, db, tenant_a):
    client = (await api.post("/api/v1/clients", json={"name": "Paying Co"})).json()["data"]["id"]
    body = {"client_id": client, "line_items": [{"quantity": 1, "cost": 100}]}
    out = await gql(api, CREATE_INVOICE, **{"in": body, "amount": "40"})
    assert out["data"]["createInvoice"]["statusId"] == "3" and out["data"]["createInvoice"]["balance"] == 60
    paid = await gql(api, UPDATE_INVOICE, id=out["data"]["createInvoice"]["id"], **{"in": {"public_notes": "x"}})
    assert paid["data"]["updateInvoice"]["statusId"] == "4"
    rest = (await api.get(f"/api/v1/clients/{client}")).json()["data"]
    assert rest["balance"] == 0 and rest["paid_to_date"] == 100
    await assert_invariants(db, tenant_a.company_id)
