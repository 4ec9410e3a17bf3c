"""Document routes beside the generic list/show: download, update, delete and bulk.

Downloads are always attachments with nosniff and a sandboxing CSP, under a Content-Type chosen from
the stored extension (never an HTML-like one), so an uploaded file can never run in the API's origin.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import unicodedata
import zipfile
from collections.abc import AsyncIterator
from typing import Any, BinaryIO
from urllib.parse import quote

from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from app.errors import invalid
from app.services.files import documents, uploads

from .endpoints import principal
from .params import merged, path_id, read_body
from .responses import JSON, collection, item

CHUNK = 256 * 1024
MAX_ZIP_BYTES = 1024 * 1024 * 1024  # a bulk download is built on local disk before it is sent
CONTENT_TYPES = {
    "png": "image/png",
    "jpeg": "image/jpeg",
    "jpg": "image/jpeg",
    "gif": "image/gif",
    "tiff": "image/tiff",
    "webp": "image/webp",
    "psd": "image/vnd.adobe.photoshop",
    "pdf": "application/pdf",
    "ai": "application/postscript",
    "txt": "text/plain",
    "csv": "text/csv",
    "xml": "application/xml",
    "zip": "application/zip",
    "doc": "application/msword",
    "xls": "application/vnd.ms-excel",
    "ppt": "application/vnd.ms-powerpoint",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "odp": "application/vnd.oasis.opendocument.presentation",
}
SAFE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Cache-Control": "private, no-store",
}


def content_type(ext: str) -> str:
    """Known types only; anything an operator allowed on top (html, svg, ...) is opaque bytes."""
    return CONTENT_TYPES.get(ext, "application/octet-stream")


def disposition(name: str) -> str:
    """`attachment` with a quoted ASCII fallback, plus RFC 5987 `filename*` when the name is not ASCII."""
    name = uploads.clean_name(name) or "document"
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    ascii_name = "".join("_" if ch in '"\\;' or not ch.isprintable() else ch for ch in ascii_name).strip()
    header = f'attachment; filename="{ascii_name or "document"}"'
    if ascii_name != name:
        header += "; filename*=UTF-8''" + quote(name, safe="!#$&+^`|~")
    return header


async def _stream(handle: BinaryIO) -> AsyncIterator[bytes]:
    try:
        while chunk := await run_in_threadpool(handle.read, CHUNK):
            yield chunk
    finally:
        handle.close()


def _file_response(handle: BinaryIO, name: str, media_type: str) -> Response:
    headers = {
        **SAFE_HEADERS,
        "Content-Disposition": disposition(name),
        "Content-Length": str(os.fstat(handle.fileno()).st_size),
    }
    # The background close also covers a client that disconnects before the stream starts.
    return StreamingResponse(
        _stream(handle), media_type=media_type, headers=headers, background=BackgroundTask(handle.close)
    )


async def download(request: Request) -> Response:
    row, handle = await documents.open_file(
        request.app.state.db, principal(request), path_id(request, documents.DOCUMENT.title)
    )
    return _file_response(handle, row["name"], content_type(row["type"]))


async def update(request: Request) -> Response:
    body, _ = await read_body(request)
    if request.method == "POST" and str(body.get("_method", "")).upper() not in ("PUT", "PATCH"):
        raise HTTPException(405, headers={"Allow": "GET, PUT, PATCH, DELETE"})
    row = await documents.update(
        request.app.state.db, principal(request), path_id(request, documents.DOCUMENT.title), body
    )
    return item(documents.item(row).data)


async def destroy(request: Request) -> Response:
    db, who = request.app.state.db, principal(request)
    document_id = path_id(request, documents.DOCUMENT.title)
    await documents.get(db, who, document_id)  # 404 for missing and foreign ids alike
    await documents.delete(db, who, [document_id])
    return JSON({"message": "Success"})


def _zip(entries: list[tuple[str, Any]]) -> BinaryIO:
    """A stored (uncompressed) zip in a temporary file; entry names are sanitised and made unique, so
    none can hold a path. The file is closed if writing fails; once written, the caller owns it."""
    with contextlib.ExitStack() as cleanup:
        out = cleanup.enter_context(tempfile.TemporaryFile())
        seen: set[str] = set()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
            for index, (name, path) in enumerate(entries, start=1):
                entry = uploads.clean_name(name) or "document"
                if entry in seen:
                    entry = f"{index}-{entry}"
                seen.add(entry)
                if path is not None and path.is_file():
                    archive.write(path, entry)
        out.seek(0)
        cleanup.pop_all()
    return out


async def bulk(request: Request) -> Response:
    """`delete` removes files and rows; `download` answers with a zip of the files (upstream e-mails
    one; this server has no mailer, so the archive is the response). Any other action is a 422."""
    body, _ = await read_body(request)
    params = merged(request, body)
    action = body.get("action", params.get("action"))
    if not isinstance(action, str) or not action.strip():
        raise invalid("action", "The action field is required.")
    action = action.strip()
    if action not in documents.DOCUMENT.bulk_actions:
        raise invalid("action", "The selected action is invalid.")
    db, who = request.app.state.db, principal(request)
    document_ids = await documents.resolve(db, who, body.get("ids"))
    if action == "download":
        rows = await documents.many(db, who, document_ids)
        if sum(r["size"] for r in rows) > MAX_ZIP_BYTES:
            raise invalid("ids", f"The selected documents exceed {MAX_ZIP_BYTES // 1024 // 1024} MB together.")
        entries = [(r["name"], documents.stored_path(who.company_id, r["hash"])) for r in rows]
        return _file_response(await run_in_threadpool(_zip, entries), "documents.zip", "application/zip")
    return collection(request, await documents.bulk_delete(db, who, document_ids, params))


ROUTES = [
    Route("/api/v1/documents/bulk", bulk, methods=["POST"]),
    Route("/api/v1/documents/{id}/download", download, methods=["GET"]),
    Route("/api/v1/documents/{id}", update, methods=["PUT", "PATCH", "POST"]),
    Route("/api/v1/documents/{id}", destroy, methods=["DELETE"]),
]
