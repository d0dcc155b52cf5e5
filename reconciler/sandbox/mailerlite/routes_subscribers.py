"""Subscribers and group membership: cursor list (newest first) and `?limit=0` count, get
by id or email, upsert, update, delete, assign to and unassign from a group.

Choices on unverified points: without `filter[status]` the account list holds every
status; its largest page is 1000 like group members'. Deletion removes the subscriber
and memberships for good (a later upsert of the address creates a new subscriber).
Unassigning a subscriber who is not in the group succeeds (204), so retries are safe.
"""

from __future__ import annotations

import sqlite3
from urllib.parse import unquote

from reconciler.sandbox.core import Router, SandboxResponse
from reconciler.sandbox.mailerlite.call import ApiCall
from reconciler.sandbox.mailerlite.errors import (
    SUBSCRIBER_MODEL,
    ApiError,
    invalid,
    model_not_found,
)
from reconciler.sandbox.mailerlite.members import account_scope, count, read_page
from reconciler.sandbox.mailerlite.routing import (
    Account,
    add,
    member_page_response,
    no_content,
    ok,
)
from reconciler.sandbox.mailerlite.store import fetch_one
from reconciler.sandbox.mailerlite.subscriber_writes import parse_input, update, upsert
from reconciler.sandbox.mailerlite.validation import limit_arg, parse_id, status_filter
from reconciler.sandbox.mailerlite.views import Views

#: Documented and recorded default page size.
DEFAULT_LIMIT = 25
INVALID_ID = "The selected id is invalid."


def find_subscriber(db: sqlite3.Connection, ident: str) -> sqlite3.Row | None:
    ident = unquote(ident)
    key: str | int
    if "@" in ident:
        query, key = "SELECT * FROM subscribers WHERE email = ?", ident.strip().lower()
    else:
        subscriber_id = parse_id(ident)
        if subscriber_id is None:
            return None
        query, key = "SELECT * FROM subscribers WHERE id = ?", subscriber_id
    return fetch_one(db, query, (key,))


def load_subscriber(db: sqlite3.Connection, ident: str) -> sqlite3.Row:
    row = find_subscriber(db, ident)
    if row is None:
        raise model_not_found(SUBSCRIBER_MODEL, None)
    return row


def _find_group(db: sqlite3.Connection, raw_id: str) -> sqlite3.Row | None:
    group_id = parse_id(raw_id)
    if group_id is None:
        return None
    return fetch_one(db, "SELECT * FROM groups WHERE id = ?", (group_id,))


class SubscriberRoutes:
    def __init__(self, account: Account) -> None:
        self.account = account

    def register(self, router: Router) -> None:
        add(router, "GET", "/api/subscribers", self.list)
        add(router, "POST", "/api/subscribers", self.upsert)
        add(router, "GET", "/api/subscribers/{subscriber}", self.get)
        add(router, "PUT", "/api/subscribers/{subscriber}", self.update)
        add(router, "DELETE", "/api/subscribers/{subscriber}", self.delete)
        add(router, "POST", "/api/subscribers/{subscriber}/groups/{group_id}", self.assign)
        add(router, "DELETE", "/api/subscribers/{subscriber}/groups/{group_id}", self.unassign)

    def list(self, call: ApiCall) -> SandboxResponse:
        status = status_filter(call, None)
        limit = limit_arg(call, DEFAULT_LIMIT, minimum=0)
        scope = account_scope(status)
        with self.account.store.read() as db:
            if limit == 0:
                return ok({"total": count(db, scope)})
            page = read_page(db, scope, call.arg("cursor"), limit)
            return member_page_response(Views(db, self.account.counts), page, call, limit)

    def get(self, call: ApiCall, subscriber: str) -> SandboxResponse:
        with self.account.store.read() as db:
            row = load_subscriber(db, subscriber)
            return ok({"data": Views(db, self.account.counts).subscriber(row)})

    def upsert(self, call: ApiCall) -> SandboxResponse:
        given = parse_input(call.data(), email_required=True)
        with self.account.store.write() as db:
            row, created = upsert(db, self.account.store.now(), given)
            data = Views(db, self.account.counts).subscriber(row)
        return ok({"data": data}, 201 if created else 200)

    def update(self, call: ApiCall, subscriber: str) -> SandboxResponse:
        with self.account.store.write() as db:
            row = load_subscriber(db, subscriber)
            given = parse_input(call.data(), email_required=False)
            row = update(db, self.account.store.now(), row, given)
            data = Views(db, self.account.counts).subscriber(row)
        return ok({"data": data})

    def delete(self, call: ApiCall, subscriber: str) -> SandboxResponse:
        with self.account.store.write() as db:
            row = load_subscriber(db, subscriber)
            db.execute("DELETE FROM subscribers WHERE id = ?", (row["id"],))
        return no_content()

    def assign(self, call: ApiCall, subscriber: str, group_id: str) -> SandboxResponse:
        with self.account.store.write() as db:
            row = find_subscriber(db, subscriber)
            group = _find_group(db, group_id)
            if row is None or group is None:
                raise invalid("id", INVALID_ID)
            db.execute(
                "INSERT OR IGNORE INTO memberships (group_id, subscriber_id, status)"
                " VALUES (?, ?, ?)",
                (group["id"], row["id"], row["status"]),
            )
            data = Views(db, self.account.counts).group(group)
        # Recorded 200 even for a new membership (the docs also mention 201).
        return ok({"data": data})

    def unassign(self, call: ApiCall, subscriber: str, group_id: str) -> SandboxResponse:
        with self.account.store.write() as db:
            row = find_subscriber(db, subscriber)
            group = _find_group(db, group_id)
            if row is None or group is None:
                raise ApiError(404, "")  # the documented body: {"message": ""}
            db.execute(
                "DELETE FROM memberships WHERE group_id = ? AND subscriber_id = ?",
                (group["id"], row["id"]),
            )
        return no_content()
