async def test_create_and_list_client(api):
    r = await api.post("/api/v1/clients", json={"name": "ACME", "contacts": [{"first_name": "Wile", "email": "w@acme.test"}]})
    assert r.status_code == 200, r.text
    c = r.json()["data"]
    assert c["name"] == "ACME" and c["number"] == "0001"
    r = await api.get("/api/v1/clients?include=group_settings,activities")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["meta"]["pagination"]["total"] == 1
    print(body)
