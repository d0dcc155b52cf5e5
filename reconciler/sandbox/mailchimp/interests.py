"""Interest categories ("group titles") and interests ("group names").

Paths: `/lists/{list_id}/interest-categories[/{category_id}[/interests[/{interest_id}]]]`.
`subscriber_count` is a string (fact sheet, 2.3) counting subscribed members.

Choices where the sheet is silent:
- A repeated category title on the audience, or a repeated interest name within its
  category (both compared case-insensitively), is refused with 400 Invalid Resource;
  the sheet says to plan on that answer.
- More than 60 interests per audience (the documented allowance) is refused likewise.
- A missing `display_order` places the new item after the existing ones.
- Deleting a category deletes its interests; deleting either drops member memberships.
"""

from __future__ import annotations

import sqlite3
from typing import Any

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
from reconciler.sandbox.mailchimp.lookup import require_category, require_list
from reconciler.sandbox.mailchimp.problems import FieldError, invalid, invalid_fields, not_found
from reconciler.sandbox.mailchimp.store import new_hex_id
from reconciler.sandbox.mailchimp.validate import BodyCheck

CATEGORY_TYPES = ("checkboxes", "dropdown", "radio", "hidden")
CATEGORY_KIND = "Lists/InterestCategories"
INTEREST_KIND = "Lists/InterestCategories/Interests"


def _category_path(list_id: str, category_id: str = "") -> str:
    base = f"/lists/{list_id}/interest-categories"
    return f"{base}/{category_id}" if category_id else base


def render_category(ctx: Ctx, row: sqlite3.Row, prefix: str = "") -> dict[str, Any]:
    doc: dict[str, Any] = {
        "list_id": row["list_id"],
        "id": row["id"],
        "title": row["title"],
        "display_order": row["display_order"],
        "type": row["type"],
    }
    if ctx.wants(prefix + "_links"):
        path = _category_path(row["list_id"], row["id"])
        doc["_links"] = item_links(
            ctx,
            path,
            _category_path(row["list_id"]),
            CATEGORY_KIND,
            extra=[link(ctx, "interests", f"{path}/interests")],
        )
    return doc


def render_interest(ctx: Ctx, row: sqlite3.Row, prefix: str = "") -> dict[str, Any]:
    doc: dict[str, Any] = {
        "category_id": row["category_id"],
        "list_id": row["list_id"],
        "id": row["id"],
        "name": row["name"],
    }
    if ctx.wants(prefix + "subscriber_count"):
        count = ctx.db.execute(
            "SELECT COUNT(*) FROM member_interests mi JOIN members m ON m.id = mi.member_id"
            " WHERE mi.interest_id = ? AND m.status = 'subscribed'",
            (row["id"],),
        ).fetchone()[0]
        doc["subscriber_count"] = str(count)
    doc["display_order"] = row["display_order"]
    if ctx.wants(prefix + "_links"):
        parent = _category_path(row["list_id"], row["category_id"]) + "/interests"
        doc["_links"] = item_links(ctx, f"{parent}/{row['id']}", parent, INTEREST_KIND)
    return doc


def _title_taken(ctx: Ctx, list_id: str, title: str, own_id: str = "") -> bool:
    return (
        ctx.db.execute(
            "SELECT 1 FROM interest_categories WHERE list_id = ? AND lower(title) = lower(?)"
            " AND id != ?",
            (list_id, title, own_id),
        ).fetchone()
        is not None
    )


def _name_taken(ctx: Ctx, category_id: str, name: str, own_id: str = "") -> bool:
    return (
        ctx.db.execute(
            "SELECT 1 FROM interests WHERE category_id = ? AND lower(name) = lower(?) AND id != ?",
            (category_id, name, own_id),
        ).fetchone()
        is not None
    )


def list_categories(ctx: Ctx, list_id: str) -> Reply:
    require_list(ctx.db, list_id)
    where, params = "list_id = ?", [list_id]
    if type_ := ctx.arg("type"):
        where += " AND type = ?"
        params.append(type_)
    total = ctx.db.execute(
        f"SELECT COUNT(*) FROM interest_categories WHERE {where}", params
    ).fetchone()[0]
    page = ctx.page()
    rows = ctx.db.execute(
        f"SELECT * FROM interest_categories WHERE {where} ORDER BY display_order, seq"
        " LIMIT ? OFFSET ?",
        [*params, page.count, page.offset],
    ).fetchall()
    return ok(
        {
            "list_id": list_id,
            "categories": [render_category(ctx, r, "categories.") for r in rows],
            "total_items": total,
            "_links": collection_links(
                ctx, _category_path(list_id), f"/lists/{list_id}", CATEGORY_KIND
            ),
        }
    )


def create_category(ctx: Ctx, list_id: str) -> Reply:
    require_list(ctx.db, list_id)
    check = BodyCheck(ctx.object_body())
    title = check.string("title", required=True, blank_ok=False, max_len=100)
    type_ = check.choice("type", CATEGORY_TYPES, required=True)
    order = check.integer("display_order")
    check.raise_if_any()
    assert title is not None and type_ is not None
    if _title_taken(ctx, list_id, title):
        raise invalid_fields([FieldError("title", f'An interest category "{title}" exists.')])
    if order is None:
        order = ctx.db.execute(
            "SELECT COALESCE(MAX(display_order), 0) + 1 FROM interest_categories WHERE list_id = ?",
            (list_id,),
        ).fetchone()[0]
    category_id = new_hex_id()
    ctx.db.execute(
        "INSERT INTO interest_categories (id, list_id, title, type, display_order)"
        " VALUES (?, ?, ?, ?, ?)",
        (category_id, list_id, title, type_, order),
    )
    return ok(render_category(ctx, require_category(ctx.db, list_id, category_id)))


def get_category(ctx: Ctx, list_id: str, category_id: str) -> Reply:
    require_list(ctx.db, list_id)
    return ok(render_category(ctx, require_category(ctx.db, list_id, category_id)))


def update_category(ctx: Ctx, list_id: str, category_id: str) -> Reply:
    require_list(ctx.db, list_id)
    row = require_category(ctx.db, list_id, category_id)
    check = BodyCheck(ctx.object_body())
    title = check.string("title", blank_ok=False, max_len=100)
    type_ = check.choice("type", CATEGORY_TYPES)
    order = check.integer("display_order")
    check.raise_if_any()
    if title is not None and _title_taken(ctx, list_id, title, category_id):
        raise invalid_fields([FieldError("title", f'An interest category "{title}" exists.')])
    ctx.db.execute(
        "UPDATE interest_categories SET title = ?, type = ?, display_order = ? WHERE id = ?",
        (
            title if title is not None else row["title"],
            type_ or row["type"],
            row["display_order"] if order is None else order,
            category_id,
        ),
    )
    return ok(render_category(ctx, require_category(ctx.db, list_id, category_id)))


def delete_category(ctx: Ctx, list_id: str, category_id: str) -> Reply:
    require_list(ctx.db, list_id)
    require_category(ctx.db, list_id, category_id)
    ctx.db.execute(
        "DELETE FROM member_interests WHERE interest_id IN"
        " (SELECT id FROM interests WHERE category_id = ?)",
        (category_id,),
    )
    ctx.db.execute("DELETE FROM interests WHERE category_id = ?", (category_id,))
    ctx.db.execute("DELETE FROM interest_categories WHERE id = ?", (category_id,))
    return no_content()


def _require_interest(ctx: Ctx, list_id: str, category_id: str, interest_id: str) -> sqlite3.Row:
    require_list(ctx.db, list_id)
    require_category(ctx.db, list_id, category_id)
    row: sqlite3.Row | None = ctx.db.execute(
        "SELECT * FROM interests WHERE category_id = ? AND id = ?", (category_id, interest_id)
    ).fetchone()
    if row is None:
        raise not_found()
    return row


def list_interests(ctx: Ctx, list_id: str, category_id: str) -> Reply:
    require_list(ctx.db, list_id)
    require_category(ctx.db, list_id, category_id)
    total = ctx.db.execute(
        "SELECT COUNT(*) FROM interests WHERE category_id = ?", (category_id,)
    ).fetchone()[0]
    page = ctx.page()
    rows = ctx.db.execute(
        "SELECT * FROM interests WHERE category_id = ? ORDER BY display_order, seq"
        " LIMIT ? OFFSET ?",
        (category_id, page.count, page.offset),
    ).fetchall()
    path = _category_path(list_id, category_id)
    return ok(
        {
            "interests": [render_interest(ctx, r, "interests.") for r in rows],
            "list_id": list_id,
            "category_id": category_id,
            "total_items": total,
            "_links": collection_links(ctx, f"{path}/interests", path, INTEREST_KIND),
        }
    )


def create_interest(ctx: Ctx, list_id: str, category_id: str) -> Reply:
    require_list(ctx.db, list_id)
    require_category(ctx.db, list_id, category_id)
    check = BodyCheck(ctx.object_body())
    name = check.string("name", required=True, blank_ok=False, max_len=100)
    order = check.integer("display_order")
    check.raise_if_any()
    assert name is not None
    if _name_taken(ctx, category_id, name):
        raise invalid_fields([FieldError("name", f'An interest "{name}" exists in this group.')])
    in_list = ctx.db.execute(
        "SELECT COUNT(*) FROM interests WHERE list_id = ?", (list_id,)
    ).fetchone()[0]
    if in_list >= ctx.settings.interest_limit:
        raise invalid(
            f"This audience already has {in_list} interests, the most allowed across all"
            " interest categories."
        )
    if order is None:
        order = ctx.db.execute(
            "SELECT COALESCE(MAX(display_order), 0) + 1 FROM interests WHERE category_id = ?",
            (category_id,),
        ).fetchone()[0]
    interest_id = new_hex_id()
    ctx.db.execute(
        "INSERT INTO interests (id, category_id, list_id, name, display_order)"
        " VALUES (?, ?, ?, ?, ?)",
        (interest_id, category_id, list_id, name, order),
    )
    return ok(render_interest(ctx, _require_interest(ctx, list_id, category_id, interest_id)))


def get_interest(ctx: Ctx, list_id: str, category_id: str, interest_id: str) -> Reply:
    return ok(render_interest(ctx, _require_interest(ctx, list_id, category_id, interest_id)))


def update_interest(ctx: Ctx, list_id: str, category_id: str, interest_id: str) -> Reply:
    row = _require_interest(ctx, list_id, category_id, interest_id)
    check = BodyCheck(ctx.object_body())
    name = check.string("name", blank_ok=False, max_len=100)
    order = check.integer("display_order")
    check.raise_if_any()
    if name is not None and _name_taken(ctx, category_id, name, interest_id):
        raise invalid_fields([FieldError("name", f'An interest "{name}" exists in this group.')])
    ctx.db.execute(
        "UPDATE interests SET name = ?, display_order = ? WHERE id = ?",
        (
            name if name is not None else row["name"],
            row["display_order"] if order is None else order,
            interest_id,
        ),
    )
    return ok(render_interest(ctx, _require_interest(ctx, list_id, category_id, interest_id)))


def delete_interest(ctx: Ctx, list_id: str, category_id: str, interest_id: str) -> Reply:
    _require_interest(ctx, list_id, category_id, interest_id)
    ctx.db.execute("DELETE FROM member_interests WHERE interest_id = ?", (interest_id,))
    ctx.db.execute("DELETE FROM interests WHERE id = ?", (interest_id,))
    return no_content()


_CAT = "/lists/{list_id}/interest-categories"
_ONE = _CAT + "/{category_id}"
ENDPOINTS = [
    Endpoint("GET", _CAT, list_categories),
    Endpoint("POST", _CAT, create_category),
    Endpoint("GET", _ONE, get_category),
    Endpoint("PATCH", _ONE, update_category),
    Endpoint("DELETE", _ONE, delete_category),
    Endpoint("GET", _ONE + "/interests", list_interests),
    Endpoint("POST", _ONE + "/interests", create_interest),
    Endpoint("GET", _ONE + "/interests/{interest_id}", get_interest),
    Endpoint("PATCH", _ONE + "/interests/{interest_id}", update_interest),
    Endpoint("DELETE", _ONE + "/interests/{interest_id}", delete_interest),
]
