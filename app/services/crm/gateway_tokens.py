"""Client gateway tokens: the stored references of a client's saved payment methods at a gateway. Rows are
kept as sent, no gateway is called. Only admins write them (upstream authorises its routes with isAdmin). On create the
client, the company gateway, a numeric gateway type and the meta object are required; both ids name rows
of the caller's company. A token made the default clears the default of the client's other tokens. Reads
follow the view permission, as every entity's (the tokens are in every client's JSON anyway)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...auth import Principal
from ...crud.service import Row
from ...errors import Forbidden, invalid
from ..entity import EntityService


class ClientGatewayTokenService(EntityService):
    def _require(self, who: Principal, action: str) -> None:
        if not (who.is_admin or who.is_owner):
            raise Forbidden("This action is unauthorized.")
        super()._require(who, action)

    async def before_write(self, who: Principal, values: Row, current: Row | None, data: Mapping[str, Any]) -> None:
        if current is None:
            for name in ("client_id", "company_gateway_id", "gateway_type_id"):
                if values.get(name) in (None, ""):
                    raise invalid(name, f"The {name.replace('_', ' ')} field is required.")
            if "meta" not in data:
                raise invalid("meta", "The meta field is required.")
        if values.get("gateway_type_id") not in (None, "") and not str(values["gateway_type_id"]).isdigit():
            raise invalid("gateway_type_id", "The gateway type id must be an integer.")
        if values.get("gateway_type_id") == "" and current is not None:
            values.pop("gateway_type_id")

    async def after_write(self, who: Principal, entity_id: int, current: Row | None, data: Mapping[str, Any]) -> None:
        await self.db.execute(
            "UPDATE client_gateway_tokens o SET is_default = false, updated_at = now() FROM client_gateway_tokens t "
            "WHERE t.company_id = $1 AND t.id = $2 AND t.is_default AND o.company_id = t.company_id "
            "AND o.client_id = t.client_id AND o.id <> t.id AND o.is_default",
            who.company_id,
            entity_id,
        )
