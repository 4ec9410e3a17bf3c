"""Fields most tenant entities share."""

from __future__ import annotations

from .spec import Field, boolean, ref, ts


def standard(assigned: bool = True) -> tuple[Field, ...]:
    """id, owner, timestamps and the soft-delete pair every upstream transformer emits."""
    fields: list[Field] = [
        Field("id", "id", writable=False),
        ref("user_id", "user", writable=False),
    ]
    if assigned:
        fields.append(ref("assigned_user_id", "user"))
    fields += [
        ts("created_at"),
        ts("updated_at"),
        ts("archived_at", column="deleted_at"),
        boolean("is_deleted", writable=False),
    ]
    return tuple(fields)


def like_pattern(value: str) -> str | None:
    """`filter=` text -> ILIKE pattern with %, _ and \\ matched literally."""
    value = value.strip()
    if not value:
        return None
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
