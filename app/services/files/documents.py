"""Documents: uploads checked by extension and content, stored under generated names, rows in `documents`.

Files live at <upload_dir>/<company_id>/<40 hex chars>.<ext>. The client's filename is metadata only
(`name`), so nothing a client sends ever becomes part of a path. Every file of a request is checked
before any is written, and a failed insert removes what was written, so a rejected upload leaves
neither rows nor files behind.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import shutil
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, BinaryIO

from ...auth import Principal
from ...crud.query import ListQuery
from ...crud.results import Item, Page
from ...crud.service import CrudService, Row
from ...crud.shape import shape
from ...crud.validate import clean_text, message
from ...db import Db
from ...entities import REGISTRY
from ...entities.spec import Entity
from ...errors import Forbidden, Invalid, NotFound, invalid
from ...settings import active
from .uploads import NAME_MAX, STORED_NAME, Checked, check_all, clean_name, parse_public

log = logging.getLogger("lightninja")

DOCUMENT = REGISTRY["document"]


# ---- storage --------------------------------------------------------------------------------------
def stored_path(company_id: int, stored: str) -> Path | None:
    """The file of a row; None for a stored name this code could not have generated."""
    if not STORED_NAME.match(stored):
        return None
    return active().upload_dir / str(int(company_id)) / stored


def _remove(paths: Iterable[Path | None]) -> None:
    for path in paths:
        if path is None:
            continue
        try:
            path.unlink(missing_ok=True)
        except OSError:
            log.exception("could not remove document file %s", path.name)


def remove_stored(company_id: int, hashes: Iterable[str]) -> None:
    """The files of document rows another service deleted (a client purge), after its commit."""
    _remove(stored_path(company_id, h) for h in hashes)


def _write(company_id: int, checked: Sequence[Checked]) -> list[Path]:
    """Copy each upload to a temporary name, then rename, so a reader never sees half a file."""
    folder = active().upload_dir / str(int(company_id))
    folder.mkdir(parents=True, exist_ok=True, mode=0o750)
    written: list[Path] = []
    try:
        for item in checked:
            item.stored = f"{secrets.token_hex(20)}.{item.ext}"
            temp = folder / f".{secrets.token_hex(16)}.part"
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o640)
            try:
                with os.fdopen(fd, "wb") as out:
                    item.upload.file.seek(0)
                    shutil.copyfileobj(item.upload.file, out, 1 << 20)
                    out.flush()
                    os.fsync(out.fileno())
                os.replace(temp, folder / item.stored)
            except BaseException:
                _remove([temp])
                raise
            written.append(folder / item.stored)
    except BaseException:
        _remove(written)
        raise
    return written


async def attach(
    db: Db, who: Principal, parent: Entity | str, parent_id: int, files: list[Any], is_public: Any
) -> None:
    """Store `files` as documents of `parent_id` (already checked to be the caller's and editable); `parent`
    is its entity, or the documentable type of a parent outside the registry ("companies")."""
    documentable_type = parent if isinstance(parent, str) else parent.path
    # Every file is checked before any is written; reading the heads happens off the event loop.
    public, checked = await asyncio.to_thread(check_all, files, is_public)
    if not checked:
        return
    written = await asyncio.to_thread(_write, who.company_id, checked)
    try:
        async with db.transaction():
            for item in checked:
                await db.execute(
                    "INSERT INTO documents (company_id, user_id, documentable_type, documentable_id, name, type, "
                    "hash, size, width, height, is_public) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                    who.company_id,
                    who.user_id,
                    documentable_type,
                    parent_id,
                    item.name,
                    item.ext,
                    item.stored,
                    item.size,
                    item.width,
                    item.height,
                    public,
                )
    except BaseException:
        _remove(written)
        raise


# ---- the document routes --------------------------------------------------------------------------
async def get(db: Db, who: Principal, document_id: int) -> Row:
    """The caller's document (404 "Document not found" for a missing or foreign id alike)."""
    return await CrudService(DOCUMENT, db).get(who, document_id)


def _require_edit(who: Principal, owners: Iterable[int | None]) -> None:
    """Upstream's policy: edit permission, or the user created the document."""
    if not who.can("edit", DOCUMENT.name) and any(owner != who.user_id for owner in owners):
        raise Forbidden("This action is unauthorized.")


async def update(db: Db, who: Principal, document_id: int, data: Mapping[str, Any]) -> Row:
    """Only `name` and `is_public` change; everything else in the body is ignored, as upstream."""
    current = await get(db, who, document_id)
    _require_edit(who, [current["user_id"]])
    values: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    if data.get("name") not in (None, ""):
        try:
            name = clean_name(clean_text(data["name"], NAME_MAX))
        except ValueError as exc:
            errors["name"] = [message("name", exc)]
        else:
            if name:
                values["name"] = name
    if data.get("is_public") not in (None, ""):
        try:
            values["is_public"] = parse_public(data["is_public"])
        except Invalid as exc:
            errors.update(exc.errors)
    if errors:
        raise Invalid(errors)
    if values:
        sets = ", ".join(f"{col} = ${i}" for i, col in enumerate(values, start=3))
        await db.execute(
            f"UPDATE documents SET {sets}, updated_at = now() WHERE company_id = $1 AND id = $2",
            who.company_id,
            document_id,
            *values.values(),
        )
    return await get(db, who, document_id)


async def resolve(db: Db, who: Principal, raw_ids: Any) -> list[int]:
    """Bulk ids, all of this company and visible to the caller, else a 422 on `ids` that changes nothing."""
    svc = CrudService(DOCUMENT, db)
    wanted = await svc.resolve_ids(who, raw_ids)
    if not who.can("view", DOCUMENT.name):
        rows = await db.fetch(
            "SELECT user_id, assigned_user_id FROM documents WHERE company_id = $1 AND id = ANY($2::bigint[])",
            who.company_id,
            wanted,
        )
        if any(who.user_id not in (r["user_id"], r["assigned_user_id"]) for r in rows):
            raise invalid("ids", "The selected ids is invalid.")
    return wanted


async def delete(db: Db, who: Principal, document_ids: Sequence[int]) -> int:
    """Hard delete, as upstream: the rows go in one transaction, then their files."""
    owners = await db.fetch(
        "SELECT user_id FROM documents WHERE company_id = $1 AND id = ANY($2::bigint[])",
        who.company_id,
        list(document_ids),
    )
    _require_edit(who, [r["user_id"] for r in owners])
    async with db.transaction():
        gone = await db.fetch(
            "DELETE FROM documents WHERE company_id = $1 AND id = ANY($2::bigint[]) RETURNING hash",
            who.company_id,
            list(document_ids),
        )
    # After the commit: a crash in between leaves an unreferenced file, never a row without its file.
    _remove(stored_path(who.company_id, r["hash"]) for r in gone)
    return len(gone)


async def open_file(db: Db, who: Principal, document_id: int) -> tuple[Row, BinaryIO]:
    """The row and its open file; a file missing on disk is the same 404 as a missing row."""
    row = await get(db, who, document_id)
    path = stored_path(who.company_id, row["hash"])
    if path is None:
        raise NotFound(f"{DOCUMENT.title} not found")
    try:
        handle = await asyncio.to_thread(open, path, "rb")
    except OSError:
        log.warning("document %s has no file on disk", document_id)
        raise NotFound(f"{DOCUMENT.title} not found") from None
    return row, handle


# ---- for the edges --------------------------------------------------------------------------------
def item(row: Row) -> Item:
    return Item(shape(DOCUMENT, row), row)


async def many(db: Db, who: Principal, document_ids: Sequence[int]) -> list[Row]:
    """The rows of a bulk download, in id order."""
    return await CrudService(DOCUMENT, db).fetch_many(who, document_ids)


async def bulk_delete(db: Db, who: Principal, document_ids: Sequence[int], params: Mapping[str, Any]) -> Page:
    """Delete, then the page upstream answers with: the addressed documents listed again, and deleted ones
    are gone, so it is always empty."""
    await delete(db, who, document_ids)
    return Page([], 0, 1, ListQuery.parse(params).per_page)
