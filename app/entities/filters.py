"""Filter builders shared by the entity specs (upstream's *Filters.php vocabulary)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from .. import ids
from .common import like_pattern
from .spec import Built, Filter

OPS = {"lt": "<", "gt": ">", "lte": "<=", "gte": ">=", "eq": "="}
NOTHING: Built = ("false", ())


def eq(param: str, column: str = "") -> Filter:
    col = column or param
    return Filter(param, lambda v: (f"{{t}}.{col} = ?", (v,)))


def int_eq(param: str, column: str = "") -> Filter:
    """An integer column; a value that is not an int32 matches nothing."""
    col = column or param

    def build(v: str) -> Built:
        try:
            value = int(v.strip())
        except ValueError:
            return NOTHING
        return (f"{{t}}.{col} = ?", (value,)) if -(2**31) < value < 2**31 else NOTHING

    return Filter(param, build)


def like(param: str, column: str = "") -> Filter:
    col = column or param

    def build(v: str) -> Built | None:
        pattern = like_pattern(v)
        return None if pattern is None else (f"{{t}}.{col} ILIKE ?", (pattern,))

    return Filter(param, build)


def ref_eq(param: str, column: str = "") -> Filter:
    """A hashed id; one that does not decode matches nothing (upstream: empty list)."""
    col = column or param

    def build(v: str) -> Built:
        value = ids.decode_or_none(v)
        return NOTHING if value is None else (f"{{t}}.{col} = ?", (value,))

    return Filter(param, build)


def _decimal(text: str) -> Decimal | None:
    try:
        value = Decimal(text.strip())
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() and abs(value) < Decimal(10) ** 14 else None


def compare(param: str, column: str = "") -> Filter:
    """`balance=100:gt` -> balance > 100."""
    col = column or param

    def build(v: str) -> Built | None:
        value, _, op = v.partition(":")
        number = _decimal(value)
        if number is None or op not in OPS:
            return None
        return (f"{{t}}.{col} {OPS[op]} ?", (number,))

    return Filter(param, build)


def between(param: str, column: str) -> Filter:
    """`between_balance=10:100` -> balance BETWEEN 10 AND 100."""

    def build(v: str) -> Built | None:
        low, _, high = v.partition(":")
        a, b = _decimal(low), _decimal(high)
        if a is None or b is None:
            return None
        return (f"{{t}}.{column} BETWEEN ? AND ?", (a, b))

    return Filter(param, build)


def parse_moment(text: str) -> datetime | None:
    """Unix seconds or a date/datetime string; None when unparseable (upstream ignores it)."""
    text = text.strip()
    try:
        if text.lstrip("-").isdigit():
            seconds = int(text)
            if abs(seconds) > 253402300799:
                return None
            return datetime.fromtimestamp(seconds, tz=UTC)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (ValueError, OverflowError, OSError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def since(param: str, column: str = "") -> Filter:
    col = column or param

    def build(v: str) -> Built | None:
        moment = parse_moment(v)
        return None if moment is None else (f"{{t}}.{col} >= ?", (moment,))

    return Filter(param, build)


def flag(param: str, column: str = "") -> Filter:
    """`is_deleted=1|0|true|false` compared as a boolean (upstream's string compare is a known bug)."""
    col = column or param

    def build(v: str) -> Built | None:
        value = v.strip().lower()
        if value in {"1", "true"}:
            return (f"{{t}}.{col}", ())
        if value in {"0", "false"}:
            return (f"NOT {{t}}.{col}", ())
        return None

    return Filter(param, build)


def search(sql: str) -> Filter:
    """`filter=<text>`: `sql` is an OR of ILIKE conditions, each using `?` for the same pattern."""

    def build(v: str) -> Built | None:
        pattern = like_pattern(v)
        return None if pattern is None else (sql, (pattern,) * sql.count("?"))

    return Filter("filter", build)


def client_status(statuses: dict[str, str]) -> Filter:
    """`client_status=a,b`: an OR of the named conditions (upstream's per-entity vocabularies); `all`, or no
    known name, filters nothing."""

    def build(v: str) -> Built | None:
        wanted = {s.strip().lower() for s in v.split(",")}
        chosen = [statuses[s] for s in sorted(wanted) if s in statuses]
        return None if "all" in wanted or not chosen else ("(" + " OR ".join(chosen) + ")", ())

    return Filter("client_status", build)


def common() -> tuple[Filter, ...]:
    return (since("created_at"), since("updated_at"), flag("is_deleted"))
