"""The benchmark dataset: a dedicated database, seeded once into a template and copied for every run.

Accounts are made through `app.services.accounts.create_account` (so tokens, users and company settings are
exactly what the server expects); the bulk rows go in with COPY (`copy_records_to_table`). The seeded
template is kept between runs and reused while its fingerprint (schema files, this file, the scale) is
unchanged; every run then starts from a fresh `CREATE DATABASE ... TEMPLATE` copy, so writes made by S5/S6
never leak into the next run.

Invoices, payments and the 1,000,000-invoice company are seeded only when the schema has an `invoices`
table; until then the dataset says so and the invoice scenarios are skipped.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import random
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = "lightninja_bench"
TEMPLATE_DB = "lightninja_bench_tpl"
PASSWORD = "bench-password-1"

BIG_CLIENTS = 10_000
SMALL_CLIENTS = 100
CONTACTS_PER_CLIENT = 2
INVOICES = 100_000
PAYMENTS = 30_000
SCALE_INVOICES = 1_000_000
SCALE_CLIENTS = 100_000

WORDS_A = (
    "Brisk",
    "Silver",
    "Northern",
    "Quiet",
    "Amber",
    "Rapid",
    "Golden",
    "Blue",
    "Cedar",
    "Granite",
    "Harbor",
    "Maple",
    "Copper",
    "Summit",
    "Willow",
    "Crystal",
    "Iron",
    "Coastal",
    "Prairie",
    "Lunar",
)
WORDS_B = (
    "Harbor",
    "Works",
    "Labs",
    "Foods",
    "Logistics",
    "Design",
    "Studio",
    "Systems",
    "Traders",
    "Partners",
    "Bakery",
    "Dental",
    "Garage",
    "Consulting",
    "Media",
    "Energy",
    "Textiles",
    "Farms",
)
SUFFIX = ("Ltd", "LLC", "Inc", "GmbH", "& Co", "Group", "")
FIRST = (
    "Ann",
    "Ben",
    "Carla",
    "Dev",
    "Eva",
    "Farid",
    "Grace",
    "Hugo",
    "Ines",
    "Jon",
    "Kira",
    "Liam",
    "Mona",
    "Nils",
    "Olga",
    "Paul",
    "Quinn",
    "Rosa",
    "Sam",
    "Tara",
    "Uma",
    "Viktor",
    "Wen",
    "Yara",
)
LAST = (
    "Lee",
    "Novak",
    "Garcia",
    "Smith",
    "Okafor",
    "Rossi",
    "Kim",
    "Silva",
    "Berg",
    "Haddad",
    "Moreau",
    "Tanaka",
    "Kowalski",
    "Ivanova",
    "Murphy",
    "Fischer",
    "Ahmed",
    "Costa",
    "Larsen",
    "Nguyen",
)
CITIES = ("Springfield", "Riverton", "Lakeside", "Fairview", "Georgetown", "Franklin", "Clinton", "Salem")


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def fingerprint(scale: float) -> str:
    h = hashlib.sha256()
    for path in sorted([ROOT / "db" / "schema.sql", Path(__file__), *(ROOT / "db").glob("migrations/*.sql")]):
        if path.exists():
            h.update(path.name.encode())
            h.update(path.read_bytes())
    h.update(repr(scale).encode())
    return h.hexdigest()[:16]


def counts(scale: float) -> dict[str, int]:
    def n(base: int, floor: int) -> int:
        return max(floor, int(round(base * scale)))

    return {
        "big_clients": n(BIG_CLIENTS, 200),
        "small_clients": n(SMALL_CLIENTS, 20),
        "invoices": n(INVOICES, 2000),
        "payments": n(PAYMENTS, 600),
        "scale_invoices": n(SCALE_INVOICES, 20_000),
        "scale_clients": n(SCALE_CLIENTS, 2000),
    }


# ---- database lifecycle ------------------------------------------------------------------------------
async def _read_meta(url: str) -> dict[str, Any] | None:
    try:
        conn = await asyncpg.connect(url)
    except (asyncpg.InvalidCatalogNameError, OSError):
        return None
    try:
        if not await conn.fetchval("SELECT to_regclass('bench_meta') IS NOT NULL"):
            return None
        raw = await conn.fetchval("SELECT value FROM bench_meta WHERE key = 'dataset'")
        return json.loads(raw) if raw else None
    finally:
        await conn.close()


async def _drop(admin: asyncpg.Connection, name: str) -> None:
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def prepare(admin_url: str, scale: float, log: Any = print, reseed: bool = False) -> tuple[str, dict[str, Any]]:
    """-> (URL of a fresh copy of the seeded dataset, its description)."""
    tpl_url = with_database(admin_url, TEMPLATE_DB)
    bench_url = with_database(admin_url, BENCH_DB)
    fp = fingerprint(scale)
    meta = None if reseed else await _read_meta(tpl_url)
    admin = await asyncpg.connect(admin_url)
    try:
        if meta is None or meta.get("fingerprint") != fp:
            log(f"seeding template database {TEMPLATE_DB} (scale {scale}) ...")
            await _drop(admin, BENCH_DB)
            await _drop(admin, TEMPLATE_DB)
            await admin.execute(f'CREATE DATABASE "{TEMPLATE_DB}"')
            meta = await seed(tpl_url, scale, log)
            meta["fingerprint"] = fp
            conn = await asyncpg.connect(tpl_url)
            try:
                await conn.execute("CREATE TABLE bench_meta (key text PRIMARY KEY, value text NOT NULL)")
                await conn.execute("INSERT INTO bench_meta VALUES ('dataset', $1)", json.dumps(meta))
            finally:
                await conn.close()
        else:
            log(f"reusing seeded template {TEMPLATE_DB} (fingerprint {fp}, seeded in {meta['seed_seconds']} s)")
        started = time.perf_counter()
        await _drop(admin, BENCH_DB)
        await admin.execute(f'CREATE DATABASE "{BENCH_DB}" TEMPLATE "{TEMPLATE_DB}"')
        log(f"fresh copy {BENCH_DB} in {time.perf_counter() - started:.1f} s")
    finally:
        await admin.close()
    return bench_url, meta


async def drop_bench(admin_url: str) -> None:
    admin = await asyncpg.connect(admin_url)
    try:
        await _drop(admin, BENCH_DB)
    finally:
        await admin.close()


# ---- seeding ---------------------------------------------------------------------------------------
async def _account(db: Any, email: str, company: str) -> dict[str, Any]:
    from app.auth import digest
    from app.services import accounts

    made = await accounts.create_account(db, email, PASSWORD, company)
    row = await db.fetchrow(
        "SELECT id, company_id, user_id FROM company_tokens WHERE token_hash = $1", digest(made["token"])
    )
    return {
        "token": made["token"],
        "company_id": row["company_id"],
        "user_id": row["user_id"],
        "token_id": row["id"],
        "email": email,
        "name": company,
    }


async def seed(url: str, scale: float, log: Any = print) -> dict[str, Any]:
    from app.db import Db
    from app.schema import upgrade

    started = time.perf_counter()
    n = counts(scale)
    db = Db(url, min_size=1, max_size=2)
    await db.connect()
    try:
        await upgrade(db)
        big = await _account(db, "bench-big@example.com", "Big Co")
        small = await _account(db, "bench-small@example.com", "Small Co")
        has_invoices = bool(await db.fetchval("SELECT to_regclass('invoices') IS NOT NULL"))
        scale_co = await _account(db, "bench-scale@example.com", "Scale Co") if has_invoices else None
    finally:
        await db.disconnect()

    rng = random.Random(20240601)
    conn = await asyncpg.connect(url)
    try:
        # the generated rows are consistent: skip the per-row FK triggers while loading (superuser only)
        with contextlib.suppress(asyncpg.PostgresError):
            await conn.execute("SET session_replication_role = replica")
        next_client, next_contact = 1, 1
        for company, how_many in (
            (big, n["big_clients"]),
            (small, n["small_clients"]),
            *(((scale_co, n["scale_clients"]),) if scale_co else ()),
        ):
            first = next_client
            next_client, next_contact = await _clients(conn, rng, company, how_many, next_client, next_contact)
            company.update(clients=how_many, first_client_id=first, last_client_id=next_client - 1)
            await conn.execute(
                "UPDATE companies SET settings = jsonb_set(settings, '{client_number_counter}', "
                "to_jsonb($2::int)) WHERE id = $1",
                company["company_id"],
                how_many + 1,
            )
        for table in ("clients", "client_contacts"):
            await conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        log(f"  clients + contacts: {time.perf_counter() - started:.1f} s")

        invoices: dict[str, Any] | None = None
        if has_invoices:
            try:
                invoices = await seed_invoices(conn, rng, big, small, scale_co, n, log)
            except Exception as exc:  # the invoice schema is still moving: report, keep the rest usable
                invoices = {"error": f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"}
                log(f"  invoice seeding failed: {invoices['error']}")
        await conn.execute("ANALYZE")
        await conn.execute("VACUUM (ANALYZE)")  # visibility map, so index-only scans are possible
    finally:
        await conn.close()
    seconds = round(time.perf_counter() - started, 1)
    log(f"  seeded in {seconds} s")
    return {
        "scale": scale,
        "counts": n,
        "seed_seconds": seconds,
        "companies": {"big": big, "small": small, **({"scale": scale_co} if scale_co else {})},
        "has_invoices": has_invoices,
        "invoices": invoices,
    }


def _name(rng: random.Random) -> str:
    return " ".join(x for x in (rng.choice(WORDS_A), rng.choice(WORDS_B), rng.choice(SUFFIX)) if x)


async def _clients(
    conn: asyncpg.Connection,
    rng: random.Random,
    company: dict[str, Any],
    how_many: int,
    first_id: int,
    first_contact: int,
) -> tuple[int, int]:
    cid, uid = company["company_id"], company["user_id"]
    base = datetime(2023, 1, 1, tzinfo=UTC)
    clients, contacts = [], []
    contact_id = first_contact
    settings = json.dumps({"entity": "App\\Models\\Client", "industry_id": "", "size_id": "", "currency_id": "1"})
    for i in range(how_many):
        client_id = first_id + i
        created = base + timedelta(minutes=7 * i)
        name = _name(rng)
        city = rng.choice(CITIES)
        clients.append(
            (
                cid,
                client_id,
                uid,
                name,
                f"https://{name.split()[0].lower()}{client_id}.example.com",
                "",
                "Thanks for your business.",
                Decimal(rng.randint(0, 500000)) / 100,
                Decimal(0),
                hashlib.sha1(f"{cid}-{client_id}".encode()).hexdigest(),
                f"{rng.randint(1, 999)} Main Street",
                "",
                f"+1 555 {rng.randint(1000000, 9999999)}",
                city,
                "CA",
                f"{rng.randint(10000, 99999)}",
                840,
                "",
                "",
                "",
                None,
                "",
                settings,
                "",
                str(i + 1).zfill(4),
                created,
                created,
            )
        )
        for k in range(CONTACTS_PER_CLIENT):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            contacts.append(
                (
                    cid,
                    contact_id,
                    client_id,
                    uid,
                    first,
                    last,
                    f"{first.lower()}.{last.lower()}+{contact_id}@example.com",
                    f"+1 555 {rng.randint(1000000, 9999999)}",
                    k == 0,
                    True,
                    hashlib.md5(f"contact-{contact_id}".encode()).hexdigest(),
                    created,
                    created,
                )
            )
            contact_id += 1
    await conn.copy_records_to_table(
        "clients",
        records=clients,
        columns=[
            "company_id",
            "id",
            "user_id",
            "name",
            "website",
            "private_notes",
            "public_notes",
            "balance",
            "paid_to_date",
            "client_hash",
            "address1",
            "address2",
            "phone",
            "city",
            "state",
            "postal_code",
            "country_id",
            "shipping_address1",
            "shipping_city",
            "shipping_postal_code",
            "shipping_country_id",
            "custom_value1",
            "settings",
            "vat_number",
            "number",
            "created_at",
            "updated_at",
        ],
    )
    await conn.copy_records_to_table(
        "client_contacts",
        records=contacts,
        columns=[
            "company_id",
            "id",
            "client_id",
            "user_id",
            "first_name",
            "last_name",
            "email",
            "phone",
            "is_primary",
            "send_email",
            "contact_key",
            "created_at",
            "updated_at",
        ],
    )
    return first_id + how_many, contact_id


# ---- invoices (runs only once the schema has them) ---------------------------------------------------
async def _columns(conn: asyncpg.Connection, table: str) -> dict[str, tuple[bool, bool]]:
    """column -> (required: NOT NULL without default, generated identity)."""
    rows = await conn.fetch(
        "SELECT column_name, is_nullable = 'NO' AND column_default IS NULL AND is_identity = 'NO' AS required, "
        "is_identity = 'YES' AS ident FROM information_schema.columns WHERE table_schema = current_schema() "
        "AND table_name = $1",
        table,
    )
    return {r["column_name"]: (r["required"], r["ident"]) for r in rows}


async def _copy_adaptive(conn: asyncpg.Connection, table: str, rows: list[dict[str, Any]]) -> None:
    """COPY the keys of `rows` that the table has; fail clearly if a required column is not provided."""
    cols = await _columns(conn, table)
    if not cols:
        raise RuntimeError(f"table {table} does not exist")
    given = [c for c in rows[0] if c in cols]
    missing = [c for c, (required, _) in cols.items() if required and c not in given]
    if missing:
        raise RuntimeError(f"benchmarks/seed.py does not know how to fill {table}.{', '.join(missing)}")
    await conn.copy_records_to_table(table, records=[tuple(r[c] for c in given) for r in rows], columns=given)
    if "id" in cols:
        await conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")


def _line_items(rng: random.Random, k: int) -> list[dict[str, Any]]:
    items = []
    for j in range(k):
        cost, qty = rng.randint(500, 50000) / 100, rng.randint(1, 5)
        items.append(
            {
                "product_key": f"SKU-{rng.randint(1, 500):04d}",
                "notes": f"{rng.choice(WORDS_B)} service",
                "cost": cost,
                "quantity": qty,
                "discount": 0,
                "is_amount_discount": False,
                "tax_name1": "",
                "tax_rate1": 0,
                "tax_name2": "",
                "tax_rate2": 0,
                "tax_name3": "",
                "tax_rate3": 0,
                "line_total": round(cost * qty, 2),
                "gross_line_total": round(cost * qty, 2),
                "type_id": "1",
                "sort_id": str(j),
                "custom_value1": "",
                "custom_value2": "",
                "custom_value3": "",
                "custom_value4": "",
                "date": "",
            }
        )
    return items


async def _invoices(
    conn: asyncpg.Connection,
    rng: random.Random,
    company: dict[str, Any],
    how_many: int,
    first_id: int,
    items_per_invoice: int,
    batch: int = 100_000,
) -> list[dict[str, Any]]:
    """COPY `how_many` invoices in batches; -> the paid ones (id, client, amount, date) for payments.
    Line items come from a pool of 997 pre-serialised lists, so a million rows take seconds to build."""
    pool = []
    for _ in range(997):
        items = _line_items(rng, items_per_invoice)
        pool.append((json.dumps(items), Decimal(str(round(sum(x["line_total"] for x in items), 2)))))
    start = date(2023, 1, 1)
    days = [start + timedelta(days=d) for d in range(701)]
    moments = [datetime.combine(d, datetime.min.time(), tzinfo=UTC) for d in days]
    due = [d + timedelta(days=30) for d in days]
    zero = Decimal(0)
    lo_client, span = company["first_client_id"], company["last_client_id"] - company["first_client_id"] + 1
    cid, uid = company["company_id"], company["user_id"]
    paid: list[dict[str, Any]] = []
    fixed = {
        "company_id": cid,
        "user_id": uid,
        "po_number": "",
        "public_notes": "",
        "private_notes": "",
        "terms": "",
        "footer": "",
        "is_deleted": False,
    }
    names = [
        "id",
        "client_id",
        "number",
        "date",
        "due_date",
        "amount",
        "balance",
        "paid_to_date",
        "status_id",
        "line_items",
        "created_at",
        "updated_at",
        *fixed,
    ]
    rand = rng.random
    for lo in range(0, how_many, batch):
        rows = []
        for i in range(lo, min(how_many, lo + batch)):
            items, amount = pool[int(rand() * 997)]
            state = rand()
            status, balance = (4, zero) if state < 0.4 else (2, amount) if state < 0.85 else (1, amount)
            d = int(rand() * 701)
            client = lo_client + int(rand() * span)
            rows.append(
                (
                    first_id + i,
                    client,
                    str(i + 1).zfill(6),
                    days[d],
                    due[d],
                    amount,
                    balance,
                    amount - balance,
                    status,
                    items,
                    moments[d],
                    moments[d],
                    *fixed.values(),
                )
            )
            if status == 4:
                paid.append({"id": first_id + i, "client_id": client, "amount": amount, "date": days[d]})
        await _copy_tuples(conn, "invoices", names, rows)
    return paid


async def _copy_tuples(conn: asyncpg.Connection, table: str, names: list[str], rows: list[tuple[Any, ...]]) -> None:
    """COPY rows whose columns are `names`, keeping only the columns the table has."""
    cols = await _columns(conn, table)
    keep = [i for i, c in enumerate(names) if c in cols]
    missing = [c for c, (required, _) in cols.items() if required and c not in names]
    if missing:
        raise RuntimeError(f"benchmarks/seed.py does not know how to fill {table}.{', '.join(missing)}")
    if len(keep) != len(names):
        rows = [tuple(r[i] for i in keep) for r in rows]
    await conn.copy_records_to_table(table, records=rows, columns=[names[i] for i in keep])
    await conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")


async def seed_invoices(
    conn: asyncpg.Connection,
    rng: random.Random,
    big: dict[str, Any],
    small: dict[str, Any],
    scale_co: dict[str, Any] | None,
    n: dict[str, int],
    log: Any,
) -> dict[str, Any]:
    """Invoices for Big Co and Small Co, payments applied to Big Co's paid ones, and Scale Co's million. The
    invoice schema is still moving: columns are matched by name (introspected), a required column this
    file does not know stops the invoice scenarios with a clear message, and payments fail on their own."""
    t = time.perf_counter()
    payable = await _invoices(conn, rng, big, n["invoices"], 1, 3)
    await _invoices(conn, rng, small, max(200, n["invoices"] // 100), n["invoices"] + 1, 3)
    log(f"  invoices: {time.perf_counter() - t:.1f} s")
    payments, links = [], []
    for i in range(min(n["payments"], len(payable))):
        inv = payable[i]
        day = inv["date"] + timedelta(days=rng.randint(1, 30))
        created = datetime.combine(day, datetime.min.time(), tzinfo=UTC)
        payments.append(
            {
                "company_id": big["company_id"],
                "id": i + 1,
                "user_id": big["user_id"],
                "client_id": inv["client_id"],
                "amount": inv["amount"],
                "applied": inv["amount"],
                "refunded": Decimal(0),
                "date": day,
                "type_id": 1,
                "status_id": 4,
                "number": str(i + 1).zfill(6),
                "transaction_reference": "",
                "private_notes": "",
                "is_deleted": False,
                "created_at": created,
                "updated_at": created,
            }
        )
        links.append(
            {
                "company_id": big["company_id"],
                "id": i + 1,
                "payment_id": i + 1,
                "invoice_id": inv["id"],
                "paymentable_type": "invoices",
                "paymentable_id": inv["id"],
                "amount": inv["amount"],
                "refunded": Decimal(0),
                "created_at": created,
                "updated_at": created,
            }
        )
    out: dict[str, Any] = {"big": n["invoices"]}
    if scale_co is not None:
        first = int(await conn.fetchval("SELECT COALESCE(max(id), 0) FROM invoices")) + 1
        await _invoices(conn, rng, scale_co, n["scale_invoices"], first, 1)
        out["scale"] = n["scale_invoices"]
        log(f"  scale invoices: {time.perf_counter() - t:.1f} s")
    if await conn.fetchval("SELECT to_regclass('payments') IS NOT NULL") and payments:
        try:
            async with conn.transaction():
                await _copy_adaptive(conn, "payments", payments)
                if await conn.fetchval("SELECT to_regclass('paymentables') IS NOT NULL"):
                    await _copy_adaptive(conn, "paymentables", links)
            out["payments"] = len(payments)
            log(f"  payments: {time.perf_counter() - t:.1f} s")
        except Exception as exc:  # payments are optional for every scenario but S6
            out["payments_error"] = f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
            log(f"  payment seeding failed: {out['payments_error']}")
    return out
