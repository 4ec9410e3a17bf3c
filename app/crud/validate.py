"""Client input -> column values, with upstream's 422 envelope for anything unusable.

Only writable fields are read (balances, ids, timestamps a client sends are ignored, as upstream's
$fillable does). Every value is checked for what PostgreSQL would choke on, so bad input is a 422 and
never a driver error.
"""
from __future__ import annotations

from datetime import date as Date
from decimal import Decimal, InvalidOperation
from typing import Any, Mapping

from .. import ids, reference
from ..entities.spec import Entity, Field
from ..errors import Invalid

TRUE = {True, 1, "1", "true", "on", "yes"}
FALSE = {False, 0, "0", "false", "off", "no", ""}
MONEY_LIMIT = Decimal(10) ** 14
SELECTED = "The selected {label} is invalid."
CODE_LISTS = {"countries": reference.COUNTRIES, "currencies": reference.CURRENCIES,
              "industries": reference.INDUSTRIES, "sizes": reference.SIZES,
              "languages": reference.LANGUAGES, "payment_types": reference.PAYMENT_TYPES}


def label(name: str) -> str:
    return name.split(".")[-1].replace("_", " ")


def message(name: str, exc: Exception) -> str:
    text = str(exc)
    return text.format(label=label(name)) if "{label}" in text else f"The {label(name)} {text}."


def clean_text(value: Any, max_length: int) -> str:
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, (str, int, Decimal, float)):
        raise ValueError("must be a string")
    text = value.strip() if isinstance(value, str) else str(value)
    _check_text(text)
    if len(text) > max_length:
        raise ValueError(f"may not be greater than {max_length} characters")
    return text


def clean_bool(value: Any) -> bool:
    key = value.strip().lower() if isinstance(value, str) else value
    if isinstance(key, (int, str, bool)) and key in TRUE and not (isinstance(key, int) and key not in (0, 1)):
        return True
    if isinstance(key, (int, str, bool)) and key in FALSE:
        return False
    raise ValueError("field must be true or false")


def clean_decimal(value: Any) -> Decimal:
    if isinstance(value, bool) or value is None:
        raise ValueError("must be a number")
    try:
        number = Decimal(value.strip() if isinstance(value, str) else str(value) if isinstance(value, float) else value)
    except (InvalidOperation, TypeError, ValueError):
        raise ValueError("must be a number") from None
    if not number.is_finite() or abs(number) >= MONEY_LIMIT:
        raise ValueError("must be a finite number below 10^14")
    return number


def clean_int(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("must be an integer")
    try:
        number = int(value.strip()) if isinstance(value, str) else int(value)
    except (TypeError, ValueError):
        raise ValueError("must be an integer") from None
    if isinstance(value, (float, Decimal)) and number != value:
        raise ValueError("must be an integer")
    if not -2**31 < number < 2**31:
        raise ValueError("is out of range")
    return number


def clean_code(value: Any, codes: str) -> int | None:
    if value is None or value == "" or value == 0 or value == "0":
        return None
    key = str(value).strip()
    table = CODE_LISTS.get(codes)
    if table is not None and key not in table:
        raise ValueError(SELECTED)
    return clean_int(key)


def clean_date(value: Any) -> Date | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError("is not a valid date")
    try:
        return Date.fromisoformat(value.strip()[:10]) if len(value.strip()) in (10, 19, 20, 25) else \
            Date.fromisoformat(value.strip())
    except ValueError:
        raise ValueError("is not a valid date") from None


MAX_JSON_DEPTH = 32


def _check_text(text: str) -> None:
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
        _check_text(value)
        return value
    if isinstance(value, int):
        if not -2**63 <= value < 2**63:
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
            _check_text(key)
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


def clean_object(value: Any) -> dict[str, Any]:
    if value is None or value == []:
        return {}          # PHP clients send [] for an empty object
    if not isinstance(value, dict):
        raise ValueError("must be an object")
    return clean_json(value)  # type: ignore[no-any-return]


def clean_value(f: Field, value: Any) -> Any:
    kind = f.kind
    if kind == "text":
        text = clean_text(value, f.max_length)
        if f.choices and text not in f.choices:
            raise ValueError(SELECTED)
        return text
    if kind == "bool":
        return clean_bool(value)
    if kind == "int":
        return clean_int(value)
    if kind == "money":
        return clean_decimal(value)
    if kind == "code":
        return clean_code(value, f.codes)
    if kind == "object":
        return clean_object(value)
    if kind == "date":
        return clean_date(value)
    if kind == "ref":
        if value is None or value == "":
            return None
        decoded = ids.decode_or_none(value) if isinstance(value, str) else None
        if decoded is None:
            raise ValueError(SELECTED)
        return decoded
    raise ValueError("cannot be written")


def clean(entity: Entity, data: Mapping[str, Any], creating: bool, prefix: str = "") -> dict[str, Any]:
    """-> {column: value} for the writable fields present (all of them with defaults on create)."""
    values: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for f in entity.fields:
        if not f.writable or f.expr:
            continue
        if f.name not in data:
            if creating and f.default is not None:
                values[f.col] = f.default
            continue
        try:
            values[f.col] = clean_value(f, data[f.name])
        except ValueError as exc:
            where = prefix + f.name + getattr(exc, "path", "")
            errors[where] = [message(where, exc)]
    if errors:
        raise Invalid(errors)
    return values
