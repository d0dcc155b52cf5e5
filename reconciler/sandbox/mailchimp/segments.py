"""Segments: saved (conditions), static (= tags) and their members.

Paths under `/lists/{list_id}/segments` (fact sheet, 2.4): collection GET/POST; one
segment GET/PATCH/DELETE and POST (static batch add/remove, at most 500 of each);
`/members` GET/POST and `/members/{subscriber_hash}` DELETE.

Create takes `name` plus exactly one of `options{match, conditions}` (saved) or
`static_segment[emails]` (static; addresses not on the list are ignored). Neither, or
both, is 400 Invalid Resource. `member_count` counts subscribed members, plus cleaned,
transactional or unsubscribed ones with `include_cleaned`, `include_transactional`,
`include_unsubscribed`; the same flags filter the segment member listing.

Choices where the sheet is silent:
- Names are unique per audience among tags, and separately among saved segments
  (case-insensitive); a repeat is 400 Invalid Resource.
- PATCH `options` replaces the conditions of a saved segment; PATCH `static_segment`
  replaces the members of a static one (`[]` empties it); sending the other kind's
  field is 400.
- In a batch, addresses not on the list are reported in `errors[]`; adding a member
  already in the segment, or removing one not in it, is neither an addition/removal
  nor an error.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from reconciler.sandbox.mailchimp.conditions import SegmentOptions, compile_options, read_options
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
from reconciler.sandbox.mailchimp.lookup import require_list, require_member, require_segment
from reconciler.sandbox.mailchimp.member_query import MemberQuery, in_clause
from reconciler.sandbox.mailchimp.member_view import MemberView
from reconciler.sandbox.mailchimp.problems import FieldError, invalid, invalid_fields, not_found
from reconciler.sandbox.mailchimp.store import now, subscriber_hash
from reconciler.sandbox.mailchimp.tags import (
    add_to_segment,
    create_static_segment,
    remove_from_segment,
)
from reconciler.sandbox.mailchimp.validate import BodyCheck

BATCH_LIMIT = 500
KIND = "Lists/Segments"
SEGMENT_TYPES = ("saved", "static", "fuzzy")


def _statuses(ctx: Ctx) -> list[str]:
    statuses = ["subscribed"]
    for flag, status in (
        ("include_cleaned", "cleaned"),
        ("include_transactional", "transactional"),
        ("include_unsubscribed", "unsubscribed"),
    ):
        if ctx.flag(flag):
            statuses.append(status)
    return statuses


def members_of(ctx: Ctx, segment: sqlite3.Row) -> MemberQuery:
    """The members a segment holds, restricted to the statuses the request includes."""
    list_id = segment["list_id"]
    if segment["type"] == "saved":
        options = SegmentOptions(**json.loads(segment["options"]))
        query = MemberQuery(list_id).where(*_flat(compile_options(ctx.db, list_id, options)))
    else:
        query = MemberQuery(
            list_id, source="segment_members sm JOIN members m ON m.id = sm.member_id"
        )
        query.where("sm.segment_id = ?", segment["id"])
    clause, params = in_clause("m.status", _statuses(ctx))
    return query.where(clause, *params)


def _flat(sql: tuple[str, list[Any]]) -> tuple[Any, ...]:
    return (sql[0], *sql[1])


def render(ctx: Ctx, segment: sqlite3.Row, prefix: str = "") -> dict[str, Any]:
    doc: dict[str, Any] = {"id": segment["id"], "name": segment["name"]}
    if ctx.wants(prefix + "member_count"):
        doc["member_count"] = members_of(ctx, segment).count(ctx)
    doc.update(
        {
            "type": segment["type"],
            "created_at": segment["created_at"],
            "updated_at": segment["updated_at"],
        }
    )
    if segment["type"] == "saved":
        doc["options"] = json.loads(segment["options"])
    doc["list_id"] = segment["list_id"]
    if ctx.wants(prefix + "_links"):
        base = f"/lists/{segment['list_id']}/segments"
        path = f"{base}/{segment['id']}"
        doc["_links"] = item_links(
            ctx, path, base, KIND, extra=[link(ctx, "members", f"{path}/members")]
        )
    return doc


def _name_taken(ctx: Ctx, list_id: str, name: str, static: bool, own_id: int = 0) -> bool:
    kinds = ("static",) if static else ("saved", "fuzzy")
    clause, params = in_clause("type", list(kinds))
    return (
        ctx.db.execute(
            f"SELECT 1 FROM segments WHERE list_id = ? AND lower(name) = lower(?) AND id != ?"
            f" AND {clause}",
            [list_id, name, own_id, *params],
        ).fetchone()
        is not None
    )


def _member_ids(ctx: Ctx, list_id: str, emails: list[str]) -> tuple[list[int], list[str]]:
    """(rowids of members on the list, addresses that are not)."""
    found, unknown = [], []
    for email in emails:
        row = ctx.db.execute(
            "SELECT id FROM members WHERE list_id = ? AND hash = ?",
            (list_id, subscriber_hash(email)),
        ).fetchone()
        if row:
            found.append(int(row[0]))
        else:
            unknown.append(email)
    return found, unknown


def list_segments(ctx: Ctx, list_id: str) -> Reply:
    require_list(ctx.db, list_id)
    where, params = ["list_id = ?"], [list_id]
    if type_ := ctx.arg("type"):
        where.append("type = ?")
        params.append(type_)
    for arg, column, op in (
        ("since_created_at", "created_at", ">="),
        ("before_created_at", "created_at", "<"),
        ("since_updated_at", "updated_at", ">="),
        ("before_updated_at", "updated_at", "<"),
    ):
        if value := ctx.arg(arg):
            where.append(f"{column} {op} ?")
            params.append(value)
    sql = " AND ".join(where)
    total = ctx.db.execute(f"SELECT COUNT(*) FROM segments WHERE {sql}", params).fetchone()[0]
    page = ctx.page()
    rows = ctx.db.execute(
        f"SELECT * FROM segments WHERE {sql} ORDER BY id LIMIT ? OFFSET ?",
        [*params, page.count, page.offset],
    ).fetchall()
    base = f"/lists/{list_id}/segments"
    return ok(
        {
            "segments": [render(ctx, r, "segments.") for r in rows],
            "list_id": list_id,
            "total_items": total,
            "_links": collection_links(ctx, base, f"/lists/{list_id}", KIND),
        }
    )


def _read_kind(check: BodyCheck) -> None:
    if check.present("options") and check.present("static_segment"):
        raise invalid('The "static_segment" field cannot be provided with the "options" field.')


def create_segment(ctx: Ctx, list_id: str) -> Reply:
    require_list(ctx.db, list_id)
    check = BodyCheck(ctx.object_body())
    name = check.string("name", required=True, blank_ok=False, max_len=100)
    emails = check.strings("static_segment")
    check.raise_if_any()
    assert name is not None
    _read_kind(check)
    if not check.present("options") and emails is None:
        raise invalid('Must provide either an "options" field or a "static_segment" field.')
    static = emails is not None
    if _name_taken(ctx, list_id, name, static):
        raise invalid_fields([FieldError("name", f'A segment named "{name}" already exists.')])
    if static:
        segment_id = create_static_segment(ctx.db, list_id, name)
        add_to_segment(ctx.db, segment_id, _member_ids(ctx, list_id, emails or [])[0])
    else:
        options = read_options(ctx.db, list_id, check.body["options"])
        stamp = now()
        cursor = ctx.db.execute(
            "INSERT INTO segments (list_id, name, type, options, created_at, updated_at)"
            " VALUES (?, ?, 'saved', ?, ?, ?)",
            (list_id, name.strip(), json.dumps(options.as_json()), stamp, stamp),
        )
        segment_id = int(cursor.lastrowid or 0)
    return ok(render(ctx, require_segment(ctx.db, list_id, str(segment_id))))


def get_segment(ctx: Ctx, list_id: str, segment_id: str) -> Reply:
    require_list(ctx.db, list_id)
    return ok(render(ctx, require_segment(ctx.db, list_id, segment_id)))


def update_segment(ctx: Ctx, list_id: str, segment_id: str) -> Reply:
    require_list(ctx.db, list_id)
    segment = require_segment(ctx.db, list_id, segment_id)
    static = segment["type"] == "static"
    check = BodyCheck(ctx.object_body())
    name = check.string("name", blank_ok=False, max_len=100)
    emails = check.strings("static_segment")
    check.raise_if_any()
    _read_kind(check)
    if check.present("options") and static:
        raise invalid("A static segment (tag) has no conditions; send static_segment instead.")
    if emails is not None and not static:
        raise invalid("A saved segment has no static members; send options instead.")
    if name is not None and _name_taken(ctx, list_id, name, static, segment["id"]):
        raise invalid_fields([FieldError("name", f'A segment named "{name}" already exists.')])
    options = segment["options"]
    if check.present("options"):
        options = json.dumps(read_options(ctx.db, list_id, check.body["options"]).as_json())
    if emails is not None:
        ctx.db.execute("DELETE FROM segment_members WHERE segment_id = ?", (segment["id"],))
        add_to_segment(ctx.db, segment["id"], _member_ids(ctx, list_id, emails)[0])
    ctx.db.execute(
        "UPDATE segments SET name = ?, options = ?, updated_at = ? WHERE id = ?",
        (name.strip() if name else segment["name"], options, now(), segment["id"]),
    )
    return ok(render(ctx, require_segment(ctx.db, list_id, segment_id)))


def delete_segment(ctx: Ctx, list_id: str, segment_id: str) -> Reply:
    require_list(ctx.db, list_id)
    segment = require_segment(ctx.db, list_id, segment_id)
    ctx.db.execute("DELETE FROM segment_members WHERE segment_id = ?", (segment["id"],))
    ctx.db.execute("DELETE FROM segments WHERE id = ?", (segment["id"],))
    return no_content()


def _require_static(ctx: Ctx, list_id: str, segment_id: str) -> sqlite3.Row:
    require_list(ctx.db, list_id)
    segment = require_segment(ctx.db, list_id, segment_id)
    if segment["type"] != "static":
        raise invalid(f"A Static Segment with an id of {segment_id} does not exist for this list.")
    return segment


def batch_segment(ctx: Ctx, list_id: str, segment_id: str) -> Reply:
    segment = _require_static(ctx, list_id, segment_id)
    check = BodyCheck(ctx.object_body())
    to_add = check.strings("members_to_add") or []
    to_remove = check.strings("members_to_remove") or []
    for key, emails in (("members_to_add", to_add), ("members_to_remove", to_remove)):
        if len(emails) > BATCH_LIMIT:
            check.add(key, f"At most {BATCH_LIMIT} addresses per call; {len(emails)} were sent.")
    check.raise_if_any()
    add_ids, unknown_add = _member_ids(ctx, list_id, to_add)
    remove_ids, unknown_remove = _member_ids(ctx, list_id, to_remove)
    held = {
        r[0]
        for r in ctx.db.execute(
            "SELECT member_id FROM segment_members WHERE segment_id = ?", (segment["id"],)
        )
    }
    added = [m for m in dict.fromkeys(add_ids) if m not in held]
    removed = [m for m in dict.fromkeys(remove_ids) if m in held or m in added]
    add_to_segment(ctx.db, segment["id"], added)
    remove_from_segment(ctx.db, segment["id"], removed)
    errors = [
        {"email_addresses": emails, "error": "These addresses are not members of this list."}
        for emails in (unknown_add, unknown_remove)
        if emails
    ]
    return ok(
        {
            "members_added": MemberView(ctx, list_id, "members_added.").render(_rows(ctx, added)),
            "members_removed": MemberView(ctx, list_id, "members_removed.").render(
                _rows(ctx, removed)
            ),
            "errors": errors,
            "total_added": len(added),
            "total_removed": len(removed),
            "error_count": len(unknown_add) + len(unknown_remove),
            "_links": [link(ctx, "parent", f"/lists/{list_id}/segments/{segment['id']}")],
        }
    )


def _rows(ctx: Ctx, ids: list[int]) -> list[sqlite3.Row]:
    if not ids:
        return []
    clause, params = in_clause("id", ids)
    return ctx.db.execute(f"SELECT * FROM members WHERE {clause} ORDER BY id", params).fetchall()


def list_segment_members(ctx: Ctx, list_id: str, segment_id: str) -> Reply:
    require_list(ctx.db, list_id)
    segment = require_segment(ctx.db, list_id, segment_id)
    query = members_of(ctx, segment)
    rows = query.page(ctx, ctx.page())
    path = f"/lists/{list_id}/segments/{segment['id']}"
    return ok(
        {
            "members": MemberView(ctx, list_id, "members.").render(rows),
            "total_items": query.count(ctx),
            "_links": collection_links(ctx, f"{path}/members", path, "Lists/Segments/Members"),
        }
    )


def add_segment_member(ctx: Ctx, list_id: str, segment_id: str) -> Reply:
    segment = _require_static(ctx, list_id, segment_id)
    check = BodyCheck(ctx.object_body())
    email = check.string("email_address", required=True, blank_ok=False)
    check.raise_if_any()
    assert email is not None
    ids, _ = _member_ids(ctx, list_id, [email])
    if not ids:
        raise invalid(f"{email} is not a member of this list.")
    add_to_segment(ctx.db, segment["id"], ids)
    return ok(MemberView(ctx, list_id).render(_rows(ctx, ids))[0])


def remove_segment_member(ctx: Ctx, list_id: str, segment_id: str, subscriber_hash: str) -> Reply:
    segment = _require_static(ctx, list_id, segment_id)
    member = require_member(ctx.db, list_id, subscriber_hash)
    if not remove_from_segment(ctx.db, segment["id"], [member["id"]]):
        raise not_found()
    return no_content()


_SEG = "/lists/{list_id}/segments"
_ONE = _SEG + "/{segment_id}"
ENDPOINTS = [
    Endpoint("GET", _SEG, list_segments),
    Endpoint("POST", _SEG, create_segment),
    Endpoint("GET", _ONE, get_segment),
    Endpoint("PATCH", _ONE, update_segment),
    Endpoint("DELETE", _ONE, delete_segment),
    Endpoint("POST", _ONE, batch_segment),
    Endpoint("GET", _ONE + "/members", list_segment_members),
    Endpoint("POST", _ONE + "/members", add_segment_member),
    Endpoint("DELETE", _ONE + "/members/{subscriber_hash}", remove_segment_member),
]
