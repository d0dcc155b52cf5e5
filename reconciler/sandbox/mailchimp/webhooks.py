"""Audience webhooks: `/lists/{list_id}/webhooks` list, create, get, update (PATCH) and
delete, stored per audience as the API answers them: `{id, url, events{subscribe,
unsubscribe, profile, cleaned, upemail, campaign}, sources{user, admin, api}, list_id}`.

The list is not paged (the API takes no count or offset here) and answers
`{webhooks[], list_id, total_items, _links}`. A flag left out of a POST is false.

One difference from the real API, on purpose: Mailchimp checks a new webhook's URL by
sending it a GET and refuses the webhook unless that answers 200. The sandbox sends no
request anywhere and accepts any http(s) URL, so that tests and local runs need no
receiver. As Mailchimp does, it refuses a second webhook with the same URL on one
audience. Error messages never quote a URL.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from reconciler.sandbox.mailchimp.context import (
    Ctx,
    Endpoint,
    Reply,
    collection_links,
    item_links,
    no_content,
    ok,
)
from reconciler.sandbox.mailchimp.lookup import require_list
from reconciler.sandbox.mailchimp.problems import invalid, not_found
from reconciler.sandbox.mailchimp.store import new_hex_id
from reconciler.sandbox.mailchimp.validate import BodyCheck

EVENTS = ("subscribe", "unsubscribe", "profile", "cleaned", "upemail", "campaign")
SOURCES = ("user", "admin", "api")
KIND = "Lists/Webhooks"


def _json(ctx: Ctx, row: sqlite3.Row) -> dict[str, Any]:
    path = f"/lists/{row['list_id']}/webhooks/{row['id']}"
    return {
        "id": row["id"],
        "url": row["url"],
        "events": json.loads(row["events"]),
        "sources": json.loads(row["sources"]),
        "list_id": row["list_id"],
        "_links": item_links(ctx, path, f"/lists/{row['list_id']}/webhooks", KIND),
    }


def _require(db: sqlite3.Connection, list_id: str, webhook_id: str) -> sqlite3.Row:
    row: sqlite3.Row | None = db.execute(
        "SELECT * FROM webhooks WHERE list_id = ? AND id = ?", (list_id, webhook_id)
    ).fetchone()
    if row is None:
        raise not_found()
    return row


def _flags(
    check: BodyCheck, key: str, names: tuple[str, ...], current: dict[str, bool]
) -> dict[str, bool]:
    nested = check.obj(key)
    flags = dict(current)
    if nested is None:
        return flags
    for name in names:
        value = nested.boolean(name)
        if value is not None:
            flags[name] = value
    return flags


def _url(check: BodyCheck, *, required: bool) -> str | None:
    url = check.string("url", required=required, blank_ok=False)
    if url is not None and not url.startswith(("http://", "https://")):
        check.add("url", "This value should be a valid URL.")
        return None
    return url


def _refuse_duplicate(db: sqlite3.Connection, list_id: str, url: str, own_id: str = "") -> None:
    taken = db.execute(
        "SELECT 1 FROM webhooks WHERE list_id = ? AND url = ? AND id != ?", (list_id, url, own_id)
    ).fetchone()
    if taken:
        raise invalid("Sorry, you can't use the same webhook URL twice on one audience.")


def list_webhooks(ctx: Ctx, list_id: str) -> Reply:
    require_list(ctx.db, list_id)
    rows = ctx.db.execute(
        "SELECT * FROM webhooks WHERE list_id = ? ORDER BY seq", (list_id,)
    ).fetchall()
    path = f"/lists/{list_id}/webhooks"
    return ok(
        {
            "webhooks": [_json(ctx, row) for row in rows],
            "list_id": list_id,
            "total_items": len(rows),
            "_links": collection_links(ctx, path, f"/lists/{list_id}", KIND),
        }
    )


def create_webhook(ctx: Ctx, list_id: str) -> Reply:
    require_list(ctx.db, list_id)
    check = BodyCheck(ctx.object_body())
    url = _url(check, required=True)
    events = _flags(check, "events", EVENTS, dict.fromkeys(EVENTS, False))
    sources = _flags(check, "sources", SOURCES, dict.fromkeys(SOURCES, False))
    check.raise_if_any()
    assert url is not None
    _refuse_duplicate(ctx.db, list_id, url)
    webhook_id = new_hex_id()
    ctx.db.execute(
        "INSERT INTO webhooks (id, list_id, url, events, sources) VALUES (?, ?, ?, ?, ?)",
        (webhook_id, list_id, url, json.dumps(events), json.dumps(sources)),
    )
    return ok(_json(ctx, _require(ctx.db, list_id, webhook_id)))


def get_webhook(ctx: Ctx, list_id: str, webhook_id: str) -> Reply:
    require_list(ctx.db, list_id)
    return ok(_json(ctx, _require(ctx.db, list_id, webhook_id)))


def update_webhook(ctx: Ctx, list_id: str, webhook_id: str) -> Reply:
    require_list(ctx.db, list_id)
    row = _require(ctx.db, list_id, webhook_id)
    check = BodyCheck(ctx.object_body())
    url = _url(check, required=False) or row["url"]
    events = _flags(check, "events", EVENTS, json.loads(row["events"]))
    sources = _flags(check, "sources", SOURCES, json.loads(row["sources"]))
    check.raise_if_any()
    _refuse_duplicate(ctx.db, list_id, url, webhook_id)
    ctx.db.execute(
        "UPDATE webhooks SET url = ?, events = ?, sources = ? WHERE id = ?",
        (url, json.dumps(events), json.dumps(sources), webhook_id),
    )
    return ok(_json(ctx, _require(ctx.db, list_id, webhook_id)))


def delete_webhook(ctx: Ctx, list_id: str, webhook_id: str) -> Reply:
    require_list(ctx.db, list_id)
    _require(ctx.db, list_id, webhook_id)
    ctx.db.execute("DELETE FROM webhooks WHERE id = ?", (webhook_id,))
    return no_content()


_ITEM = "/lists/{list_id}/webhooks/{webhook_id}"
ENDPOINTS = [
    Endpoint("GET", "/lists/{list_id}/webhooks", list_webhooks),
    Endpoint("POST", "/lists/{list_id}/webhooks", create_webhook),
    Endpoint("GET", _ITEM, get_webhook),
    Endpoint("PATCH", _ITEM, update_webhook),
    Endpoint("DELETE", _ITEM, delete_webhook),
]
