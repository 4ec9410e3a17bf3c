"""`lightninja` (also `python -m app`): serve, db upgrade, account create."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import sys
from typing import Any

import uvicorn

from .auth import hash_password
from .db import Db
from .embedded import start
from .schema import upgrade
from .services import accounts
from .settings import ROOT

DEMO_EMAIL = "demo@example.com"
DEMO_FILE = ROOT / ".data" / "demo.json"
SHUTDOWN_SECONDS = 10


def database_url() -> tuple[str, Any]:
    """DATABASE_URL, else the embedded server (started now, or joined if `make run` has it up)."""
    url = os.environ.get("DATABASE_URL", "")
    if url:
        return url, None
    return start()


async def _with_db(url: str, work: Any) -> Any:
    db = Db(url, min_size=1, max_size=2)
    await db.connect()
    try:
        return await work(db)
    finally:
        await db.disconnect()


async def _demo(db: Db) -> dict[str, str]:
    """Create the demo account once; on every start print its password and a fresh token."""
    existing = await db.fetchrow(
        "SELECT u.id, cu.company_id, cu.account_id FROM users u JOIN company_users cu "
        "ON cu.user_id = u.id WHERE lower(u.email) = $1 LIMIT 1",
        DEMO_EMAIL,
    )
    if existing is None or not DEMO_FILE.exists():
        password = secrets.token_urlsafe(12)
        if existing is None:
            await accounts.create_account(db, DEMO_EMAIL, password, "Demo Company")
        else:
            await db.execute(
                "UPDATE users SET password_hash = $2 WHERE id = $1", existing["id"], hash_password(password)
            )
        DEMO_FILE.parent.mkdir(parents=True, exist_ok=True)
        DEMO_FILE.write_text(json.dumps({"email": DEMO_EMAIL, "password": password}))
        os.chmod(DEMO_FILE, 0o600)
    password = json.loads(DEMO_FILE.read_text())["password"]
    row = await db.fetchrow_one(
        "SELECT u.id, cu.company_id, cu.account_id FROM users u JOIN company_users cu "
        "ON cu.user_id = u.id WHERE lower(u.email) = $1 LIMIT 1",
        DEMO_EMAIL,
    )
    token, _ = await accounts.mint_token(db, row["company_id"], row["id"], row["account_id"], "Demo", False)
    return {"email": DEMO_EMAIL, "password": password, "token": token}


def serve(args: argparse.Namespace) -> None:
    url, server = database_url()
    embedded = server is not None

    async def prepare(db: Db) -> dict[str, str] | None:
        await upgrade(db)
        return await _demo(db) if (args.demo and embedded) or args.demo_always else None

    demo = asyncio.run(_with_db(url, prepare))
    if demo:
        print(f"Demo account: {demo['email']} / password {demo['password']}")
        print(f"API token:    {demo['token']}")
        print(
            f"Try: curl -H 'X-API-TOKEN: {demo['token']}' -H 'X-Requested-With: XMLHttpRequest' "
            f"http://{args.host}:{args.port}/api/v1/clients"
        )
    os.environ["DATABASE_URL"] = url
    uvicorn.run(
        "app.asgi:app",
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=args.log_level,
        access_log=args.access_log,
        proxy_headers=False,
        # in-flight requests get this long to finish on SIGTERM; then the worker closes them
        timeout_graceful_shutdown=SHUTDOWN_SECONDS,
    )


def db_upgrade(args: argparse.Namespace) -> None:
    url, _server = database_url()
    applied = asyncio.run(_with_db(url, upgrade))
    print(json.dumps({"applied": applied}))


def account_create(args: argparse.Namespace) -> None:
    url, _server = database_url()

    async def work(db: Db) -> dict[str, str]:
        await upgrade(db)
        exists = await db.fetchval("SELECT 1 FROM users WHERE lower(email) = lower($1)", args.email)
        if exists:
            raise SystemExit(f"a user with e-mail {args.email} already exists")
        return await accounts.create_account(db, args.email, args.password, args.company)

    print(json.dumps(asyncio.run(_with_db(url, work))))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="lightninja", description="Invoice Ninja v5 compatible API server")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("serve", help="run the HTTP server")
    p.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    p.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--demo", action="store_true", help="with the embedded database, ensure a demo account")
    p.add_argument("--demo-always", action="store_true", help="ensure the demo account on any database")
    p.add_argument("--log-level", default="info")
    p.add_argument("--access-log", action=argparse.BooleanOptionalAction, default=True)
    p.set_defaults(run=serve)
    db = sub.add_parser("db", help="database tasks").add_subparsers(dest="db_command", required=True)
    db.add_parser("upgrade", help="apply the schema / pending migrations (idempotent)").set_defaults(run=db_upgrade)
    acc = sub.add_parser("account", help="accounts").add_subparsers(dest="account_command", required=True)
    create = acc.add_parser("create", help="create company + owner user + API token")
    create.add_argument("--email", required=True)
    create.add_argument("--password", required=True)
    create.add_argument("--company", default="")
    create.set_defaults(run=account_create)
    args = parser.parse_args(argv)
    args.run(args)


if __name__ == "__main__":
    main(sys.argv[1:])
