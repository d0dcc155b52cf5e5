"""Members: `/lists/{list_id}/members[/{subscriber_hash}]` (tags live in `tags`).

PUT upserts by subscriber hash (md5 of the lower-cased address; the raw address or
`contact_id` also work in the path) and takes `status_if_new` for a new contact; DELETE
archives, and archiving a contact that is already archived, cleaned or pending is 405
Method Not Allowed with `Allow: GET, PUT` (fact sheet, 2.6).

Choices where the sheet is silent:
- A new contact sent by PUT without `status_if_new` takes `status` if that was sent;
  with neither, 400 names `status_if_new`.
- A PUT whose path hash differs from the body's address, for a contact not on the
  list, is 400 Invalid Resource (for an existing contact it is an email change).
- `GET .../members` without `status` lists every status except archived.
"""

from __future__ import annotations

from reconciler.sandbox.mailchimp.context import (
    Ctx,
    Endpoint,
    Reply,
    collection_links,
    no_content,
    ok,
)
from reconciler.sandbox.mailchimp.lookup import (
    find_member,
    member_key,
    require_list,
    require_member,
)
from reconciler.sandbox.mailchimp.member_query import LISTED_STATUSES, MemberQuery, in_clause
from reconciler.sandbox.mailchimp.member_view import MemberView
from reconciler.sandbox.mailchimp.member_write import (
    PATCH_STATUSES,
    STATUSES,
    MemberWriter,
    member_exists,
    read_input,
    require_new_status,
)
from reconciler.sandbox.mailchimp.problems import (
    FieldError,
    invalid,
    invalid_fields,
    method_not_allowed,
)
from reconciler.sandbox.mailchimp.store import now, rowid_of_unique_email_id
from reconciler.sandbox.mailchimp.store import subscriber_hash as hash_email

SORT_FIELDS = {
    "timestamp_opt": "m.timestamp_opt",
    "timestamp_signup": "m.timestamp_signup",
    "last_changed": "m.last_changed",
}
UNARCHIVABLE = ("archived", "cleaned", "pending")


def _member_filter(ctx: Ctx, list_id: str) -> MemberQuery:
    query = MemberQuery(list_id)
    statuses = [s for s in (ctx.arg("status") or "").split(",") if s] or list(LISTED_STATUSES)
    clause, params = in_clause("m.status", statuses)
    query.where(clause, *params)
    if email_type := ctx.arg("email_type"):
        query.where("m.email_type = ?", email_type)
    for arg, column, op in (
        ("since_last_changed", "m.last_changed", ">="),
        ("before_last_changed", "m.last_changed", "<"),
        ("since_timestamp_opt", "m.timestamp_opt", ">="),
        ("before_timestamp_opt", "m.timestamp_opt", "<"),
    ):
        if value := ctx.arg(arg):
            query.where(f"{column} != '' AND {column} {op} ?", value)
    if unique_id := ctx.arg("unique_email_id"):
        query.where("m.id = ?", rowid_of_unique_email_id(unique_id) or 0)
    if ctx.flag("vip_only"):
        query.where("m.vip = 1")
    interest_ids = [i for i in (ctx.arg("interest_ids") or "").split(",") if i]
    if ctx.arg("interest_category_id") and interest_ids:
        marks = ",".join("?" * len(interest_ids))
        chosen = (
            "SELECT COUNT(*) FROM member_interests mi WHERE mi.member_id = m.id"
            f" AND mi.interest_id IN ({marks})"
        )
        match = ctx.arg("interest_match") or "any"
        if match == "all":
            query.where(f"({chosen}) = ?", *interest_ids, len(interest_ids))
        elif match == "none":
            query.where(f"({chosen}) = 0", *interest_ids)
        else:
            query.where(f"({chosen}) > 0", *interest_ids)
    if sort := SORT_FIELDS.get(ctx.arg("sort_field") or ""):
        direction = "DESC" if (ctx.arg("sort_dir") or "").upper() == "DESC" else "ASC"
        query.sort = f"{sort} {direction}"
    return query


def list_members(ctx: Ctx, list_id: str) -> Reply:
    require_list(ctx.db, list_id)
    query = _member_filter(ctx, list_id)
    rows = query.page(ctx, ctx.page())
    base = f"/lists/{list_id}/members"
    return ok(
        {
            "members": MemberView(ctx, list_id, "members.").render(rows),
            "list_id": list_id,
            "total_items": query.count(ctx),
            "_links": collection_links(ctx, base, f"/lists/{list_id}", "Lists/Members"),
        }
    )


def _render(ctx: Ctx, list_id: str, member_id: int) -> Reply:
    row = ctx.db.execute("SELECT * FROM members WHERE id = ?", (member_id,)).fetchone()
    return ok(MemberView(ctx, list_id).render_one(row))


def create_member(ctx: Ctx, list_id: str) -> Reply:
    require_list(ctx.db, list_id)
    inp = read_input(ctx.object_body())
    missing = [
        FieldError(name, "This field is required.")
        for name, value in (("email_address", inp.email_address), ("status", inp.status))
        if value is None
    ]
    if missing:
        raise invalid_fields(missing)
    assert inp.email_address is not None and inp.status is not None
    writer = MemberWriter(ctx.db, list_id, skip_merge_validation=ctx.flag("skip_merge_validation"))
    existing = find_member(ctx.db, list_id, hash_email(inp.email_address))
    if existing is not None and existing["status"] != "archived":
        raise member_exists(inp.email_address.strip())
    if existing is not None:
        return _render(ctx, list_id, writer.update(existing, inp, inp.status))
    return _render(ctx, list_id, writer.create(inp, inp.status))


def get_member(ctx: Ctx, list_id: str, subscriber_hash: str) -> Reply:
    require_list(ctx.db, list_id)
    row = require_member(ctx.db, list_id, subscriber_hash)
    return ok(MemberView(ctx, list_id).render_one(row))


def upsert_member(ctx: Ctx, list_id: str, subscriber_hash: str) -> Reply:
    require_list(ctx.db, list_id)
    inp = read_input(ctx.object_body())
    writer = MemberWriter(ctx.db, list_id, skip_merge_validation=ctx.flag("skip_merge_validation"))
    row = find_member(ctx.db, list_id, subscriber_hash)
    if row is None:
        if inp.email_address is None:
            raise invalid_fields(
                [FieldError("email_address", "This field is required for a new member.")]
            )
        if hash_email(inp.email_address) != member_key(subscriber_hash):
            raise invalid("The subscriber hash in the path does not match the email_address sent.")
        return _render(
            ctx, list_id, writer.create(inp, require_new_status(inp, field="status_if_new"))
        )
    if row["status"] == "archived":
        status = require_new_status(inp, field="status_if_new")
        return _render(ctx, list_id, writer.update(row, inp, status))
    return _render(ctx, list_id, writer.update(row, inp, inp.status))


def update_member(ctx: Ctx, list_id: str, subscriber_hash: str) -> Reply:
    require_list(ctx.db, list_id)
    row = require_member(ctx.db, list_id, subscriber_hash)
    inp = read_input(ctx.object_body(), PATCH_STATUSES)
    writer = MemberWriter(ctx.db, list_id, skip_merge_validation=ctx.flag("skip_merge_validation"))
    return _render(ctx, list_id, writer.update(row, inp, inp.status))


def archive_member(ctx: Ctx, list_id: str, subscriber_hash: str) -> Reply:
    require_list(ctx.db, list_id)
    row = require_member(ctx.db, list_id, subscriber_hash)
    if row["status"] in UNARCHIVABLE:
        raise method_not_allowed(
            ["GET", "PUT"],
            "This list member cannot be removed: a contact that is bounced (cleaned),"
            " pending or archived cannot be archived.",
        )
    ctx.db.execute(
        "UPDATE members SET status = 'archived', last_changed = ? WHERE id = ?",
        (now(), row["id"]),
    )
    return no_content()


def delete_permanent(ctx: Ctx, list_id: str, subscriber_hash: str) -> Reply:
    require_list(ctx.db, list_id)
    row = require_member(ctx.db, list_id, subscriber_hash)
    ctx.db.execute("DELETE FROM member_interests WHERE member_id = ?", (row["id"],))
    ctx.db.execute("DELETE FROM segment_members WHERE member_id = ?", (row["id"],))
    ctx.db.execute("DELETE FROM members WHERE id = ?", (row["id"],))
    ctx.db.execute(
        "INSERT OR IGNORE INTO forgotten (list_id, hash) VALUES (?, ?)", (list_id, row["hash"])
    )
    return no_content()


_ONE = "/lists/{list_id}/members/{subscriber_hash}"
ENDPOINTS = [
    Endpoint("GET", "/lists/{list_id}/members", list_members),
    Endpoint("POST", "/lists/{list_id}/members", create_member),
    Endpoint("GET", _ONE, get_member),
    Endpoint("PUT", _ONE, upsert_member),
    Endpoint("PATCH", _ONE, update_member),
    Endpoint("DELETE", _ONE, archive_member),
    Endpoint("POST", _ONE + "/actions/delete-permanent", delete_permanent),
]

__all__ = ["ENDPOINTS", "STATUSES"]
