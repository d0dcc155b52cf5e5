"""Tags: static segments addressed by name (fact sheet, 2.5).

`GET /lists/{id}/tag-search?name=` (prefix match, no paging), and a member's tags at
`/lists/{id}/members/{hash}/tags`: GET pages `{tags[{id, name, date_added}]}`, POST
applies `{tags[{name, status: active|inactive}]}` and answers 204 with an empty body.
Tag names are matched case-insensitively; an active tag that does not exist yet is
created as a static segment with the name as sent.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from reconciler.sandbox.mailchimp.context import (
    Ctx,
    Endpoint,
    Reply,
    collection_links,
    no_content,
    ok,
)
from reconciler.sandbox.mailchimp.lookup import require_list, require_member
from reconciler.sandbox.mailchimp.problems import FieldError, invalid_fields
from reconciler.sandbox.mailchimp.store import now
from reconciler.sandbox.mailchimp.validate import BodyCheck

TAG_STATUSES = ("active", "inactive")


def find_tag(db: sqlite3.Connection, list_id: str, name: str) -> int | None:
    row = db.execute(
        "SELECT id FROM segments WHERE list_id = ? AND type = 'static'"
        " AND lower(name) = lower(?) ORDER BY id LIMIT 1",
        (list_id, name.strip()),
    ).fetchone()
    return int(row[0]) if row else None


def create_static_segment(db: sqlite3.Connection, list_id: str, name: str) -> int:
    stamp = now()
    cursor = db.execute(
        "INSERT INTO segments (list_id, name, type, options, created_at, updated_at)"
        " VALUES (?, ?, 'static', NULL, ?, ?)",
        (list_id, name.strip(), stamp, stamp),
    )
    return int(cursor.lastrowid or 0)


def tag_id_for(db: sqlite3.Connection, list_id: str, name: str) -> int:
    found = find_tag(db, list_id, name)
    return found if found is not None else create_static_segment(db, list_id, name)


def add_to_segment(db: sqlite3.Connection, segment_id: int, member_ids: Iterable[int]) -> int:
    """Adds members not yet in the segment; returns how many were added."""
    stamp = now()
    cursor = db.executemany(
        "INSERT OR IGNORE INTO segment_members (segment_id, member_id, date_added)"
        " VALUES (?, ?, ?)",
        ((segment_id, m, stamp) for m in member_ids),
    )
    return cursor.rowcount


def remove_from_segment(db: sqlite3.Connection, segment_id: int, member_ids: Iterable[int]) -> int:
    cursor = db.executemany(
        "DELETE FROM segment_members WHERE segment_id = ? AND member_id = ?",
        ((segment_id, m) for m in member_ids),
    )
    return cursor.rowcount


def add_tags(db: sqlite3.Connection, list_id: str, member_id: int, names: Iterable[str]) -> None:
    for name in names:
        if name.strip():
            add_to_segment(db, tag_id_for(db, list_id, name), [member_id])


def replace_tags(
    db: sqlite3.Connection, list_id: str, member_id: int, names: Iterable[str]
) -> None:
    """Leaves the member with exactly these tags (batch subscribe's `sync_tags`)."""
    keep = {tag_id_for(db, list_id, n) for n in names if n.strip()}
    current = {
        r[0]
        for r in db.execute(
            "SELECT sm.segment_id FROM segment_members sm JOIN segments s"
            " ON s.id = sm.segment_id WHERE sm.member_id = ? AND s.type = 'static'",
            (member_id,),
        )
    }
    for segment_id in current - keep:
        remove_from_segment(db, segment_id, [member_id])
    for segment_id in keep - current:
        add_to_segment(db, segment_id, [member_id])


def tag_search(ctx: Ctx, list_id: str) -> Reply:
    require_list(ctx.db, list_id)
    prefix = ctx.arg("name") or ""
    rows = ctx.db.execute(
        "SELECT id, name FROM segments WHERE list_id = ? AND type = 'static'"
        " AND lower(substr(name, 1, ?)) = lower(?) ORDER BY name, id",
        (list_id, len(prefix), prefix),
    ).fetchall()
    return ok(
        {"tags": [{"id": r["id"], "name": r["name"]} for r in rows], "total_items": len(rows)}
    )


def list_member_tags(ctx: Ctx, list_id: str, subscriber_hash: str) -> Reply:
    require_list(ctx.db, list_id)
    member = require_member(ctx.db, list_id, subscriber_hash)
    source = (
        "FROM segment_members sm JOIN segments s ON s.id = sm.segment_id"
        " WHERE sm.member_id = ? AND s.type = 'static'"
    )
    total = ctx.db.execute(f"SELECT COUNT(*) {source}", (member["id"],)).fetchone()[0]
    page = ctx.page()
    rows = ctx.db.execute(
        f"SELECT s.id, s.name, sm.date_added {source} ORDER BY s.id LIMIT ? OFFSET ?",
        (member["id"], page.count, page.offset),
    ).fetchall()
    path = f"/lists/{list_id}/members/{member['hash']}"
    return ok(
        {
            "tags": [{"id": r[0], "name": r[1], "date_added": r[2]} for r in rows],
            "total_items": total,
            "_links": collection_links(ctx, f"{path}/tags", path, "Lists/Members/Tags"),
        }
    )


def update_member_tags(ctx: Ctx, list_id: str, subscriber_hash: str) -> Reply:
    require_list(ctx.db, list_id)
    member = require_member(ctx.db, list_id, subscriber_hash)
    check = BodyCheck(ctx.object_body())
    raw_tags = check.body.get("tags")
    check.boolean("is_syncing")
    if not isinstance(raw_tags, list):
        check.add("tags", "This value should be a list of {name, status} objects.")
        raw_tags = []
    wanted: list[tuple[str, str]] = []
    for index, raw in enumerate(raw_tags):
        if not isinstance(raw, dict):
            check.add(f"tags[{index}]", "This value should be an object.")
            continue
        item = BodyCheck(raw, f"tags[{index}].", check.errors)
        name = item.string("name", required=True, blank_ok=False)
        status = item.choice("status", TAG_STATUSES, required=True)
        if name is not None and status is not None:
            wanted.append((name, status))
    check.raise_if_any()
    for name, status in wanted:
        if status == "active":
            add_tags(ctx.db, list_id, member["id"], [name])
        elif (tag_id := find_tag(ctx.db, list_id, name)) is not None:
            remove_from_segment(ctx.db, tag_id, [member["id"]])
    return no_content()


def require_tag_names(names: list[str] | None) -> list[str]:
    if names is not None and any(not n.strip() for n in names):
        raise invalid_fields([FieldError("tags", "Tag names must not be blank.")])
    return names or []


_MEMBER = "/lists/{list_id}/members/{subscriber_hash}"
ENDPOINTS = [
    Endpoint("GET", "/lists/{list_id}/tag-search", tag_search),
    Endpoint("GET", _MEMBER + "/tags", list_member_tags),
    Endpoint("POST", _MEMBER + "/tags", update_member_tags),
]
