"""Groups: page-based list, get, create, rename, delete, and cursor-paged members.

Group names need not be unique (the docs are silent and a recorded account holds
near-duplicates), so the sandbox accepts duplicates and leaves detection to clients.
`sort=total` orders by active members.
"""

from __future__ import annotations

import sqlite3

from reconciler.sandbox.core import Router, SandboxResponse
from reconciler.sandbox.mailerlite.call import ApiCall
from reconciler.sandbox.mailerlite.errors import GROUP_MODEL, model_not_found
from reconciler.sandbox.mailerlite.members import group_scope, read_page
from reconciler.sandbox.mailerlite.paging import page_envelope
from reconciler.sandbox.mailerlite.routing import (
    Account,
    add,
    member_page_response,
    no_content,
    ok,
)
from reconciler.sandbox.mailerlite.store import fetch_one, returning
from reconciler.sandbox.mailerlite.validation import (
    choice_arg,
    like_pattern,
    limit_arg,
    page_arg,
    parse_id,
    require_name,
    status_filter,
)
from reconciler.sandbox.mailerlite.views import Views

#: Recorded default page sizes (2022-12, 2023-12).
DEFAULT_LIMIT = 250
DEFAULT_MEMBERS_LIMIT = 50
SORT_KEYS = ("name", "total", "open_rate", "click_rate", "created_at")
SORTS = SORT_KEYS + tuple(f"-{key}" for key in SORT_KEYS)


def load_group(db: sqlite3.Connection, raw_id: str) -> sqlite3.Row:
    group_id = parse_id(raw_id)
    row = (
        None
        if group_id is None
        else fetch_one(db, "SELECT * FROM groups WHERE id = ?", (group_id,))
    )
    if row is None:
        raise model_not_found(GROUP_MODEL, raw_id)
    return row


class GroupRoutes:
    def __init__(self, account: Account) -> None:
        self.account = account

    def register(self, router: Router) -> None:
        add(router, "GET", "/api/groups", self.list)
        add(router, "POST", "/api/groups", self.create)
        add(router, "GET", "/api/groups/{group_id}", self.get)
        add(router, "PUT", "/api/groups/{group_id}", self.rename)
        add(router, "DELETE", "/api/groups/{group_id}", self.delete)
        add(router, "GET", "/api/groups/{group_id}/subscribers", self.members)

    def list(self, call: ApiCall) -> SandboxResponse:
        limit = limit_arg(call, DEFAULT_LIMIT)
        page = page_arg(call)
        sort = choice_arg(call, "sort", SORTS) or "name"
        name = call.arg("filter[name]")
        where, params = ("name LIKE ? ESCAPE '\\'", (like_pattern(name),)) if name else ("1", ())
        descending = sort.startswith("-")
        key = sort.lstrip("-")
        offset = (page - 1) * limit
        with self.account.store.read() as db:
            views = Views(db, self.account.counts)
            (total,) = db.execute(f"SELECT count(*) FROM groups WHERE {where}", params).fetchone()
            if key in ("name", "created_at"):
                column = "name COLLATE NOCASE" if key == "name" else "created_at"
                direction = "DESC" if descending else "ASC"
                rows = db.execute(
                    f"SELECT * FROM groups WHERE {where}"
                    f" ORDER BY {column} {direction}, id {direction} LIMIT ? OFFSET ?",
                    (*params, limit, offset),
                ).fetchall()
                items = views.groups(rows)
            else:
                # Sorting by a computed count: at most ~1000 groups, so sort them here.
                rows = db.execute(
                    f"SELECT * FROM groups WHERE {where} ORDER BY name COLLATE NOCASE, id",
                    params,
                ).fetchall()
                every = views.groups(rows)
                if key == "total":
                    every.sort(key=lambda group: group["active_count"], reverse=descending)
                elif descending:  # rates are all zero: only the direction changes order
                    every.reverse()
                items = every[offset : offset + limit]
        url = call.url("/api/groups")
        return ok(page_envelope(items, total=total, page=page, per_page=limit, url=url))

    def get(self, call: ApiCall, group_id: str) -> SandboxResponse:
        with self.account.store.read() as db:
            row = load_group(db, group_id)
            return ok({"data": Views(db, self.account.counts).group(row)})

    def create(self, call: ApiCall) -> SandboxResponse:
        name = require_name(call.data())
        with self.account.store.write() as db:
            row = returning(
                db,
                "INSERT INTO groups (name, created_at) VALUES (?, ?) RETURNING *",
                (name, self.account.store.now()),
            )
            return ok({"data": Views(db, self.account.counts).group(row)}, 201)

    def rename(self, call: ApiCall, group_id: str) -> SandboxResponse:
        with self.account.store.write() as db:
            row = load_group(db, group_id)  # an unknown id is a 404 before any 422
            name = require_name(call.data())
            row = returning(
                db, "UPDATE groups SET name = ? WHERE id = ? RETURNING *", (name, row["id"])
            )
            return ok({"data": Views(db, self.account.counts).group(row)})

    def delete(self, call: ApiCall, group_id: str) -> SandboxResponse:
        with self.account.store.write() as db:
            row = load_group(db, group_id)
            # Members stay subscribers; only their memberships go (cascade).
            db.execute("DELETE FROM groups WHERE id = ?", (row["id"],))
        return no_content()

    def members(self, call: ApiCall, group_id: str) -> SandboxResponse:
        with self.account.store.read() as db:
            row = load_group(db, group_id)
            status = status_filter(call, "active")
            limit = limit_arg(call, DEFAULT_MEMBERS_LIMIT)
            views = Views(db, self.account.counts)
            page = read_page(db, group_scope(row["id"], str(status)), call.arg("cursor"), limit)
            return member_page_response(views, page, call, limit)
