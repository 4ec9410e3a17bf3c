"""Amounts read like upstream's at any depth: JSON floats (50.0), also inside includes built by SQL."""

import re


async def test_money_in_includes_is_written_as_float(api):
    client = (await api.post("/api/v1/clients", json={"name": "Float Co"})).json()["data"]
    body = {"client_id": client["id"], "line_items": [{"quantity": 2, "cost": 25}]}
    r = await api.post("/api/v1/invoices?mark_sent=true", json=body)
    assert r.status_code == 200, r.text
    r = await api.get(f"/api/v1/clients/{client['id']}?include=ledger")
    assert re.search(r'"adjustment":50\.0[,}]', r.text), r.text
    assert re.search(r'"balance":50\.0[,}]', r.text)
    r = await api.get(f"/api/v1/invoices?include=client&client_id={client['id']}")
    assert re.search(r'"client":\{[^{}]*"balance":50\.0[,}]', r.text), r.text
