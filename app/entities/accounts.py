"""Users (upstream UserTransformer): global rows, scoped to a company through its memberships; the
company's API tokens (upstream CompanyTokenHashedTransformer: the token masked)."""

from __future__ import annotations

from .. import ids
from . import filters as f
from .spec import Built, Entity, Field, Filter, boolean, ref, text, ts


def _without(v: str) -> Built | None:
    """`without=<hashed ids, comma separated>`: the web app's user pickers leave these out."""
    wanted = [i for i in (ids.decode_or_none(p.strip()) for p in v.split(",")) if i is not None]
    return ("NOT ({t}.id = ANY(?::bigint[]))", (wanted,)) if wanted else None


USER_SEARCH = "({t}.first_name ILIKE ? OR {t}.last_name ILIKE ? OR {t}.email ILIKE ?)"

user = Entity(
    "user",
    "users",
    label="User",
    owned_by="id",  # a member without view_user sees only itself
    bulk_actions=("archive", "restore", "delete"),
    scope="EXISTS (SELECT 1 FROM company_users cu WHERE cu.user_id = {t}.id AND cu.company_id = ?)",
    fields=(
        Field("id", "id", writable=False),
        text("first_name"),
        text("last_name"),
        text("email"),
        text("phone"),
        text("signature", 65535),
        *(text(f"custom_value{i}") for i in range(1, 5)),
        ts("last_login"),
        ts("created_at"),
        ts("updated_at"),
        ts("archived_at", column="deleted_at"),
        boolean("is_deleted", writable=False),
        Field("email_verified_at", "ts", writable=False),
        Field("oauth_provider_id", "text", writable=False, expr="''"),
        Field("last_confirmed_email_address", "text", writable=False, expr="''"),
        Field("google_2fa_secret", "bool", writable=False, expr="false"),
        Field("has_password", "bool", writable=False, expr="({t}.password_hash <> '')"),
        Field("oauth_user_token", "text", writable=False, expr="''"),
        Field("verified_phone_number", "bool", writable=False, expr="false"),
        Field("language_id", "code", codes="languages"),
        boolean("user_logged_in_notification", default=True),
        Field("referral_code", "text", writable=False, expr="''"),
        Field("referral_meta", "object", writable=False, expr='\'{{"free": 0, "pro": 0, "enterprise": 0}}\'::jsonb'),
    ),
    filters=(
        f.search(USER_SEARCH),
        f.eq("email"),
        Filter("without", _without),
        *f.common(),
    ),
    sorts={
        "id": "{t}.id",
        "first_name": "{t}.first_name",
        "last_name": "{t}.last_name",
        "email": "{t}.email",
        "created_at": "{t}.created_at",
        "updated_at": "{t}.updated_at",
    },
)

TOKEN_SEARCH = "({t}.name ILIKE ?)"

company_token = Entity(
    "company_token",
    "company_tokens",
    plural="tokens",
    label="Token",
    bulk_actions=("archive", "restore", "delete"),
    fields=(
        Field("id", "id", writable=False),
        ref("user_id", "user", writable=False),
        # Only the digest is stored: the first ten characters, then upstream's mask.
        Field("token", "text", writable=False, expr="({t}.token_hint || 'xxxxxxxxxxx')"),
        text("name", 191),
        boolean("is_system", writable=False),
        ts("created_at"),
        ts("updated_at"),
        ts("archived_at", column="deleted_at"),
        boolean("is_deleted", writable=False),
    ),
    filters=(f.search(TOKEN_SEARCH), f.flag("is_system"), *f.common()),
    sorts={
        "id": "{t}.id",
        "name": "{t}.name",
        "created_at": "{t}.created_at",
        "updated_at": "{t}.updated_at",
    },
)
