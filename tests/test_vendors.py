"""Vendors end to end over REST: upstream's shape (never null), numbering with the vendor counter and unique
numbers, the company currency by default, contacts replaced as a client's are (one primary), filters, sorts,
includes, bulk archive/restore/delete with their activities, deleted vendors not editable, tenancy."""

from __future__ import annotations

from typing import Any

from test_quotes import set_company

from app import ids

BASE = "/api/v1/vendors"
VENDOR_KEYS = {
    "id",
    "user_id",
    "assigned_user_id",
    "name",
    "website",
    "private_notes",
    "public_notes",
    "last_login",
    "address1",
    "address2",
    "phone",
    "city",
    "state",
    "postal_code",
    "country_id",
    "currency_id",
    "custom_value1",
    "custom_value2",
    "custom_value3",
    "custom_value4",
    "is_deleted",
    "vat_number",
    "id_number",
    "updated_at",
    "archived_at",
    "created_at",
    "number",
    "language_id",
    "classification",
    "display_name",
    "routing_id",
    "contacts",
    "documents",
}
CONTACT_KEYS = {
    "id",
    "first_name",
    "last_name",
    "send_email",
    "email",
    "created_at",
    "updated_at",
    "archived_at",
    "is_primary",
    "phone",
    "custom_value1",
    "custom_value2",
    "custom_value3",
    "custom_value4",
    "link",
    "last_login",
    "password",
}


async def make_vendor(api: Any, name: str = "Supplies Co", **body: Any) -> dict[str, Any]:
    r = await api.post(BASE, json={"name": name, **body})
    assert r.status_code == 200, r.text
    return r.json()["data"]


async def activity_types(db: Any, vendor: dict[str, Any]) -> list[int]:
    rows = await db.fetch(
        "SELECT activity_type_id FROM activities WHERE vendor_id = $1 ORDER BY id", ids.decode(vendor["id"])
    )
    return [r["activity_type_id"] for r in rows]


async def test_blank_create_shape_and_defaults(api, db):
    r = await api.get(f"{BASE}/create")
    assert r.status_code == 200, r.text
    blank = r.json()["data"]
    assert set(blank) == VENDOR_KEYS and blank["contacts"] == [] and blank["documents"] == []
    await set_company(api, db, currency_id="3")
    v = await make_vendor(api, contacts=[{"first_name": "Ann", "last_name": "Lee", "email": "ann@example.test"}])
    assert set(v) == VENDOR_KEYS
    for key, value in v.items():
        assert value is not None, key
    assert v["number"] == "0001" and v["currency_id"] == "3" and v["display_name"] == "Supplies Co"
    (contact,) = v["contacts"]
    assert set(contact) == CONTACT_KEYS and contact["is_primary"] is True and contact["send_email"] is False
    assert contact["link"].endswith("/vendor/key_login/" + await db.fetchval("SELECT contact_key FROM vendor_contacts"))
    assert await activity_types(db, v) == [30]


async def test_name_required_and_a_vendor_always_has_a_contact(api, db):
    r = await api.post(BASE, json={"name": " "})
    assert r.status_code == 422 and "name" in r.json()["errors"], r.text
    assert await db.fetchval("SELECT count(*) FROM vendors") == 0
    v = await make_vendor(api, currency_id="2")
    assert v["currency_id"] == "2"
    (contact,) = v["contacts"]
    assert contact["is_primary"] and contact["email"] == ""


async def test_numbering_counter_pattern_and_unique_numbers(api, db):
    await set_company(api, db, vendor_number_pattern="V-{$counter}", vendor_number_counter=7)
    a = await make_vendor(api, "A")
    b = await make_vendor(api, "B")
    assert (a["number"], b["number"]) == ("V-0007", "V-0008")
    r = await api.post(BASE, json={"name": "C", "number": "V-0007"})
    assert r.status_code == 422 and r.json()["errors"] == {"number": ["The number has already been taken."]}
    r = await api.put(f"{BASE}/{b['id']}", json={"number": "V-0007"})
    assert r.status_code == 422 and r.json()["errors"] == {"number": ["The number has already been taken."]}
    # an archived vendor still holds its number; an empty number on update keeps the assigned one
    await api.post(f"{BASE}/bulk", json={"action": "archive", "ids": [a["id"]]})
    r = await api.post(BASE, json={"name": "D", "number": "V-0007"})
    assert r.status_code == 422
    r = await api.put(f"{BASE}/{b['id']}", json={"number": ""})
    assert r.status_code == 200 and r.json()["data"]["number"] == "V-0008"
    c = await make_vendor(api, "C", number="MINE")
    assert c["number"] == "MINE"


async def test_contacts_are_replaced_with_one_primary(api, db):
    v = await make_vendor(
        api,
        contacts=[
            {"first_name": "A", "email": "a@example.test"},
            {"first_name": "B", "email": "b@example.test", "is_primary": True, "phone": "555", "send_email": True},
        ],
    )
    by_name = {c["first_name"]: c for c in v["contacts"]}
    assert by_name["B"]["is_primary"] and not by_name["A"]["is_primary"] and by_name["B"]["send_email"]
    assert v["contacts"][0]["first_name"] == "B"  # primary first
    r = await api.put(
        f"{BASE}/{v['id']}",
        json={"contacts": [{"id": by_name["A"]["id"], "last_name": "Kept"}, {"first_name": "C", "custom_value1": "x"}]},
    )
    assert r.status_code == 200, r.text
    contacts = r.json()["data"]["contacts"]
    assert sorted(c["first_name"] for c in contacts) == ["A", "C"]
    assert sum(c["is_primary"] for c in contacts) == 1
    kept = next(c for c in contacts if c["first_name"] == "A")
    assert kept["id"] == by_name["A"]["id"] and kept["last_name"] == "Kept" and kept["is_primary"]
    live = await db.fetchval("SELECT count(*) FROM vendor_contacts WHERE deleted_at IS NULL")
    assert live == 2 and await db.fetchval("SELECT count(*) FROM vendor_contacts") == 3
    # a single object is a list of one; bad contacts change nothing
    r = await api.put(f"{BASE}/{v['id']}", json={"contacts": {"first_name": "Solo"}})
    assert r.status_code == 200 and [c["first_name"] for c in r.json()["data"]["contacts"]] == ["Solo"]
    r = await api.put(f"{BASE}/{v['id']}", json={"contacts": [{"email": "x@y.z"}, {"email": "X@y.z"}]})
    assert r.status_code == 422 and "contacts.1.email" in r.json()["errors"]
    r = await api.put(f"{BASE}/{v['id']}", json={"contacts": [{"password": "short"}]})
    assert r.status_code == 422 and "contacts.0.password" in r.json()["errors"]
    r = await api.get(f"{BASE}/{v['id']}")
    assert [c["first_name"] for c in r.json()["data"]["contacts"]] == ["Solo"]


async def test_list_filters_sorts_and_includes(api, db):
    a = await make_vendor(api, "Alpha", id_number="ID-1", contacts=[{"email": "find.me@example.test"}])
    b = await make_vendor(api, "Beta", city="Zurich", custom_value1="blue")
    await make_vendor(api, "Gamma")

    async def names(query: str) -> list[str]:
        r = await api.get(f"{BASE}?{query}")
        assert r.status_code == 200, r.text
        return [v["name"] for v in r.json()["data"]]

    assert await names("filter=find.me") == ["Alpha"]
    assert await names("filter=blue") == ["Beta"]
    assert await names("name=bet") == ["Beta"]
    assert await names("id_number=ID-1") == ["Alpha"]
    assert await names(f"number={b['number']}") == ["Beta"]
    assert await names(f"vendor_id={a['id']}") == ["Alpha"]
    assert await names("email=FIND.ME@example.test") == ["Alpha"]
    assert await names("sort=name|desc") == ["Gamma", "Beta", "Alpha"]
    assert await names("sort=number|desc") == ["Gamma", "Beta", "Alpha"]
    r = await api.get(f"{BASE}/{a['id']}?include=activities")
    data = r.json()["data"]
    assert [x["activity_type_id"] for x in data["activities"]] == ["30"] and data["contacts"]
    r = await api.get(f"{BASE}?include=activities&per_page=2")
    assert r.status_code == 200 and len(r.json()["data"]) == 2 and r.json()["meta"]["pagination"]["total"] == 3


async def test_bulk_archive_restore_delete_and_deleted_not_editable(api, db):
    v = await make_vendor(api)
    for action, deleted, archived in (("archive", False, True), ("restore", False, False), ("delete", True, True)):
        r = await api.post(f"{BASE}/bulk", json={"action": action, "ids": [v["id"]]})
        assert r.status_code == 200, r.text
        (row,) = r.json()["data"]
        assert row["is_deleted"] is deleted and (row["archived_at"] > 0) is archived
    r = await api.put(f"{BASE}/{v['id']}", json={"name": "New"})
    assert r.status_code == 400
    assert r.json()["message"] == "Record is deleted and cannot be edited. Restore the record to enable editing"
    r = await api.put(f"{BASE}/{v['id']}", json={"name": "X"})
    assert await db.fetchval("SELECT name FROM vendors") == "Supplies Co"
    r = await api.post(f"{BASE}/bulk", json={"action": "explode", "ids": [v["id"]]})
    assert r.status_code == 422
    assert await activity_types(db, v) == [30, 31, 33, 32]
    r = await api.post(f"{BASE}/bulk", json={"action": "restore", "ids": [v["id"]]})
    r = await api.put(f"{BASE}/{v['id']}", json={"name": "New"})
    assert r.status_code == 200 and r.json()["data"]["name"] == "New"
    assert (await activity_types(db, v))[-2:] == [33, 62]


async def test_other_companies_vendors_are_missing(api, api_b, db):
    mine = await make_vendor(api, "Mine")
    theirs = await make_vendor(api_b, "Theirs", contacts=[{"first_name": "T"}])
    missing = ids.encode(10**9)
    for vid in (theirs["id"], missing):
        r = await api.get(f"{BASE}/{vid}")
        assert r.status_code == 404
        r = await api.put(f"{BASE}/{vid}", json={"name": "Taken"})
        assert r.status_code == 404
        r = await api.post(f"{BASE}/bulk", json={"action": "delete", "ids": [vid]})
        assert r.status_code == 422
    r = await api.get(f"{BASE}?vendor_id={theirs['id']}")
    assert r.json()["data"] == []
    # another vendor's contact id in a body makes a new contact; theirs is untouched
    r = await api.put(
        f"{BASE}/{mine['id']}", json={"contacts": [{"id": theirs["contacts"][0]["id"], "first_name": "M"}]}
    )
    assert r.status_code == 200 and r.json()["data"]["contacts"][0]["id"] != theirs["contacts"][0]["id"]
    assert (
        await db.fetchval(
            "SELECT first_name FROM vendor_contacts WHERE id = $1", ids.decode(theirs["contacts"][0]["id"])
        )
        == "T"
    )
    assert await db.fetchval("SELECT name FROM vendors WHERE id = $1", ids.decode(theirs["id"])) == "Theirs"
