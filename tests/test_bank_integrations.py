"""The bank feed operations on manual accounts: refresh lists the accounts as they are, remove_account deletes
the account with that bank-side id, get_transactions says there is nothing to fetch; admins only; another
company's account answers like a missing one."""

from __future__ import annotations

from members import add_member

from app import ids

BANKS = "/api/v1/bank_integrations"


async def make(api, name: str, bank_account_id: int) -> dict:
    r = await api.post(BANKS, json={"bank_account_name": name, "bank_account_id": bank_account_id})
    assert r.status_code == 200, r.text
    return r.json()["data"]


async def test_refresh_lists_the_accounts_as_they_are(api, db):
    first, second = await make(api, "Main", 1001), await make(api, "Savings", 1002)
    before = await db.fetch("SELECT * FROM bank_integrations ORDER BY id")
    r = await api.post(f"{BANKS}/refresh_accounts")
    assert r.status_code == 200, r.text
    assert [b["id"] for b in r.json()["data"]] == [first["id"], second["id"]]
    assert r.json()["meta"]["pagination"]["total"] == 2
    assert await db.fetch("SELECT * FROM bank_integrations ORDER BY id") == before


async def test_remove_account_deletes_the_account_with_that_bank_side_id(api, api_b, db):
    mine = await make(api, "Main", 1001)
    theirs = await make(api_b, "Theirs", 2002)
    foreign, missing = await api.post(f"{BANKS}/remove_account/2002"), await api.post(f"{BANKS}/remove_account/9")
    assert foreign.status_code == missing.status_code == 404 and foreign.json() == missing.json()
    assert (await api.post(f"{BANKS}/remove_account/not-a-number")).json() == missing.json()
    r = await api.post(f"{BANKS}/remove_account/1001")
    assert r.status_code == 200 and r.json()["data"]["id"] == mine["id"] and r.json()["data"]["is_deleted"] is True
    row = await db.fetchrow("SELECT is_deleted FROM bank_integrations WHERE id = $1", ids.decode(theirs["id"]))
    assert row["is_deleted"] is False


async def test_get_transactions_says_nothing_is_fetched(api, db):
    await make(api, "Main", 1001)
    r = await api.post(f"{BANKS}/get_transactions/1001")
    assert r.status_code == 200
    assert r.json() == {
        "message": "No bank feed is connected to this server: bank accounts are manual, so there are no "
        "transactions to fetch."
    }
    assert await db.fetchval("SELECT count(*) FROM bank_transactions") == 0


async def test_the_feed_operations_are_for_admins(anon, api, db, tenant_a):
    await make(api, "Main", 1001)
    _, token = await add_member(
        db, tenant_a.company_id, "clerk@example.com", "view_bank_integration,edit_bank_integration"
    )
    headers = {"X-API-TOKEN": token}
    denied = {"message": "This action is unauthorized.", "errors": {}}
    for path in ("refresh_accounts", "remove_account/1001", "get_transactions/1001"):
        r = await anon.post(f"{BANKS}/{path}", headers=headers)
        assert r.status_code == 403 and r.json() == denied, path
    assert await db.fetchval("SELECT count(*) FROM bank_integrations WHERE is_deleted") == 0
