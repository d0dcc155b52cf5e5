"""Fields: page-based list, create (server-derived key), rename, delete.

Choices on unverified points:
- Name uniqueness ("Field name must be unique") ignores case, as a unique rule does under
  MySQL's default collation, which a Laravel app like MailerLite's most likely uses.
- The built-in fields (ids 1..8, is_default) can be renamed but not deleted. The API is
  silent on both; MailerLite itself renamed "ZIP" to "Zip" in 2023, labels are cosmetic,
  and espform lets users relabel built-ins but never deletes them, so a mistaken delete
  is made visible as a 422 on `id`.
- Deleting a field deletes every subscriber's value for it.
- There is no GET /api/fields/{id} (not documented); that path answers 405 for GET.
"""

from __future__ import annotations

import sqlite3

from reconciler.sandbox.core import Router, SandboxResponse
from reconciler.sandbox.mailerlite.call import ApiCall
from reconciler.sandbox.mailerlite.errors import (
    FIELD_MODEL,
    invalid,
    model_not_found,
    validation_failed,
)
from reconciler.sandbox.mailerlite.keys import derive_key
from reconciler.sandbox.mailerlite.paging import page_envelope
from reconciler.sandbox.mailerlite.routing import Account, add, no_content, ok
from reconciler.sandbox.mailerlite.store import fetch_one, returning
from reconciler.sandbox.mailerlite.validation import (
    choice_arg,
    like_pattern,
    limit_arg,
    name_errors,
    page_arg,
    parse_id,
    require_name,
)
from reconciler.sandbox.mailerlite.views import field_json

FIELD_TYPES = ("text", "number", "date")
#: Recorded default page size (2022-12, 2023-12).
DEFAULT_LIMIT = 100
SORTS = ("name", "type", "-name", "-type")
NOT_UNIQUE = "Field name must be unique"
DEFAULT_FIELD_LOCKED = "Default fields cannot be changed or deleted."


def load_field(db: sqlite3.Connection, raw_id: str) -> sqlite3.Row:
    field_id = parse_id(raw_id)
    row = (
        None
        if field_id is None
        else fetch_one(db, "SELECT * FROM fields WHERE id = ?", (field_id,))
    )
    if row is None:
        raise model_not_found(FIELD_MODEL, raw_id)
    return row


def _check_unique(db: sqlite3.Connection, name: str, except_id: int | None = None) -> None:
    clash = db.execute(
        "SELECT 1 FROM fields WHERE name = ? COLLATE NOCASE AND id IS NOT ?",
        (name, except_id),
    ).fetchone()
    if clash:
        raise invalid("name", NOT_UNIQUE)


class FieldRoutes:
    def __init__(self, account: Account) -> None:
        self.account = account

    def register(self, router: Router) -> None:
        add(router, "GET", "/api/fields", self.list)
        add(router, "POST", "/api/fields", self.create)
        add(router, "PUT", "/api/fields/{field_id}", self.rename)
        add(router, "DELETE", "/api/fields/{field_id}", self.delete)

    def list(self, call: ApiCall) -> SandboxResponse:
        limit = limit_arg(call, DEFAULT_LIMIT)
        page = page_arg(call)
        sort = choice_arg(call, "sort", SORTS)
        field_type = choice_arg(call, "filter[type]", FIELD_TYPES)
        keyword = call.arg("filter[keyword]")
        conditions, params = [], []
        if keyword:
            conditions.append("name LIKE ? ESCAPE '\\'")
            params.append(like_pattern(keyword))
        if field_type:
            conditions.append("type = ?")
            params.append(field_type)
        where = " AND ".join(conditions) or "1"
        if sort is None:
            order = "id"
        else:
            column = "name COLLATE NOCASE" if sort.lstrip("-") == "name" else "type"
            direction = "DESC" if sort.startswith("-") else "ASC"
            order = f"{column} {direction}, id {direction}"
        with self.account.store.read() as db:
            (total,) = db.execute(f"SELECT count(*) FROM fields WHERE {where}", params).fetchone()
            rows = db.execute(
                f"SELECT * FROM fields WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?",
                (*params, limit, (page - 1) * limit),
            ).fetchall()
        items = [field_json(row, listed=True) for row in rows]
        url = call.url("/api/fields")
        return ok(page_envelope(items, total=total, page=page, per_page=limit, url=url))

    def create(self, call: ApiCall) -> SandboxResponse:
        data = call.data()
        errors: dict[str, list[str]] = {}
        if problems := name_errors(data):
            errors["name"] = problems
        field_type = data.get("type")
        if field_type is None or field_type == "":
            errors["type"] = ["The type field is required."]
        elif field_type not in FIELD_TYPES:
            errors["type"] = ["The selected type is invalid."]
        if errors:
            raise validation_failed(errors)
        name = str(data["name"]).strip()
        with self.account.store.write() as db:
            _check_unique(db, name)
            taken = {key for (key,) in db.execute("SELECT key FROM fields")}
            row = returning(
                db,
                "INSERT INTO fields (name, key, type, created_at) VALUES (?, ?, ?, ?) RETURNING *",
                (name, derive_key(name, taken), field_type, self.account.store.now()),
            )
        return ok({"data": field_json(row, listed=False)}, 201)

    def rename(self, call: ApiCall, field_id: str) -> SandboxResponse:
        with self.account.store.write() as db:
            row = load_field(db, field_id)
            name = require_name(call.data())
            _check_unique(db, name, except_id=row["id"])
            # Only the label changes: the key (what subscriber values are stored under) stays.
            row = returning(
                db, "UPDATE fields SET name = ? WHERE id = ? RETURNING *", (name, row["id"])
            )
        return ok({"data": field_json(row, listed=False)})

    def delete(self, call: ApiCall, field_id: str) -> SandboxResponse:
        with self.account.store.write() as db:
            row = load_field(db, field_id)
            if row["is_default"]:
                raise invalid("id", DEFAULT_FIELD_LOCKED)
            db.execute("DELETE FROM fields WHERE id = ?", (row["id"],))
            # Drop stored values too, so a later field with the same key starts empty.
            path = f'$."{row["key"]}"'
            db.execute(
                "UPDATE subscribers SET fields = json_remove(fields, ?)"
                " WHERE json_type(fields, ?) IS NOT NULL",
                (path, path),
            )
        return no_content()
