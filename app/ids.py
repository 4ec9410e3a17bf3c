"""Hashed ids: ints inside, hashids strings at the edges (same codec as upstream: min length 10)."""

from __future__ import annotations

from functools import lru_cache

from hashids import Hashids

from .errors import NotFound

_codec = Hashids(salt="", min_length=10)


def configure(salt: str) -> None:
    """Set the salt once at start-up; clears the memo tables (ids change with the salt)."""
    global _codec
    _codec = Hashids(salt=salt, min_length=10)
    encode.cache_clear()
    decode_or_none.cache_clear()


@lru_cache(maxsize=200_000)
def encode(value: int) -> str:
    return str(_codec.encode(value))


def encode_ref(value: int | None) -> str:
    """Foreign keys: an unset reference is "" (never null), as upstream serialises it."""
    return "" if value is None else encode(value)


@lru_cache(maxsize=200_000)
def decode_or_none(text: str) -> int | None:
    if not isinstance(text, str) or not text or len(text) > 64:
        return None
    text = text.strip()
    numbers = _codec.decode(text)
    # hashids' decode already re-encodes and compares, so a tampered string yields ().
    if len(numbers) != 1 or numbers[0] > 2**62:
        return None
    return int(numbers[0])


def decode(text: str, what: str = "Record") -> int:
    """Decode an id from a URL; anything that does not decode is a 404 like a missing row."""
    value = decode_or_none(text) if isinstance(text, str) else None
    if value is None:
        raise NotFound(f"{what} not found")
    return value
