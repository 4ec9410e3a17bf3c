"""Request input -> plain Python: JSON bodies (exact decimals, no NaN), form bodies (url-encoded and
multipart, read with PHP's bracket syntax by rest.forms), merged params."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request

from app import bodies, ids
from app.errors import BadRequest, invalid
from app.settings import active

from . import forms

MAX_FORM_FILES = 20
MAX_FORM_FIELDS = forms.MAX_PAIRS
URLENCODED = "application/x-www-form-urlencoded"


def media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def is_multipart(request: Request) -> bool:
    return media_type(request) == "multipart/form-data"


async def read_body(request: Request) -> tuple[dict[str, Any], list[UploadFile]]:
    """-> (fields, uploaded files of `documents[]`). An empty body is {}; a body must be an object.
    The header contract has already received the whole body within its size limit (app.bodies)."""
    fields, documents, _ = await read_body_with_files(request)
    return fields, documents


async def read_body_with_files(request: Request) -> tuple[dict[str, Any], list[UploadFile], dict[str, UploadFile]]:
    """As read_body, plus the other file fields of a multipart body by name (the company update's
    `company_logo`); a named file field sent twice is a 400, as a duplicate key is."""
    body = bodies.of(request.scope)
    if body is None or not body.size:
        return {}, [], {}
    if is_multipart(request):
        return await _read_form(request, body)
    return _read_plain(request, body), [], {}


def _read_plain(request: Request, body: bodies.Body) -> dict[str, Any]:
    if media_type(request) == URLENCODED:
        return forms.parse_urlencoded(body.raw())
    if not body.raw().strip():
        return {}
    data = body.json()
    if not isinstance(data, dict):
        raise BadRequest("The request body must be a JSON object.")
    return data


async def _read_form(
    request: Request, body: bodies.Body
) -> tuple[dict[str, Any], list[UploadFile], dict[str, UploadFile]]:
    # One file over the limit is parsed so that the count check below answers with a 422.
    parser = MultiPartParser(
        request.headers,
        body.chunks(),
        max_files=MAX_FORM_FILES + 1,
        max_fields=MAX_FORM_FIELDS,
        max_part_size=active().max_json_bytes,
    )
    try:
        form = await parser.parse()
    except MultiPartException as exc:
        raise BadRequest(f"The multipart body could not be read: {exc.message[:120]}") from None
    pairs: list[tuple[str, str]] = []
    files: list[UploadFile] = []
    named: dict[str, UploadFile] = {}
    for key, value in form.multi_items():
        if isinstance(value, UploadFile):
            if key in ("documents[]", "documents", "file[]") or key.startswith("documents["):
                files.append(value)
            elif key in named:
                raise BadRequest(f"The form field '{key[:60]}' is sent more than once.")
            else:
                named[key] = value
            continue
        pairs.append((key, value))
    if len(files) > MAX_FORM_FILES:
        raise invalid("documents", f"The documents may not have more than {MAX_FORM_FILES} items.")
    return forms.nest(pairs), files, named


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
