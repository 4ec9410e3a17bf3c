"""Free-form JSON (settings, e_invoice, tax data, custom fields) made safe for jsonb and orjson, and the
text check every stored string passes."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, overload

MAX_JSON_DEPTH = 32


def check_text(text: str) -> None:
    if "\x00" in text:
        raise ValueError("must not contain NUL characters")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid UTF-8 text") from None


class JsonValueError(ValueError):
    """A bad value inside a free-form object; `path` (".key.0") says where, for the 422's field name."""

    def __init__(self, text: str, path: str = "", deep: bool = False) -> None:
        super().__init__(text)
        self.path = path
        self.deep = deep


@overload
def clean_json(value: dict[str, Any], depth: int = 0) -> dict[str, Any]: ...
@overload
def clean_json(value: Any, depth: int = 0) -> Any: ...


def clean_json(value: Any, depth: int = 0) -> Any:
    """Free-form JSON (settings, e_invoice, tax data, custom fields) made safe for jsonb and orjson: no NUL
    or lone surrogates (PostgreSQL rejects them), no NaN/Infinity or floats beyond double range (they would
    be stored as null), and a bounded depth (orjson refuses deeper documents)."""
    try:
        return _clean_json(value, depth)
    except JsonValueError:
        raise
    except ValueError as exc:
        raise JsonValueError(str(exc)) from None


def _clean_json(value: Any, depth: int) -> Any:
    if depth > MAX_JSON_DEPTH:
        raise ValueError("is nested too deeply")
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        check_text(value)
        return value
    if isinstance(value, int):
        if not -(2**63) <= value < 2**63:
            raise ValueError("contains a number that is out of range")
        return value
    if isinstance(value, (Decimal, float)):
        number = float(value)
        if number != number or number in (float("inf"), float("-inf")):
            raise ValueError("contains a number that is out of range")
        return number
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValueError("must have string keys")
            check_text(key)
            out[key] = _nested(key, item, depth)
        return out
    if isinstance(value, list):
        return [_nested(str(n), item, depth) for n, item in enumerate(value)]
    raise ValueError("must be JSON")


def _nested(key: str, item: Any, depth: int) -> Any:
    try:
        return _clean_json(item, depth + 1)
    except JsonValueError as exc:
        # too deep: name only the outermost key, not a path as long as the document
        raise JsonValueError(str(exc), f".{key}" if exc.deep else f".{key}{exc.path}", exc.deep) from None
    except ValueError as exc:
        raise JsonValueError(str(exc), f".{key}", "deeply" in str(exc)) from None
