"""Audiences: `/lists` and `/lists/{list_id}` (batch subscribe lives in `batch_subscribe`).

Create requires `name`, `contact{company, address1, city, country}`,
`permission_reminder`, `campaign_defaults{from_name, from_email, subject, language}` and
`email_type_option`, as the fact sheet lists (2.1); each missing one is named in
`errors[]`. `subject` may be "". An unknown `contact.country` becomes "US", as the
current spec describes.

Choices where the sheet is silent:
- PATCH takes partial bodies (D-MP; the current spec): sent keys are merged into the
  stored settings, `contact` and `campaign_defaults` key by key, and the result must
  still be complete.
- Creating an audience beyond `audience_limit` is refused with 400 Invalid Resource;
  `GET /lists` reports the limit in `constraints` (`max_instances` -1 when unlimited).
- `stats.total_contacts` is only present with `include_total_contacts=true`.
"""

from __future__ import annotations

import json
import re
import sqlite3
from typing import Any

from reconciler.sandbox.mailchimp import merge_fields
from reconciler.sandbox.mailchimp.context import (
    Ctx,
    Endpoint,
    Reply,
    collection_links,
    item_links,
    link,
    no_content,
    ok,
)
from reconciler.sandbox.mailchimp.lookup import require_list
from reconciler.sandbox.mailchimp.problems import invalid
from reconciler.sandbox.mailchimp.store import new_hex_id, new_web_id, now, subscriber_hash
from reconciler.sandbox.mailchimp.validate import BodyCheck

KIND = "Lists"
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
NESTED = ("contact", "campaign_defaults")


def _merged(current: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    doc = dict(current)
    for key, value in body.items():
        if key in NESTED and isinstance(value, dict) and isinstance(doc.get(key), dict):
            doc[key] = {**doc[key], **value}
        else:
            doc[key] = value
    return doc


def _validated(doc: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(name, settings) from a complete audience document, or 400 naming each bad field."""
    check = BodyCheck(doc)
    name = check.string("name", required=True, blank_ok=False, max_len=100)
    settings: dict[str, Any] = {}
    contact = check.obj("contact", required=True)
    if contact is not None:
        fields: dict[str, Any] = {}
        for key in ("company", "address1", "city", "country"):
            fields[key] = contact.string(key, required=True, blank_ok=False)
        for key in ("address2", "state", "zip", "phone"):
            fields[key] = contact.string(key) or ""
        country = (fields["country"] or "").strip().upper()
        fields["country"] = country if re.fullmatch(r"[A-Z]{2}", country) else "US"
        settings["contact"] = fields
    settings["permission_reminder"] = check.string(
        "permission_reminder", required=True, blank_ok=False
    )
    defaults = check.obj("campaign_defaults", required=True)
    if defaults is not None:
        settings["campaign_defaults"] = {
            "from_name": defaults.string("from_name", required=True, blank_ok=False),
            "from_email": defaults.string("from_email", required=True, blank_ok=False),
            "subject": defaults.string("subject", required=True),
            "language": defaults.string("language", required=True, blank_ok=False),
        }
        sender = settings["campaign_defaults"]["from_email"]
        if sender and not EMAIL_PATTERN.match(sender):
            defaults.add("from_email", "Please provide a valid email address.")
    settings["email_type_option"] = check.boolean("email_type_option", required=True)
    for key in ("use_archive_bar", "double_optin", "marketing_permissions", "has_welcome"):
        settings[key] = bool(check.boolean(key))
    for key in ("notify_on_subscribe", "notify_on_unsubscribe"):
        settings[key] = check.string(key) or ""
    settings["visibility"] = check.choice("visibility", ("pub", "prv")) or "pub"
    check.raise_if_any()
    assert name is not None
    return name, settings


def _document(row: sqlite3.Row) -> dict[str, Any]:
    return {"name": row["name"], **json.loads(row["settings"])}


def _stats(ctx: Ctx, list_id: str, with_total: bool) -> dict[str, Any]:
    counts = dict(
        ctx.db.execute(
            "SELECT status, COUNT(*) FROM members WHERE list_id = ? GROUP BY status", (list_id,)
        ).fetchall()
    )
    merge_count = ctx.db.execute(
        "SELECT COUNT(*) FROM merge_fields WHERE list_id = ?", (list_id,)
    ).fetchone()[0]
    stats: dict[str, Any] = {"member_count": counts.get("subscribed", 0)}
    if with_total:
        stats["total_contacts"] = sum(counts.values())
    stats.update(
        {
            "unsubscribe_count": counts.get("unsubscribed", 0),
            "cleaned_count": counts.get("cleaned", 0),
            "member_count_since_send": counts.get("subscribed", 0),
            "unsubscribe_count_since_send": counts.get("unsubscribed", 0),
            "cleaned_count_since_send": counts.get("cleaned", 0),
            "campaign_count": 0,
            "campaign_last_sent": "",
            "merge_field_count": merge_count,
            "avg_sub_rate": 0,
            "avg_unsub_rate": 0,
            "target_sub_rate": 0,
            "open_rate": 0,
            "click_rate": 0,
            # Dates of the last (un)subscribe would need a scan of every member; the
            # sandbox has no campaigns that would use them.
            "last_sub_date": "",
            "last_unsub_date": "",
        }
    )
    return stats


def render(ctx: Ctx, row: sqlite3.Row, prefix: str = "") -> dict[str, Any]:
    list_id = row["id"]
    settings = json.loads(row["settings"])
    doc: dict[str, Any] = {
        "id": list_id,
        "web_id": row["web_id"],
        "name": row["name"],
        "contact": settings["contact"],
        "permission_reminder": settings["permission_reminder"],
        "use_archive_bar": settings["use_archive_bar"],
        "campaign_defaults": settings["campaign_defaults"],
        "notify_on_subscribe": settings["notify_on_subscribe"],
        "notify_on_unsubscribe": settings["notify_on_unsubscribe"],
        "date_created": row["date_created"],
        "list_rating": 0,
        "email_type_option": settings["email_type_option"],
        "subscribe_url_short": f"{ctx.host_url}/s/{row['web_id']}",
        "subscribe_url_long": f"{ctx.host_url}/subscribe?u=sandbox&id={list_id}",
        "beamer_address": f"{list_id}@inbound.sandbox.invalid",
        "visibility": settings["visibility"],
        "double_optin": settings["double_optin"],
        "has_welcome": settings["has_welcome"],
        "marketing_permissions": settings["marketing_permissions"],
        "modules": [],
    }
    if ctx.wants(prefix + "stats"):
        doc["stats"] = _stats(ctx, list_id, ctx.flag("include_total_contacts"))
    if ctx.wants(prefix + "_links"):
        path = f"/lists/{list_id}"
        doc["_links"] = item_links(
            ctx,
            path,
            "/lists",
            KIND,
            extra=[
                link(ctx, "batch-sub-unsub-members", path, "POST", schema="Lists/BatchPOST.json"),
                link(ctx, "members", f"{path}/members"),
                link(ctx, "merge-fields", f"{path}/merge-fields"),
                link(ctx, "interest-categories", f"{path}/interest-categories"),
                link(ctx, "segments", f"{path}/segments"),
            ],
        )
    return doc


def _constraints(ctx: Ctx) -> dict[str, Any]:
    total = ctx.db.execute("SELECT COUNT(*) FROM lists").fetchone()[0]
    limit = ctx.settings.audience_limit
    return {
        "may_create": limit is None or total < limit,
        "max_instances": -1 if limit is None else limit,
        "current_total_instances": total,
    }


def list_lists(ctx: Ctx) -> Reply:
    where, params = ["1 = 1"], []
    if email := ctx.arg("email"):
        where.append("id IN (SELECT list_id FROM members WHERE hash = ?)")
        params.append(subscriber_hash(email))
    for arg, op in (("since_date_created", ">="), ("before_date_created", "<")):
        if value := ctx.arg(arg):
            where.append(f"date_created {op} ?")
            params.append(value)
    direction = "DESC" if (ctx.arg("sort_dir") or "").upper() == "DESC" else "ASC"
    order = f"date_created {direction}, seq {direction}" if ctx.arg("sort_field") else "seq"
    sql_where = " AND ".join(where)
    total = ctx.db.execute(f"SELECT COUNT(*) FROM lists WHERE {sql_where}", params).fetchone()[0]
    page = ctx.page()
    rows = ctx.db.execute(
        f"SELECT * FROM lists WHERE {sql_where} ORDER BY {order} LIMIT ? OFFSET ?",
        [*params, page.count, page.offset],
    ).fetchall()
    return ok(
        {
            "lists": [render(ctx, row, "lists.") for row in rows],
            "total_items": total,
            "constraints": _constraints(ctx),
            "_links": collection_links(ctx, "/lists", "", KIND),
        }
    )


def create_list(ctx: Ctx) -> Reply:
    name, settings = _validated(ctx.object_body())
    constraints = _constraints(ctx)
    if not constraints["may_create"]:
        raise invalid(
            f"This account already has {constraints['current_total_instances']} audiences,"
            f" the most its plan allows ({constraints['max_instances']})."
        )
    list_id = new_hex_id()
    ctx.db.execute(
        "INSERT INTO lists (id, web_id, name, settings, date_created) VALUES (?, ?, ?, ?, ?)",
        (list_id, new_web_id(), name, json.dumps(settings), now()),
    )
    merge_fields.add_defaults(ctx.db, list_id)
    return ok(render(ctx, require_list(ctx.db, list_id)))


def get_list(ctx: Ctx, list_id: str) -> Reply:
    return ok(render(ctx, require_list(ctx.db, list_id)))


def update_list(ctx: Ctx, list_id: str) -> Reply:
    row = require_list(ctx.db, list_id)
    name, settings = _validated(_merged(_document(row), ctx.object_body()))
    ctx.db.execute(
        "UPDATE lists SET name = ?, settings = ? WHERE id = ?",
        (name, json.dumps(settings), list_id),
    )
    return ok(render(ctx, require_list(ctx.db, list_id)))


def delete_list(ctx: Ctx, list_id: str) -> Reply:
    require_list(ctx.db, list_id)
    db = ctx.db
    members = "SELECT id FROM members WHERE list_id = ?"
    db.execute(f"DELETE FROM member_interests WHERE member_id IN ({members})", (list_id,))
    db.execute(
        "DELETE FROM segment_members WHERE segment_id IN"
        " (SELECT id FROM segments WHERE list_id = ?)",
        (list_id,),
    )
    for table in (
        "members",
        "segments",
        "interests",
        "interest_categories",
        "merge_fields",
        "webhooks",
    ):
        db.execute(f"DELETE FROM {table} WHERE list_id = ?", (list_id,))
    db.execute("DELETE FROM forgotten WHERE list_id = ?", (list_id,))
    db.execute("DELETE FROM lists WHERE id = ?", (list_id,))
    return no_content()


ENDPOINTS = [
    Endpoint("GET", "/lists", list_lists),
    Endpoint("POST", "/lists", create_list),
    Endpoint("GET", "/lists/{list_id}", get_list),
    Endpoint("PATCH", "/lists/{list_id}", update_list),
    Endpoint("DELETE", "/lists/{list_id}", delete_list),
]
