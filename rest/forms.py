"""Form bodies read into the tree a JSON body gives, with PHP's bracket syntax (what parse_str and $_POST
make of `http_build_query`, which the PHP SDK sends): `a[b][c]=1` nests objects, `a[]=x` appends, an array
whose keys are exactly 0..n-1 in order is a list (as PHP's json_encode writes it), any other array an object
with string keys (`a[0]` with `a[2]` is {"0": .., "2": ..}). Values stay strings; the validators coerce them
as they coerce JSON strings.

Where PHP is silent (it drops or renames what it cannot read) this is a 400 that names the key, so nothing is
stored under a name the client did not mean: malformed brackets (`a[b`, `a[b]c`, `a]`), no name (`=x`,
`[a]=1`), a key sent twice, a key that is both a value and an array (`a=1&a[b]=2`), more than MAX_DEPTH
brackets, an index of MAX_PAIRS or more, more than MAX_PAIRS fields, and `__proto__`/`constructor`/
`prototype` anywhere in a key. As PHP does, leading spaces of a name are dropped and `.` and ` ` in the name
before the first bracket become `_`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote_plus

from app.errors import BadRequest

MAX_PAIRS = 1000  # PHP's max_input_vars; also the most items a list can have, so the bound on an index
MAX_DEPTH = 10  # brackets in one key (the deepest upstream body, settings.pdf_variables.*, needs three)
RESERVED = frozenset({"__proto__", "constructor", "prototype"})
INDEXES = re.compile(r"(?:\[[^\[\]]*\])*")
INTEGER = re.compile(r"0|-?[1-9][0-9]{0,18}")  # the keys PHP turns into integers (within its int64)
SHOWN = 100  # characters of a key quoted in an error


class _Array:
    """A PHP array being built: values by key (integer keys as their decimal text) and the next `[]` index."""

    __slots__ = ("items", "next")

    def __init__(self) -> None:
        self.items: dict[str, Any] = {}
        self.next = 0


def refused(key: str, why: str) -> BadRequest:
    shown = key if len(key) <= SHOWN else key[:SHOWN] + "..."
    return BadRequest(f"The form field {shown!r} {why}.")


def parse_urlencoded(raw: bytes) -> dict[str, Any]:
    """An application/x-www-form-urlencoded body (UTF-8, `+` for a space) -> the nested tree."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("The form body must be UTF-8 text.") from None
    if text.count("&") >= 2 * MAX_PAIRS:  # before splitting: a body of bare `&` would make a huge list
        raise too_many()
    pairs = []
    for piece in text.split("&"):
        if not piece:
            continue
        name, _, value = piece.partition("=")
        try:
            pairs.append((unquote_plus(name, errors="strict"), unquote_plus(value, errors="strict")))
        except UnicodeDecodeError:
            raise BadRequest("The form body has a percent-escape that is not UTF-8 text.") from None
    return nest(pairs)


def too_many() -> BadRequest:
    return BadRequest(f"The form body may not have more than {MAX_PAIRS} fields.")


def nest(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """(key, value) pairs in the order sent -> {name: value, list or object}."""
    root = _Array()
    for count, (key, value) in enumerate(pairs, start=1):
        if count > MAX_PAIRS:
            raise too_many()
        _assign(root, key, value)
    tree = _finish(root, top=True)
    assert isinstance(tree, dict)
    return tree


def split_key(key: str) -> tuple[str, list[str | None]]:
    """`a[b][]` -> ("a", ["b", None]); None is `[]`, append."""
    trimmed = key.lstrip(" ")
    cut = trimmed.find("[")
    name, rest = (trimmed, "") if cut < 0 else (trimmed[:cut], trimmed[cut:])
    if not name:
        raise refused(key, "has no name")
    if "]" in name or not INDEXES.fullmatch(rest):
        raise refused(key, "has malformed brackets")
    segments: list[str | None] = [part or None for part in rest[1:-1].split("][")] if rest else []
    if len(segments) > MAX_DEPTH:
        raise refused(key, f"is nested more than {MAX_DEPTH} levels deep")
    name = name.replace(" ", "_").replace(".", "_")
    if name in RESERVED or any(part in RESERVED for part in segments):
        raise refused(key, "uses a reserved name")
    return name, segments


def _slot(key: str, container: _Array, segment: str | None) -> str:
    """The key `segment` names in `container` (the next index for `[]`), with PHP's integer keys."""
    if segment is None:
        index = container.next
    elif INTEGER.fullmatch(segment):
        index = int(segment)
        if index < 0:
            return segment
    else:
        return segment
    if index >= MAX_PAIRS:
        raise refused(key, f"has an index over {MAX_PAIRS - 1}")
    container.next = max(container.next, index + 1)
    return str(index)


def _assign(root: _Array, key: str, value: str) -> None:
    name, segments = split_key(key)
    container, slot = root, name
    for segment in segments:
        child = container.items.get(slot)
        if child is None:
            child = container.items[slot] = _Array()
        elif not isinstance(child, _Array):
            raise refused(key, "is both a value and an array")
        container, slot = child, _slot(key, child, segment)
    if slot in container.items:
        existing = container.items[slot]
        raise refused(key, "is both a value and an array" if isinstance(existing, _Array) else "is sent twice")
    container.items[slot] = value


def _finish(node: Any, top: bool = False) -> Any:
    if not isinstance(node, _Array):
        return node
    values = {k: _finish(v) for k, v in node.items.items()}
    if not top and list(values) == [str(n) for n in range(len(values))]:
        return list(values.values())
    return values
