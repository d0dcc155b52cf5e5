"""Batch subscribe/unsubscribe: `POST /lists/{list_id}` with up to 500 members.

Answers 200 synchronously with `new_members[]`, `updated_members[]` (full member
objects), `errors[{email_address, error, error_code, field, field_message}]`,
`total_created`, `total_updated` and `error_count` (fact sheet, 2.7). Each member is
written in its own savepoint, so one bad entry does not undo the others.

Choices where the sheet is silent:
- Without `update_existing: true`, a contact already on the list (and not archived) is
  an `ERROR_CONTACT_EXISTS` error; with it, the entry updates the contact, status
  included.
- A new contact takes `status_if_new`, else `status`.
- A repeated address is skipped with `skip_duplicate_check=true` (first one wins) and
  reported as an `ERROR_GENERIC` error otherwise.
- `tags` on an entry add tags; with `sync_tags: true` they replace the contact's tags.
"""

from __future__ import annotations

from typing import Any

from reconciler.sandbox.mailchimp.context import Ctx, Endpoint, Reply, link, ok
from reconciler.sandbox.mailchimp.lookup import find_member, require_list
from reconciler.sandbox.mailchimp.member_view import MemberView
from reconciler.sandbox.mailchimp.member_write import (
    MemberWriter,
    member_exists,
    read_input,
    require_new_status,
)
from reconciler.sandbox.mailchimp.problems import FieldError, Problem, invalid, invalid_fields
from reconciler.sandbox.mailchimp.store import subscriber_hash
from reconciler.sandbox.mailchimp.tags import replace_tags
from reconciler.sandbox.mailchimp.validate import BodyCheck

BATCH_LIMIT = 500
CONTACT_EXISTS = "ERROR_CONTACT_EXISTS"
GENERIC = "ERROR_GENERIC"


def _error(email: str, problem: Problem, code: str = GENERIC) -> dict[str, Any]:
    first = problem.errors[0] if problem.errors else FieldError("", "")
    return {
        "email_address": email,
        "error": problem.detail,
        "error_code": code,
        "field": first.field,
        "field_message": first.message,
    }


def batch_subscribe(ctx: Ctx, list_id: str) -> Reply:
    require_list(ctx.db, list_id)
    check = BodyCheck(ctx.object_body())
    entries = check.body.get("members")
    if not isinstance(entries, list):
        check.add("members", "This field is required: a list of members.")
        entries = []
    elif len(entries) > BATCH_LIMIT:
        check.add("members", f"At most {BATCH_LIMIT} members per call; {len(entries)} were sent.")
    update_existing = bool(check.boolean("update_existing"))
    sync_tags = bool(check.boolean("sync_tags"))
    check.raise_if_any()

    writer = MemberWriter(ctx.db, list_id, skip_merge_validation=ctx.flag("skip_merge_validation"))
    skip_duplicates = ctx.flag("skip_duplicate_check")
    created: list[int] = []
    updated: list[int] = []
    errors: list[dict[str, Any]] = []
    seen: set[str] = set()
    for entry in entries:
        email = str(entry.get("email_address", "")) if isinstance(entry, dict) else ""
        code = GENERIC
        ctx.db.execute("SAVEPOINT batch_member")
        try:
            if not isinstance(entry, dict):
                raise invalid("Each member must be a JSON object.")
            inp = read_input(entry)
            if inp.email_address is None:
                raise invalid_fields([FieldError("email_address", "This field is required.")])
            key = subscriber_hash(inp.email_address)
            if key in seen:
                if skip_duplicates:
                    ctx.db.execute("RELEASE batch_member")
                    continue
                raise invalid(f"{email} appears more than once in this batch.")
            seen.add(key)
            row = find_member(ctx.db, list_id, key)
            if row is None:
                member_id = writer.create(inp, require_new_status(inp, field="status"))
                created.append(member_id)
            elif row["status"] == "archived":
                member_id = writer.update(row, inp, require_new_status(inp, field="status"))
                created.append(member_id)
            elif not update_existing:
                code = CONTACT_EXISTS
                raise member_exists(email)
            else:
                member_id = writer.update(row, inp, inp.status)
                updated.append(member_id)
            if sync_tags and inp.tags is not None:
                replace_tags(ctx.db, list_id, member_id, inp.tags)
        except Problem as problem:
            ctx.db.execute("ROLLBACK TO batch_member")
            errors.append(_error(email, problem, code))
        ctx.db.execute("RELEASE batch_member")
    return ok(
        {
            "new_members": _render(ctx, list_id, created, "new_members."),
            "updated_members": _render(ctx, list_id, updated, "updated_members."),
            "errors": errors,
            "total_created": len(created),
            "total_updated": len(updated),
            "error_count": len(errors),
            "_links": [link(ctx, "parent", f"/lists/{list_id}")],
        }
    )


def _render(ctx: Ctx, list_id: str, ids: list[int], prefix: str) -> list[dict[str, Any]]:
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    rows = ctx.db.execute(f"SELECT * FROM members WHERE id IN ({marks}) ORDER BY id", ids)
    return MemberView(ctx, list_id, prefix).render(rows.fetchall())


ENDPOINTS = [Endpoint("POST", "/lists/{list_id}", batch_subscribe)]
