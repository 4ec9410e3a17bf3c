"""Client input -> column values, with upstream's 422 envelope for anything unusable.

Only writable fields are read (balances, ids, timestamps a client sends are ignored, as upstream's
$fillable does). Every value is checked for what PostgreSQL would choke on, so bad input is a 422 and
never a driver error.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date as Date
from decimal import Decimal, InvalidOperation
from typing import Any

from .. import ids, reference
from ..entities.spec import Entity, Field
from ..errors import Invalid
from .json_values import check_text, clean_json

TRUE = {True, "1", "true", "on", "yes"}
FALSE = {False, "0", "false", "off", "no", ""}
MONEY_LIMIT = Decimal(10) ** 14
# Digits after the point a number may carry: far beyond the 6 that numeric(20,6) keeps and the ~23 a double
# prints (1.2345678901234567e-7), far below the 16383 where PostgreSQL's numeric (and asyncpg) give up.
MAX_PLACES = 30
# [-limit, limit) of each PostgreSQL integer type an int or code field may be written to (Field.column_type)
INT_RANGES = {"smallint": 2**15, "integer": 2**31, "bigint": 2**63}
SELECTED = "The selected {label} is invalid."
CODE_LISTS = {
    "countries": reference.COUNTRIES,
    "currencies": reference.CURRENCIES,
    "industries": reference.INDUSTRIES,
    "sizes": reference.SIZES,
    "languages": reference.LANGUAGES,
    "payment_types": reference.PAYMENT_TYPES,
}


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
    check_text(text)
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
    # copy_abs(), not abs(): abs() rounds in the decimal context and overflows on 1e999999999
    if not number.is_finite() or number.copy_abs() >= MONEY_LIMIT:
        raise ValueError("must be a finite number below 10^14")
    exponent = number.as_tuple().exponent
    assert isinstance(exponent, int)  # only NaN and the infinities have a letter there
    if not -MAX_PLACES <= exponent <= MAX_PLACES:
        if not number.is_zero():
            raise ValueError(f"may not have more than {MAX_PLACES} decimal places")
        number = Decimal(0)  # 0e-40000 is exactly zero; only its exponent would not fit a column
    return number


def clean_int(value: Any, column_type: str = "integer") -> int:
    """An integer within the range of its PostgreSQL column type (see INT_RANGES)."""
    limit = INT_RANGES[column_type]
    if isinstance(value, bool):
        raise ValueError("must be an integer")
    if isinstance(value, (float, Decimal)):
        # bounded before int(): int(Decimal("1e100000000")) would spend minutes building the number
        # (the range first, without abs(): both overflow on an exponent beyond the decimal context's)
        exact = Decimal(value)
        if not exact.is_finite():
            raise ValueError("must be an integer")
        if exact.copy_abs() > limit:
            raise ValueError("is out of range")
        if exact != exact.to_integral_value():
            raise ValueError("must be an integer")
    try:
        number = int(value.strip()) if isinstance(value, str) else int(value)
    except (TypeError, ValueError):
        raise ValueError("must be an integer") from None
    if not -limit <= number < limit:
        raise ValueError("is out of range")
    return number


def clean_code(value: Any, codes: str, column_type: str = "integer") -> int | None:
    if value is None or value == "" or value == 0 or value == "0":
        return None
    key = str(value).strip()
    table = CODE_LISTS.get(codes)
    if table is not None and key not in table:
        raise ValueError(SELECTED)
    return clean_int(key, column_type)


def clean_date(value: Any) -> Date | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError("is not a valid date")
    try:
        return (
            Date.fromisoformat(value.strip()[:10])
            if len(value.strip()) in (10, 19, 20, 25)
            else Date.fromisoformat(value.strip())
        )
    except ValueError:
        raise ValueError("is not a valid date") from None


def clean_object(value: Any) -> dict[str, Any]:
    if value is None or value == []:
        return {}  # PHP clients send [] for an empty object
    if not isinstance(value, dict):
        raise ValueError("must be an object")
    return clean_json(value)


# Settings that name a row of a statics list: anything else would reach an integer column (a payment's
# type_id, currency_id). "" is unset, as upstream's "0" for the payment type.
SETTING_CODES = {
    "currency_id": set(reference.CURRENCIES),
    "country_id": set(reference.COUNTRIES),
    "language_id": set(reference.LANGUAGES),
    "payment_type_id": {"0", *reference.PAYMENT_TYPES},
}
# A *_number_counter stays far below the int4 it is advanced as (app.services.numbering) however long it
# counts, and a *_number_pattern within a typed number's 191 characters.
MAX_COUNTER = 999_999_999
PATTERN_LENGTH = 191


def clean_setting(key: str, value: Any, nullable: bool = True) -> Any:
    """A settings override typed like the company setting of the same name (upstream casts them with
    CompanySettings::$casts), so ids stay strings (`"currency_id": 2` is stored as "2"); keys that are not
    company settings stay free-form JSON. `nullable`: a null override is kept (it means "inherit")."""
    kind = reference.COMPANY_SETTING_TYPES.get(key)
    if kind is None or (nullable and value is None and kind != "string"):
        return clean_json(value)
    if kind == "string":
        text = clean_text(value, PATTERN_LENGTH if key.endswith("_number_pattern") else 65535)
        if text and key in SETTING_CODES and text not in SETTING_CODES[key]:
            raise ValueError(SELECTED)
        return text
    if kind == "bool":
        return clean_bool(value)
    if kind == "int":
        number = clean_int(value)
        if key.endswith("_number_counter") and not 0 <= number <= MAX_COUNTER:
            raise ValueError(f"must be between 0 and {MAX_COUNTER}")
        return number
    if kind == "float":
        return float(clean_decimal(value))
    if kind == "object" and not isinstance(value, dict):
        if value == []:
            return {}
        raise ValueError("must be an object")
    if kind == "array" and not isinstance(value, list):
        raise ValueError("must be a list")
    return clean_json(value)


def clean_settings(value: Any, name: str = "settings") -> dict[str, Any]:
    """A settings object of a client or group: safe as any object first (keys, depth, numbers), then every
    key typed by clean_setting; all bad keys are reported."""
    out, errors = {}, {}
    for key, item in clean_object(value).items():
        if len(key) > 100:
            raise ValueError("must be an object of named values")
        try:
            out[key] = clean_setting(key, item)
        except ValueError as exc:
            where = f"{name}.{key}" + getattr(exc, "path", "")
            errors[where] = [message(where, exc)]
    if errors:
        raise Invalid(errors)
    return out


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
        return clean_int(value, f.column_type)
    if kind == "money":
        return clean_decimal(value)
    if kind == "code":
        return clean_code(value, f.codes, f.column_type)
    if kind == "object":
        return clean_settings(value, f.name) if f.typed_settings else clean_object(value)
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
        except Invalid as exc:  # a settings object names each bad key
            errors.update({prefix + key: text for key, text in exc.errors.items()})
        except ValueError as exc:
            where = prefix + f.name + getattr(exc, "path", "")
            errors[where] = [message(where, exc)]
    if errors:
        raise Invalid(errors)
    return values
