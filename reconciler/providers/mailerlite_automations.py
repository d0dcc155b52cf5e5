"""MailerLite automations, read only (`GET /api/automations`, page-based).

The API can list automations but not create, change or delete them. espform reads them
to learn which groups start an enabled automation, so that the engine can refuse to
delete or rename such a group and drift can report one that went missing. Only
`subscriber_joins_group` triggers are mapped; groups are named as the trigger's own
`groups` names them (a group deleted since keeps its id in `group_ids`; if the API no
longer names it, the trigger is skipped, as nothing ties it to a declared group).
"""

from __future__ import annotations

from reconciler.model import Address, Automation
from reconciler.providers import shapes
from reconciler.providers.http import HttpClient, JSONObject

__all__ = ["GROUP_JOIN", "PAGE_SIZE", "automation_from", "read_automations"]

GROUP_JOIN = "subscriber_joins_group"
#: The list documents `limit` (default 10) but no maximum; 100 keeps a large account to
#: a few requests without asking for more than the API is known to give.
PAGE_SIZE = 100


def automation_from(provider: str, data: JSONObject) -> Automation:
    joins: list[Address] = []
    for trigger in data.get("triggers") or ():
        if trigger["type"] != GROUP_JOIN:
            continue
        names = {str(g["id"]): str(g["name"]) for g in trigger.get("groups") or ()}
        for group_id in trigger.get("group_ids") or ():
            if str(group_id) in names:
                joins.append(Address.of(provider, "group", names[str(group_id)]))
    return Automation(
        id=str(data["id"]),
        name=str(data["name"]),
        enabled=bool(data["enabled"]),
        joins=tuple(dict.fromkeys(joins)),
    )


async def read_automations(http: HttpClient, provider: str) -> tuple[Automation, ...]:
    found: list[Automation] = []
    async for page in http.pages(
        "/api/automations",
        params={"limit": PAGE_SIZE},
        context="reading the automations",
        shape=shapes.MAILERLITE_AUTOMATION,
    ):
        found.extend(automation_from(provider, item) for item in page)
    return tuple(found)
