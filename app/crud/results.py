"""What a read returns to the edges: rows already shaped for the contract, each beside the row it came from.

`Item.data` is what REST and GraphQL show (hashed ids, includes shaped); `Item.row` keeps the integer ids
and the includes as PostgreSQL built them, which GraphQL's relation fields and loaders key on. A `Page`
is shaped once, with the include tree worked out once, by the service call that read it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Item:
    data: dict[str, Any]
    row: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Page:
    items: list[Item]
    total: int
    page: int
    per_page: int

    @property
    def total_pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def data(self) -> list[dict[str, Any]]:
        return [item.data for item in self.items]
