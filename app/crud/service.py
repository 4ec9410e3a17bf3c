"""CrudService: list/get/blank/create/update/destroy/bulk for any registry entity, always scoped to the
caller's company. Subclasses add business rules through the hooks; the SQL comes from app.crud.sql.

The reads the edges answer with (`page`, `show`, `item`, `bulk_page`, `related`) come back shaped for the
contract, each with its include tree parsed once. The activity log is the services' (`record` is a hook
here; app.services.entity.EntityService writes it), so this layer never reaches up into app.services.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from .. import ids
from ..auth import Principal
from ..db import Db
from ..entities import REGISTRY
from ..entities.spec import Entity
from ..errors import BadRequest, Forbidden, NotFound, invalid
from . import sql
from .query import Binder, ListQuery, render
from .results import Item, Page
from .shape import shape
from .validate import clean

Row = dict[str, Any]
# named here: inside CrudService, `list` is the method
Items = list[Item]
Rows = list[Row]
IdList = list[int]
MAX_BULK_IDS = 5000


class CrudService:
    def __init__(self, entity: Entity, db: Db) -> None:
        self.entity = entity
        self.db = db

    # ---- reads -------------------------------------------------------------------------------
    def _own_only(self, who: Principal) -> int | None:
        return None if who.can("view", self.entity.name) else who.user_id

    def owns(self, who: Principal, row: Mapping[str, Any]) -> bool:
        """Upstream's EntityPolicy: a member may view and edit what it created or is assigned to."""
        owner = self.entity.field(self.entity.owned_by)
        if owner is None:
            return False
        return who.user_id in (row.get(owner.name), row.get("assigned_user_id"))

    def _own_rows_editable(self, who: Principal) -> bool:
        """Whether a member without the edit right may edit its own rows: yes, unless this entity's service
        sets rules of its own on writes (`_require` overridden: admin-only entities)."""
        return self.entity.writable and type(self)._require is CrudService._require

    def require_edit(self, who: Principal, row: Mapping[str, Any]) -> None:
        """Edit (update, delete, upload, actions) of one row: the edit right, or the row is the caller's own."""
        if who.can("edit", self.entity.name) or not self.owns(who, row) or not self._own_rows_editable(who):
            self._require(who, "edit")

    def includes(self, include: str, defaults: bool = True) -> sql.Includes:
        return sql.parse_includes(self.entity, include, 0, defaults)

    def item(self, row: Mapping[str, Any], include: str = "") -> Item:
        """A row this service returned (create, update, destroy, get), shaped with its includes."""
        return Item(shape(self.entity, row, self.includes(include)), row)

    async def page(self, who: Principal, params: Mapping[str, Any]) -> Page:
        """A list page from the request's parameters (page, per_page, include, filters, sort)."""
        return await self.list(who, ListQuery.parse(params))

    async def list(self, who: Principal, q: ListQuery) -> Page:
        tree = self.includes(q.include, q.defaults)
        where, order, binds = render(self.entity, q, who.company_id, self._own_only(who))
        statement = sql.select_page(self.entity, tree, where, order, len(binds) + 1)
        rows = await self.db.fetch(statement, *binds, q.per_page, q.offset)
        if q.page == 1 and len(rows) < q.per_page:
            total = len(rows)  # a first page that is not full is the whole list: no count needed
        else:
            total = await self.db.fetchval(sql.count_rows(self.entity, where), *binds)
        return Page(self._shaped(rows, tree), total, q.page, q.per_page)

    def _shaped(self, records: Sequence[Any], tree: sql.Includes) -> Items:
        rows = [dict(r) for r in records]
        return [Item(shape(self.entity, row, tree), row) for row in rows]

    async def show(self, who: Principal, entity_id: int, include: str = "") -> Item:
        tree = self.includes(include)
        row = await self._find(who, entity_id, tree)
        if row is None:
            raise NotFound(f"{self.entity.title} not found")
        return Item(shape(self.entity, row, tree), row)

    async def find(self, who: Principal, entity_id: int, include: str = "") -> Row | None:
        return await self._find(who, entity_id, self.includes(include))

    async def _find(self, who: Principal, entity_id: int, tree: sql.Includes) -> Row | None:
        row = await self.db.fetchrow(sql.select_one(self.entity, tree), who.company_id, entity_id)
        if row is None:
            return None
        if self._own_only(who) is not None and not self.owns(who, dict(row)):
            return None
        return dict(row)

    async def get(self, who: Principal, entity_id: int, include: str = "") -> Row:
        row = await self.find(who, entity_id, include)
        if row is None:
            raise NotFound(f"{self.entity.title} not found")
        return row

    async def blank(self, who: Principal) -> Row:
        """An unsaved entity with every field at its empty value (GET /<entity>/create)."""
        empty = {
            "id": "",
            "text": "",
            "bool": False,
            "int": 0,
            "money": 0.0,
            "ref": None,
            "code": "",
            "object": {},
            "array": [],
            "date": "",
            "ts": 0,
        }
        row: Row = {f.name: f.default if f.default is not None else empty[f.kind] for f in self.entity.fields}
        row["id"] = None
        for name in self.entity.default_includes:
            rel = self.entity.relation(name)
            if rel is not None:
                row[name] = [] if rel.kind == "many" else None  # an unsaved row links to nothing
        return row

    # ---- writes ------------------------------------------------------------------------------
    def _require(self, who: Principal, action: str) -> None:
        if not self.entity.writable:
            raise Forbidden("This action is unauthorized.")
        if not who.can(action, self.entity.name):
            raise Forbidden("This action is unauthorized.")

    async def check_refs(self, who: Principal, values: Mapping[str, Any], prefix: str = "") -> None:
        """Every hashed id in a body must name a row of the caller's company (else 422, like missing)."""
        for f in self.entity.fields:
            if f.kind != "ref" or not f.writable or values.get(f.col) is None or not f.target:
                continue
            target = REGISTRY[f.target]
            scope = target.scope.replace("?", "$1").format(t="t0")
            live = " AND t0.is_deleted = false" if target.soft_delete else ""
            found = await self.db.fetchval(
                f"SELECT 1 FROM {target.table} t0 WHERE {scope} AND t0.id = $2{live}", who.company_id, values[f.col]
            )
            if found is None:
                raise invalid(prefix + f.name, f"The selected {f.name.replace('_', ' ')} is invalid.")

    async def before_write(self, who: Principal, values: Row, current: Row | None, data: Mapping[str, Any]) -> None:
        """Business rules before the row is written; may change `values` (columns) in place."""

    async def after_write(self, who: Principal, entity_id: int, current: Row | None, data: Mapping[str, Any]) -> None:
        """Business rules after the row is written, in the same transaction."""

    async def create(self, who: Principal, data: Mapping[str, Any], include: str = "") -> Row:
        self._require(who, "create")
        values = clean(self.entity, data, creating=True)
        await self.check_refs(who, values)
        async with self.db.transaction():
            await self.before_write(who, values, None, data)
            values.update(company_id=who.company_id, user_id=who.user_id)
            cols = list(values)
            statement = (
                f"INSERT INTO {self.entity.table} ({', '.join(cols)}) VALUES "
                f"({', '.join(f'${i}' for i in range(1, len(cols) + 1))}) RETURNING id"
            )
            new_id = await self.db.fetchval(statement, *values.values())
            await self.after_write(who, new_id, None, data)
            await self.record(who, "create", new_id)
        return await self.get(who, new_id, include)

    async def lock_row(self, who: Principal, entity_id: int) -> None:
        """Take the row lock an update writes under (subclasses first lock what the lock order puts before it)."""
        await self.db.execute(
            f"SELECT 1 FROM {self.entity.table} WHERE company_id = $1 AND id = $2 FOR UPDATE", who.company_id, entity_id
        )

    async def update(self, who: Principal, entity_id: int, data: Mapping[str, Any], include: str = "") -> Row:
        current = await self.get(who, entity_id)
        self.require_edit(who, current)
        if current.get("is_deleted"):
            raise_deleted()
        values = clean(self.entity, data, creating=False)
        await self.check_refs(who, values)
        async with self.db.transaction():
            # Read again under the lock: the hooks decide on the row as it is when written over, not as it was
            # before a concurrent action (mark sent, pay, cancel, delete) committed.
            await self.lock_row(who, entity_id)
            current = await self.get(who, entity_id)
            if current.get("is_deleted"):
                raise_deleted()
            await self.before_write(who, values, current, data)
            if values:
                b = Binder()
                sets = ", ".join(b.add(f"{col} = ?", (v,)) for col, v in values.items())
                where = b.add("company_id = ? AND id = ?", (who.company_id, entity_id))
                await self.db.execute(
                    f"UPDATE {self.entity.table} SET {sets}, updated_at = now() WHERE {where}", *b.values
                )
            await self.after_write(who, entity_id, current, data)
            await self.record(who, "update", entity_id)
        return await self.get(who, entity_id, include)

    async def destroy(self, who: Principal, entity_id: int, include: str = "") -> Row:
        await self.get(who, entity_id)
        await self.bulk(who, "delete", [entity_id], {})
        return await self.get(who, entity_id, include)

    # ---- bulk --------------------------------------------------------------------------------
    async def resolve_ids(self, who: Principal, raw: Any) -> IdList:
        """Hashed ids of this company, all or nothing: any foreign or missing id is a 422 on `ids`."""
        if not isinstance(raw, list) or not raw:
            raise invalid("ids", "The ids field is required.")
        if len(raw) > MAX_BULK_IDS:
            raise invalid("ids", f"The ids may not have more than {MAX_BULK_IDS} items.")
        decoded = [ids.decode_or_none(v) if isinstance(v, str) else None for v in raw]
        if None in decoded:
            raise invalid("ids", "The selected ids is invalid.")
        wanted = {v for v in decoded if v is not None}
        # Only rows this caller may see count, so an invisible row answers like a missing one.
        where, _, binds = render(self.entity, ListQuery(), who.company_id, self._own_only(who))
        rows = await self.db.fetch(
            f"SELECT t0.id FROM {self.entity.table} t0 WHERE {where} AND t0.id = ANY(${len(binds) + 1}::bigint[])",
            *binds,
            list(wanted),
        )
        if len(rows) != len(wanted):
            raise invalid("ids", "The selected ids is invalid.")
        return sorted(wanted)

    async def bulk(self, who: Principal, action: str, entity_ids: Sequence[int], data: Mapping[str, Any]) -> None:
        if action not in self.entity.bulk_actions:
            raise invalid("action", "The selected action is invalid.")
        await self.require_edit_all(who, entity_ids)
        table = self.entity.table
        sets = {
            "archive": "deleted_at = now()",
            "restore": "deleted_at = NULL, is_deleted = false",
            "delete": "deleted_at = COALESCE(deleted_at, now()), is_deleted = true",
        }.get(action)
        guard = {
            "archive": "deleted_at IS NULL",
            "restore": "(deleted_at IS NOT NULL OR is_deleted)",
            "delete": "NOT is_deleted",
        }.get(action)
        async with self.db.transaction():
            if sets is not None:
                changed = await self.db.fetch(
                    f"UPDATE {table} SET {sets}, updated_at = now() WHERE company_id = $1 "
                    f"AND id = ANY($2::bigint[]) AND {guard} RETURNING id",
                    who.company_id,
                    list(entity_ids),
                )
                for row in changed:
                    await self.record(who, action, row["id"])
            else:
                await self.bulk_other(who, action, entity_ids, data)

    async def require_edit_all(self, who: Principal, entity_ids: Sequence[int]) -> None:
        """A bulk action edits every row it names: all of them must be editable, or nothing happens."""
        owner = self.entity.field(self.entity.owned_by)
        if who.can("edit", self.entity.name) or owner is None or not self._own_rows_editable(who):
            self._require(who, "edit")  # the entity's own rules; without the right, a 403
            return
        assigned = " OR assigned_user_id = $3" if self.entity.field("assigned_user_id") else ""
        owned = await self.db.fetchval(
            f"SELECT count(*) FROM {self.entity.table} WHERE company_id = $1 AND id = ANY($2::bigint[]) "
            f"AND ({owner.col} = $3{assigned})",
            who.company_id,
            list(set(entity_ids)),
            who.user_id,
        )
        if owned != len(set(entity_ids)):
            raise Forbidden("This action is unauthorized.")

    async def bulk_made(
        self, who: Principal, action: str, entity_ids: Sequence[int], data: Mapping[str, Any]
    ) -> tuple[Entity, int] | None:
        """`bulk`, answering the one record an action makes (tasks' and projects' `invoice`: the invoice)
        as (its entity, its id); None for the actions that only change the rows they address."""
        await self.bulk(who, action, entity_ids, data)
        return None

    async def bulk_other(self, who: Principal, action: str, entity_ids: Sequence[int], data: Mapping[str, Any]) -> None:
        raise invalid("action", "The selected action is invalid.")

    async def record(self, who: Principal, action: str, entity_id: int) -> None:
        """After each create, update and bulk change, in its transaction: the services log the activity."""

    async def fetch_many(self, who: Principal, entity_ids: Sequence[int], include: str = "") -> Rows:
        q = ListQuery(per_page=max(len(entity_ids), 1), include=include)
        where, order, binds = render(self.entity, q, who.company_id)
        b = Binder(*binds)
        where += " AND " + b.add("t0.id = ANY(?::bigint[])", (list(entity_ids),))
        statement = sql.select_page(
            self.entity, sql.parse_includes(self.entity, include), where, order, len(b.values) + 1
        )
        return [dict(r) for r in await self.db.fetch(statement, *b.values, q.per_page, 0)]

    async def items(self, who: Principal, entity_ids: Sequence[int], include: str = "") -> Items:
        """Rows by id, shaped (the answer of a GraphQL bulk mutation)."""
        return self._shaped(await self.fetch_many(who, entity_ids, include), self.includes(include))

    async def bulk_page(self, who: Principal, entity_ids: Sequence[int], params: Mapping[str, Any]) -> Page:
        """The rows a bulk action addressed, as the page upstream answers it with."""
        q = ListQuery.parse(params)
        rows = await self.fetch_many(who, entity_ids, q.include)
        start = q.offset
        return Page(
            self._shaped(rows[start : start + q.per_page], self.includes(q.include)), len(rows), q.page, q.per_page
        )

    async def related(self, who: Principal, name: str, keys: Sequence[int]) -> dict[int, Items]:
        """The rows of relation `name` for many parents in one statement (GraphQL's loaders), scoped to the
        caller's company, grouped by parent key: parent ids (`many`) or the parents' foreign keys (`one`)."""
        rel = self.entity.relation(name)
        assert rel is not None
        target = REGISTRY[rel.target]
        rows = await self.db.fetch(sql.select_related(self.entity, rel, ()), who.company_id, list(keys))
        grouped: dict[int, Items] = defaultdict(Items)
        for record in rows:
            row = dict(record)
            grouped[row["_parent"]].append(Item(shape(target, row), row))
        return grouped


def raise_deleted() -> None:
    raise BadRequest("Record is deleted and cannot be edited. Restore the record to enable editing")
