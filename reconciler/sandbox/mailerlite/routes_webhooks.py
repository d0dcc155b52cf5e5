"""Webhooks: page-based list, get, create (201, as recorded), update (PUT) and delete.

Stored and answered as the API does: `events` is a list of known event names, `url`
is required on create, `enabled` defaults to true and `batchable` to false; the three
batch-only events (campaign.open, campaign.click, subscriber.deleted) are refused on a
webhook that is not batchable. Each webhook gets a random `secret`, with which the real
API signs deliveries; the sandbox never delivers anything.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
from typing import Any

from reconciler.sandbox.core import Router, SandboxResponse
from reconciler.sandbox.mailerlite.call import ApiCall
from reconciler.sandbox.mailerlite.errors import WEBHOOK_MODEL, model_not_found, validation_failed
from reconciler.sandbox.mailerlite.paging import page_envelope
from reconciler.sandbox.mailerlite.routing import Account, add, no_content, ok
from reconciler.sandbox.mailerlite.store import fetch_one, returning
from reconciler.sandbox.mailerlite.validation import limit_arg, name_errors, page_arg, parse_id

#: Recorded default page size of the webhook list.
DEFAULT_LIMIT = 50
EVENTS = (
    "subscriber.created",
    "subscriber.updated",
    "subscriber.unsubscribed",
    "subscriber.added_to_group",
    "subscriber.removed_from_group",
    "subscriber.bounced",
    "subscriber.automation_triggered",
    "subscriber.automation_completed",
    "subscriber.spam_reported",
    "subscriber.deleted",
    "subscriber.active",
    "campaign.sent",
    "campaign.open",
    "campaign.click",
)
BATCHABLE_ONLY = ("campaign.open", "campaign.click", "subscriber.deleted")
API_VERSION = "2022-01"


def webhook_json(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": str(row["id"]),
        "name": row["name"],
        "url": row["url"],
        "events": json.loads(row["events"]),
        "enabled": bool(row["enabled"]),
        "is_blocked": False,
        "secret": row["secret"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        "batchable": bool(row["batchable"]),
        "version": API_VERSION,
        "last_fired_at": None,
        "response_code": None,
    }


def _load(db: sqlite3.Connection, raw_id: str) -> sqlite3.Row:
    webhook_id = parse_id(raw_id)
    row = (
        None
        if webhook_id is None
        else fetch_one(db, "SELECT * FROM webhooks WHERE id = ?", (webhook_id,))
    )
    if row is None:
        raise model_not_found(WEBHOOK_MODEL, raw_id)
    return row


def _checked(data: dict[str, Any], current: sqlite3.Row | None) -> dict[str, Any]:
    """The stored columns after applying `data`, or a 422 with Laravel's messages."""
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {
        "name": current["name"] if current is not None else "",
        "url": current["url"] if current is not None else None,
        "events": json.loads(current["events"]) if current is not None else None,
        "enabled": bool(current["enabled"]) if current is not None else True,
        "batchable": bool(current["batchable"]) if current is not None else False,
    }
    if "name" in data and data["name"] is not None:
        problems = name_errors(data)
        if problems:
            errors["name"] = problems
        else:
            values["name"] = str(data["name"]).strip()
    if current is None or "url" in data:
        url = data.get("url")
        if not url:
            errors["url"] = ["The url field is required."]
        elif not isinstance(url, str) or not url.startswith(("http://", "https://")):
            errors["url"] = ["The url must be a valid URL."]
        else:
            values["url"] = url
    if current is None or "events" in data:
        events = data.get("events")
        if not events:
            errors["events"] = ["The events field is required."]
        elif not isinstance(events, list):
            errors["events"] = ["The events must be an array."]
        else:
            for index, event in enumerate(events):
                if event not in EVENTS:
                    errors[f"events.{index}"] = [f"The selected events.{index} is invalid."]
            values["events"] = events
    for flag in ("enabled", "batchable"):
        if flag in data:
            if not isinstance(data[flag], bool):
                errors[flag] = [f"The {flag} field must be true or false."]
            else:
                values[flag] = data[flag]
    if not errors and not values["batchable"]:
        for index, event in enumerate(values["events"] or []):
            if event in BATCHABLE_ONLY:
                errors[f"events.{index}"] = [
                    f"The {event} event is only available for batchable webhooks."
                ]
    if errors:
        raise validation_failed(errors)
    return values


class WebhookRoutes:
    def __init__(self, account: Account) -> None:
        self.account = account

    def register(self, router: Router) -> None:
        add(router, "GET", "/api/webhooks", self.list)
        add(router, "POST", "/api/webhooks", self.create)
        add(router, "GET", "/api/webhooks/{webhook_id}", self.get)
        add(router, "PUT", "/api/webhooks/{webhook_id}", self.update)
        add(router, "DELETE", "/api/webhooks/{webhook_id}", self.delete)

    def list(self, call: ApiCall) -> SandboxResponse:
        limit = limit_arg(call, DEFAULT_LIMIT)
        page = page_arg(call)
        with self.account.store.read() as db:
            (total,) = db.execute("SELECT count(*) FROM webhooks").fetchone()
            rows = db.execute(
                "SELECT * FROM webhooks ORDER BY id LIMIT ? OFFSET ?", (limit, (page - 1) * limit)
            ).fetchall()
        items = [webhook_json(row) for row in rows]
        url = call.url("/api/webhooks")
        return ok(page_envelope(items, total=total, page=page, per_page=limit, url=url))

    def get(self, call: ApiCall, webhook_id: str) -> SandboxResponse:
        with self.account.store.read() as db:
            return ok({"data": webhook_json(_load(db, webhook_id))})

    def create(self, call: ApiCall) -> SandboxResponse:
        values = _checked(call.data(), None)
        with self.account.store.write() as db:
            now = self.account.store.now()
            row = returning(
                db,
                "INSERT INTO webhooks (name, url, events, enabled, batchable, secret,"
                " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING *",
                (
                    values["name"],
                    values["url"],
                    json.dumps(values["events"]),
                    int(values["enabled"]),
                    int(values["batchable"]),
                    secrets.token_urlsafe(24),
                    now,
                    now,
                ),
            )
        return ok({"data": webhook_json(row)}, status=201)

    def update(self, call: ApiCall, webhook_id: str) -> SandboxResponse:
        with self.account.store.write() as db:
            current = _load(db, webhook_id)
            values = _checked(call.data(), current)
            row = returning(
                db,
                "UPDATE webhooks SET name = ?, url = ?, events = ?, enabled = ?, batchable = ?,"
                " updated_at = ? WHERE id = ? RETURNING *",
                (
                    values["name"],
                    values["url"],
                    json.dumps(values["events"]),
                    int(values["enabled"]),
                    int(values["batchable"]),
                    self.account.store.now(),
                    current["id"],
                ),
            )
        return ok({"data": webhook_json(row)})

    def delete(self, call: ApiCall, webhook_id: str) -> SandboxResponse:
        with self.account.store.write() as db:
            row = _load(db, webhook_id)
            db.execute("DELETE FROM webhooks WHERE id = ?", (row["id"],))
        return no_content()
