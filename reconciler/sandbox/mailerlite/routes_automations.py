"""Automations: read only, as in the API (page-based list and get; no create, update or
delete: automations are built in the app, here through `POST /_sandbox/automations`).

Items have the recorded shape (PY `automations-list.yml`, 2024-02): `id, name, enabled,
trigger_data, triggers, complete, broken, warnings, emails_count, stats, created_at,
steps`. A `subscriber_joins_group` trigger lists its `group_ids` and the `groups`
(`{id, name, url}`) behind them. Deleting a group leaves its id in the trigger, as the app
keeps a broken trigger until someone edits it; the sandbox then shows the group with the
name it last had and marks the trigger and the automation `broken`. Steps are not modelled.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from reconciler.sandbox.core import Router, SandboxResponse
from reconciler.sandbox.mailerlite.call import ApiCall
from reconciler.sandbox.mailerlite.errors import invalid, model_not_found
from reconciler.sandbox.mailerlite.paging import page_envelope
from reconciler.sandbox.mailerlite.routing import Account, add, ok
from reconciler.sandbox.mailerlite.store import Store, fetch_one, returning
from reconciler.sandbox.mailerlite.validation import limit_arg, page_arg, parse_id, require_name

AUTOMATION_MODEL = "App\\Models\\Automation\\Automation"
#: Recorded default page size of the automation list.
DEFAULT_LIMIT = 10
GROUP_JOIN = "subscriber_joins_group"
#: Trigger types the app offers; only a group join names groups here.
TRIGGER_TYPES = (
    GROUP_JOIN,
    "subscriber_fields_update",
    "subscriber_clicks_link",
    "subscriber_completes_form",
    "subscriber_anniversary",
    "subscriber_exact_date",
    "subscriber_completes_automation",
)


@dataclass(frozen=True)
class SeedTrigger:
    type: str
    group_ids: tuple[int, ...] = ()


def parse_triggers(value: Any) -> list[SeedTrigger]:
    """The admin payload's `triggers`, checked like the API's own 422s."""
    if not isinstance(value, list) or not value:
        raise invalid("triggers", "triggers must be a non-empty list")
    triggers = []
    for index, item in enumerate(value):
        key = f"triggers.{index}"
        if not isinstance(item, dict) or item.get("type") not in TRIGGER_TYPES:
            raise invalid(f"{key}.type", f"type must be one of {', '.join(TRIGGER_TYPES)}")
        ids = item.get("group_ids", [])
        if not isinstance(ids, list) or not all(str(v).isdigit() for v in ids):
            raise invalid(f"{key}.group_ids", "group_ids must be a list of group ids")
        if item["type"] == GROUP_JOIN and not ids:
            raise invalid(f"{key}.group_ids", "a group join trigger needs group_ids")
        triggers.append(SeedTrigger(item["type"], tuple(int(v) for v in ids)))
    return triggers


def seed_automation(store: Store, data: dict[str, Any]) -> dict[str, Any]:
    """Create an automation as the app would; unknown group ids are refused."""
    name = require_name(data)
    enabled = data.get("enabled", False)
    if not isinstance(enabled, bool):
        raise invalid("enabled", "enabled must be true or false")
    triggers = parse_triggers(data.get("triggers"))
    with store.write() as db:
        names: dict[int, str] = {}
        for trigger in triggers:
            for group_id in trigger.group_ids:
                row = fetch_one(db, "SELECT name FROM groups WHERE id = ?", (group_id,))
                if row is None:
                    raise invalid("triggers", f"group {group_id} does not exist")
                names[group_id] = row["name"]
        row = returning(
            db,
            "INSERT INTO automations (name, enabled, created_at) VALUES (?, ?, ?) RETURNING *",
            (name, int(enabled), store.now()),
        )
        for position, trigger in enumerate(triggers):
            db.execute(
                "INSERT INTO automation_triggers (automation_id, position, type) VALUES (?, ?, ?)",
                (row["id"], position, trigger.type),
            )
            db.executemany(
                "INSERT OR IGNORE INTO automation_trigger_groups"
                " (automation_id, position, group_id, group_name) VALUES (?, ?, ?, ?)",
                [(row["id"], position, g, names[g]) for g in trigger.group_ids],
            )
        return automation_json(db, row)


def _triggers_json(db: sqlite3.Connection, automation_id: int) -> list[dict[str, Any]]:
    triggers = db.execute(
        "SELECT position, type FROM automation_triggers WHERE automation_id = ? ORDER BY position",
        (automation_id,),
    ).fetchall()
    found = []
    for trigger in triggers:
        groups = db.execute(
            "SELECT t.group_id, t.group_name, g.id IS NOT NULL AS present"
            " FROM automation_trigger_groups t LEFT JOIN groups g ON g.id = t.group_id"
            " WHERE t.automation_id = ? AND t.position = ? ORDER BY t.group_id",
            (automation_id, trigger["position"]),
        ).fetchall()
        found.append(
            {
                # Trigger ids are their own sequence in the app; derived here, stable.
                "id": str(automation_id * 10 + trigger["position"] + 1),
                "type": trigger["type"],
                "group_ids": [str(g["group_id"]) for g in groups],
                "groups": [
                    {
                        "id": str(g["group_id"]),
                        "name": g["group_name"],
                        "url": "https://dashboard.mailerlite.com/subscribers",
                    }
                    for g in groups
                ],
                "exclude_group_ids": [],
                "excluded_groups": [],
                "broken": not all(g["present"] for g in groups),
            }
        )
    return found


def automation_json(db: sqlite3.Connection, row: sqlite3.Row) -> dict[str, Any]:
    triggers = _triggers_json(db, row["id"])
    broken = any(t["broken"] for t in triggers)
    zero = {"float": 0, "string": "0%"}
    return {
        "id": str(row["id"]),
        "name": row["name"],
        "enabled": bool(row["enabled"]),
        "trigger_data": {"track_ecommerce": False, "repeatable": False, "valid": not broken},
        "triggers": triggers,
        "complete": not broken,
        "broken": broken,
        "warnings": [],
        "emails_count": 0,
        "stats": {"sent": 0, "opens_count": 0, "open_rate": zero, "click_rate": zero},
        "created_at": row["created_at"],
        "steps": [],
    }


class AutomationRoutes:
    def __init__(self, account: Account) -> None:
        self.account = account

    def register(self, router: Router) -> None:
        # GET only: any other method answers 405, as the API does.
        add(router, "GET", "/api/automations", self.list)
        add(router, "GET", "/api/automations/{automation_id}", self.get)

    def list(self, call: ApiCall) -> SandboxResponse:
        limit = limit_arg(call, DEFAULT_LIMIT)
        page = page_arg(call)
        with self.account.store.read() as db:
            (total,) = db.execute("SELECT count(*) FROM automations").fetchone()
            rows = db.execute(
                "SELECT * FROM automations ORDER BY id DESC LIMIT ? OFFSET ?",
                (limit, (page - 1) * limit),
            ).fetchall()
            items = [automation_json(db, row) for row in rows]
        url = call.url("/api/automations")
        return ok(page_envelope(items, total=total, page=page, per_page=limit, url=url))

    def get(self, call: ApiCall, automation_id: str) -> SandboxResponse:
        ident = parse_id(automation_id)
        with self.account.store.read() as db:
            row = (
                None
                if ident is None
                else fetch_one(db, "SELECT * FROM automations WHERE id = ?", (ident,))
            )
            if row is None:
                raise model_not_found(AUTOMATION_MODEL, automation_id)
            return ok({"data": automation_json(db, row)})
