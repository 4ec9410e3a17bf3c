"""Request input -> plain Python: JSON bodies (exact decimals, no NaN), multipart forms, merged params."""
from __future__ import annotations

import json
from decimal import Decimal
from typing import Any, AsyncIterator

from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request

from app import ids
from app.errors import BadRequest, TooLarge, invalid
from app.settings import active

MAX_FORM_FILES = 20
MAX_FORM_FIELDS = 1000


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        raise ValueError("duplicate keys")
    return out


def parse_json(raw: bytes) -> Any:
    """Floats become Decimal (money is never a binary float); NaN/Infinity and duplicate keys are refused."""
    try:
        # JSON on the wire is UTF-8 (RFC 8259); json.loads would also guess UTF-16/32 from bytes
        text = raw.decode("utf-8")
        return json.loads(text, parse_float=Decimal, parse_constant=_reject_constant,
                          object_pairs_hook=_no_duplicates)
    except RecursionError:
        raise BadRequest("The JSON body is nested too deeply.") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest(f"The request body is not valid JSON: {str(exc)[:120]}") from None


def is_multipart(request: Request) -> bool:
    return request.headers.get("content-type", "").lower().startswith("multipart/form-data")


async def read_body(request: Request) -> tuple[dict[str, Any], list[UploadFile]]:
    """-> (fields, uploaded files of `documents[]`). An empty body is {}; a body must be an object."""
    if is_multipart(request):
        return await _read_form(request)
    raw = await _read_limited(request, active().max_json_bytes)
    if not raw.strip():
        return {}, []
    data = parse_json(raw)
    if not isinstance(data, dict):
        raise BadRequest("The request body must be a JSON object.")
    return data, []


async def _read_limited(request: Request, limit: int) -> bytes:
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        raise TooLarge(f"The request body may not be larger than {limit} bytes.")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge(f"The request body may not be larger than {limit} bytes.")
        chunks.append(chunk)
    return b"".join(chunks)


async def _capped(request: Request, limit: int) -> AsyncIterator[bytes]:
    """The body stream, stopped with a 413 once it passes `limit` (a chunked upload has no length)."""
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge(f"The request body may not be larger than {limit} bytes.")
        yield chunk


async def _read_form(request: Request) -> tuple[dict[str, Any], list[UploadFile]]:
    limit = active().max_body_bytes
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        raise TooLarge(f"The request body may not be larger than {limit} bytes.")
    # One file over the limit is parsed so that the count check below answers with a 422.
    parser = MultiPartParser(request.headers, _capped(request, limit), max_files=MAX_FORM_FILES + 1,
                             max_fields=MAX_FORM_FIELDS, max_part_size=active().max_json_bytes)
    try:
        form = await parser.parse()
    except MultiPartException as exc:
        raise BadRequest(f"The multipart body could not be read: {exc.message[:120]}") from None
    fields: dict[str, Any] = {}
    files: list[UploadFile] = []
    for key, value in form.multi_items():
        if isinstance(value, UploadFile):
            if key in ("documents[]", "documents", "file[]") or key.startswith("documents["):
                files.append(value)
            continue
        if key.endswith("[]"):
            fields.setdefault(key[:-2], []).append(value)
        else:
            fields[key] = value
    if len(files) > MAX_FORM_FILES:
        raise invalid("documents", f"The documents may not have more than {MAX_FORM_FILES} items.")
    return fields, files


def merged(request: Request, body: dict[str, Any] | None = None) -> dict[str, Any]:
    """Query string and body read as one input, as upstream's request()->input() does; "" is unset."""
    out: dict[str, Any] = {}
    for key, value in (body or {}).items():
        if isinstance(value, (str, int, Decimal)) and not isinstance(value, bool):
            out[key] = str(value)
    out.update(request.query_params.items())
    return out


def path_id(request: Request, what: str) -> int:
    return ids.decode(request.path_params["id"], what)
