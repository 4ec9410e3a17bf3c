"""The company logo: uploaded as `company_logo` with the company's update, served publicly, read by the PDFs.

Upstream takes jpeg, jpg, png and gif up to 10 000 KB and re-encodes the upload as PNG (UploadAvatar). Here
png, jpeg, gif and webp are taken, recognised by their content (never by the name or the client's type),
and re-encoded as PNG as well: the stored file is pixels written by Pillow, so EXIF metadata (a phone's GPS
position), trailing data and polyglot tricks do not survive, and the one type served is image/png. SVG is
refused: it is active markup that the public URL would serve from this origin, and sanitising it is a
parser arms race a logo does not need.

The file lives beside the company's documents, in <upload_dir>/<company_id>/logos/<40 hex>.png, and
`settings.company_logo` holds its public URL <APP_URL>/logos/<company hashid>/<40 hex>.png: the web app and
e-mails load it without a token, and the random name is what makes it unguessable. A file is served only
while it is its company's current logo, so a replaced logo (whose file is removed) or a document of the
same folder is never reachable through it.
"""

from __future__ import annotations

import asyncio
import io
import logging
import os
import re
import secrets
from pathlib import Path
from typing import Any

from PIL import Image, UnidentifiedImageError

from ... import ids
from ...db import Db
from ...errors import invalid
from ...settings import active, base_url

log = logging.getLogger("lightninja")

FIELD = "company_logo"
ACCEPTED = ("png", "jpeg", "jpg", "gif", "webp")
PILLOW_FORMATS = frozenset({"PNG", "JPEG", "GIF", "WEBP"})
MAX_BYTES = 10_000 * 1024  # upstream's max:10000 (kilobytes)
MAX_PIXELS = 40_000_000  # decoding is refused above this: a small file must not inflate into gigabytes
CONTENT_TYPE = "image/png"
URL_PREFIX = "/logos"
STORED = re.compile(r"^[0-9a-f]{40}\.png$")
OURS = re.compile(r"/logos/([0-9A-Za-z]{1,64})/([0-9a-f]{40}\.png)$")
TYPE_MESSAGE = f"The company logo must be a file of type: {', '.join(ACCEPTED)}."

CURRENT_SQL = "SELECT settings->>'company_logo' FROM companies WHERE id = $1 AND NOT is_deleted"


# ---- checking and re-encoding ---------------------------------------------------------------------
def _reencode(upload: Any) -> bytes:
    """The upload as PNG bytes, or the 422 on `company_logo` (runs in a worker thread)."""
    f = upload.file
    size = f.seek(0, os.SEEK_END)
    f.seek(0)
    if size == 0:
        raise invalid(FIELD, "The company logo must not be an empty file.")
    if size > MAX_BYTES:
        raise invalid(FIELD, f"The company logo may not be greater than {MAX_BYTES // 1024} kilobytes.")
    try:
        with Image.open(f, formats=sorted(PILLOW_FORMATS)) as image:
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise invalid(FIELD, "The company logo has too many pixels.")
            image.load()
            frame = image.convert("RGBA" if image.mode in ("RGBA", "LA", "P", "PA") else "RGB")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise invalid(FIELD, TYPE_MESSAGE) from None
    out = io.BytesIO()
    frame.save(out, format="PNG", optimize=True)
    return out.getvalue()


# ---- storage --------------------------------------------------------------------------------------
def _folder(company_id: int) -> Path:
    return active().upload_dir / str(int(company_id)) / "logos"


def _write(company_id: int, data: bytes) -> str:
    """Written under a temporary name, then renamed, so a reader never sees half a logo."""
    folder = _folder(company_id)
    folder.mkdir(parents=True, exist_ok=True, mode=0o750)
    name = f"{secrets.token_hex(20)}.png"
    temp = folder / f".{secrets.token_hex(16)}.part"
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o640)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, folder / name)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return name


def _stored_name(company_id: int, url: str | None) -> str | None:
    """The file name of `url` when it is a logo this server stored for `company_id`, else None (a URL a
    client typed into settings is never fetched: upstream's server-side fetch of it is an SSRF)."""
    match = OURS.search(url or "")
    if match is None or ids.decode_or_none(match.group(1)) != company_id:
        return None
    return match.group(2)


def remove(company_id: int, url: str | None) -> None:
    """The file behind a logo URL that is no longer the company's logo; anything else is left alone."""
    name = _stored_name(company_id, url)
    if name is None:
        return
    try:
        (_folder(company_id) / name).unlink(missing_ok=True)
    except OSError:
        log.exception("could not remove logo file %s", name)


def public_url(company_id: int, name: str) -> str:
    return f"{base_url()}{URL_PREFIX}/{ids.encode(company_id)}/{name}"


# ---- for the company update -------------------------------------------------------------------------
async def prepare(company_id: int, upload: Any) -> str:
    """Check, re-encode and store an upload before the update's transaction: -> its public URL. A refused
    file raises the 422 having written nothing."""
    data = await asyncio.to_thread(_reencode, upload)
    name = await asyncio.to_thread(_write, company_id, data)
    return public_url(company_id, name)


async def current_url(db: Db, company_id: int, lock: bool = False) -> str | None:
    sql = CURRENT_SQL + (" FOR UPDATE" if lock else "")
    value = await db.fetchval(sql, company_id)
    return value if isinstance(value, str) else None


async def set_url(db: Db, company_id: int, url: str) -> None:
    await db.execute(
        "UPDATE companies SET settings = jsonb_set(settings, '{company_logo}', to_jsonb($2::text)), "
        "updated_at = now() WHERE id = $1",
        company_id,
        url,
    )


# ---- reading ----------------------------------------------------------------------------------------
def _read(company_id: int, name: str) -> bytes | None:
    try:
        return (_folder(company_id) / name).read_bytes()
    except OSError:
        return None


async def read_logo(db: Db, company_id: int) -> tuple[bytes, str] | None:
    """The company's current logo as (bytes, content type) for the PDFs and e-mails; None when it has none
    (or its logo is a URL stored elsewhere, which this server does not fetch)."""
    name = _stored_name(company_id, await current_url(db, company_id))
    if name is None:
        return None
    data = await asyncio.to_thread(_read, company_id, name)
    return (data, CONTENT_TYPE) if data is not None else None


async def serve(db: Db, company_hashid: str, name: str) -> bytes | None:
    """GET /logos/<company>/<name> without a token: the bytes only while `name` is that company's current
    logo; every other case (unknown company, deleted one, an old or invented name) is the same None."""
    company_id = ids.decode_or_none(company_hashid)
    if company_id is None or not STORED.match(name):
        return None
    if _stored_name(company_id, await current_url(db, company_id)) != name:
        return None
    return await asyncio.to_thread(_read, company_id, name)
