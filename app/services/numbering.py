"""Per-company numbers from the counters in company settings, assigned under a row lock.

The company row is locked FOR UPDATE in the caller's transaction, so two concurrent creates serialise
here and get distinct numbers; a rolled-back transaction also rolls the counter back (gapless).
"""

from __future__ import annotations

from datetime import date

from ..crud.validate import MAX_COUNTER
from ..db import Db
from ..errors import invalid

DEFAULT_PADDING = 4
NUMBER_LENGTH = 191  # as a typed number (a text field's max_length)


def format_number(pattern: str, counter: int, padding: int, today: date | None = None) -> str:
    today = today or date.today()
    padded = str(counter).zfill(max(0, min(padding, 20)))
    if not pattern:
        return padded
    if "{$counter}" not in pattern and "{$client_counter}" not in pattern:
        pattern += "{$counter}"
    for token, value in (
        ("{$counter}", padded),
        ("{$client_counter}", padded),
        ("{$year}", f"{today:%Y}"),
        ("{$month}", f"{today:%m}"),
        ("{$day}", f"{today:%d}"),
        ("{$date:Y}", f"{today:%Y}"),
        ("{$date:y}", f"{today:%y}"),
        ("{$date:m}", f"{today:%m}"),
        ("{$date:d}", f"{today:%d}"),
    ):
        pattern = pattern.replace(token, value)
    return pattern


async def next_number(db: Db, company_id: int, kind: str, table: str, counter: str = "") -> str:
    """Lock the company's counter, skip numbers already taken (e.g. typed in by hand), advance it.
    `counter` names another kind's counter to advance (quotes and credits may share the invoice counter:
    shared_invoice_quote_counter / shared_invoice_credit_counter); the pattern stays `kind`'s own."""
    settings = await db.fetchval("SELECT settings FROM companies WHERE id = $1 FOR UPDATE", company_id)
    counter_key = f"{counter or kind}_number_counter"
    try:
        value = max(1, int(settings.get(counter_key) or 1))
        padding = int(settings.get("counter_padding", DEFAULT_PADDING))
    except (TypeError, ValueError):
        value, padding = 1, DEFAULT_PADDING
    pattern = str(settings.get(f"{kind}_number_pattern") or "")
    while True:
        # the counter ends at MAX_COUNTER (counted up to it, or stored before settings were bounded), short
        # of the int4 it is written back as; no pattern makes a number longer than a typed one. Both are a
        # 422 that changes nothing: the caller's transaction rolls back.
        if value > MAX_COUNTER:
            raise invalid("number", f"The {counter_key.replace('_', ' ')} may not be greater than {MAX_COUNTER}.")
        number = format_number(pattern, value, padding)
        if len(number) > NUMBER_LENGTH:
            raise invalid("number", f"The number may not be greater than {NUMBER_LENGTH} characters.")
        taken = await db.fetchval(f"SELECT 1 FROM {table} WHERE company_id = $1 AND number = $2", company_id, number)
        value += 1
        if taken is None:
            break
    await db.execute(
        "UPDATE companies SET settings = jsonb_set(settings, $2::text[], to_jsonb($3::int)) WHERE id = $1",
        company_id,
        [counter_key],
        value,
    )
    return number
