"""Segments: page-based list, get, rename, delete and cursor-paged members. No create:
the REST API has none (segments are made in the app; here, through the admin API).

A segment's `total` counts its active members, i.e. what its member list returns with
the default `filter[status]`. As recorded, `meta.per_page` of segment members echoes the
`limit` argument as a string when one is given.
"""

from __future__ import annotations

import sqlite3

from reconciler.sandbox.core import Router, SandboxResponse
from reconciler.sandbox.mailerlite.call import ApiCall
from reconciler.sandbox.mailerlite.errors import SEGMENT_MODEL, model_not_found
from reconciler.sandbox.mailerlite.members import (
    Page,
    count,
    fetch_page,
    read_page,
    segment_scope,
)
from reconciler.sandbox.mailerlite.paging import Cursor, page_envelope
from reconciler.sandbox.mailerlite.routing import (
    Account,
    add,
    member_page_response,
    no_content,
    ok,
)
from reconciler.sandbox.mailerlite.store import fetch_one, returning
from reconciler.sandbox.mailerlite.validation import (
    limit_arg,
    page_arg,
    parse_id,
    require_name,
    status_filter,
)
from reconciler.sandbox.mailerlite.views import Views, segment_json

#: Recorded default page sizes (segments 2022-12 and 2023-12; members 2023 and 2025).
DEFAULT_LIMIT = 250
DEFAULT_MEMBERS_LIMIT = 50


def load_segment(db: sqlite3.Connection, raw_id: str) -> sqlite3.Row:
    segment_id = parse_id(raw_id)
    row = (
        None
        if segment_id is None
        else fetch_one(db, "SELECT * FROM segments WHERE id = ?", (segment_id,))
    )
    if row is None:
        raise model_not_found(SEGMENT_MODEL, raw_id)
    return row


def segment_total(db: sqlite3.Connection, row: sqlite3.Row) -> int:
    return count(db, segment_scope(row, "active"))


class SegmentRoutes:
    def __init__(self, account: Account) -> None:
        self.account = account

    def register(self, router: Router) -> None:
        add(router, "GET", "/api/segments", self.list)
        add(router, "GET", "/api/segments/{segment_id}", self.get)
        add(router, "PUT", "/api/segments/{segment_id}", self.rename)
        add(router, "DELETE", "/api/segments/{segment_id}", self.delete)
        add(router, "GET", "/api/segments/{segment_id}/subscribers", self.members)

    def list(self, call: ApiCall) -> SandboxResponse:
        limit = limit_arg(call, DEFAULT_LIMIT)
        page = page_arg(call)
        with self.account.store.read() as db:
            (total,) = db.execute("SELECT count(*) FROM segments").fetchone()
            rows = db.execute(
                "SELECT * FROM segments ORDER BY id LIMIT ? OFFSET ?", (limit, (page - 1) * limit)
            ).fetchall()
            items = [segment_json(row, segment_total(db, row), listed=True) for row in rows]
        url = call.url("/api/segments")
        return ok(page_envelope(items, total=total, page=page, per_page=limit, url=url))

    def get(self, call: ApiCall, segment_id: str) -> SandboxResponse:
        with self.account.store.read() as db:
            row = load_segment(db, segment_id)
            return ok({"data": segment_json(row, segment_total(db, row), listed=False)})

    def rename(self, call: ApiCall, segment_id: str) -> SandboxResponse:
        with self.account.store.write() as db:
            row = load_segment(db, segment_id)
            name = require_name(call.data())
            row = returning(
                db, "UPDATE segments SET name = ? WHERE id = ? RETURNING *", (name, row["id"])
            )
            return ok({"data": segment_json(row, segment_total(db, row), listed=False)})

    def delete(self, call: ApiCall, segment_id: str) -> SandboxResponse:
        with self.account.store.write() as db:
            row = load_segment(db, segment_id)
            db.execute("DELETE FROM segments WHERE id = ?", (row["id"],))
        return no_content()

    def members(self, call: ApiCall, segment_id: str) -> SandboxResponse:
        with self.account.store.read() as db:
            row = load_segment(db, segment_id)
            status = status_filter(call, "active")
            limit = limit_arg(call, DEFAULT_MEMBERS_LIMIT)
            scope = segment_scope(row, str(status))
            after = parse_id(call.arg("after") or "")
            page: Page
            if call.arg("cursor") is None and after is not None:
                # The legacy form: `after=<last id seen>` continues below that id.
                page = fetch_page(db, scope, Cursor(after, True), limit)
            else:
                page = read_page(db, scope, call.arg("cursor"), limit)
            raw_limit = call.arg("limit")
            per_page: int | str = raw_limit if raw_limit else limit
            return member_page_response(Views(db, self.account.counts), page, call, per_page)
