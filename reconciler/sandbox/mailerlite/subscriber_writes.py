"""Writing subscribers: POST /api/subscribers (additive upsert) and PUT (update).

Semantics (fact sheet 2.4), with the sandbox's choices on unverified points:
- Email is stored lower-cased; POST answers 201 for a new address, 200 for a known one.
- `fields` merge: listed keys are set, `null` (or "") clears, omitted keys stay. Keys
  that are not account fields are ignored. Values are coerced to the field's type where
  possible (number fields store numbers, text fields strings).
- `groups` on POST only adds memberships; on PUT it is the exact list (others removed).
  An unknown group id is a 422 on `groups.N`.
- A subscriber who is unsubscribed, bounced or junk cannot be made active or
  unconfirmed through the API; such a status change is ignored (the request still
  succeeds). `resubscribe` is accepted and ignored for the same reason.
- PUT may change the email (recorded), unless another subscriber has it (422).
"""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass, field
from typing import Any

from reconciler.sandbox.mailerlite.errors import validation_failed
from reconciler.sandbox.mailerlite.store import fetch_one, returning
from reconciler.sandbox.mailerlite.validation import STATUSES, is_email

ATTRIBUTES = ("ip_address", "optin_ip", "subscribed_at", "unsubscribed_at", "opted_in_at")
TIMESTAMP_ATTRIBUTES = frozenset({"subscribed_at", "unsubscribed_at", "opted_in_at"})
#: Statuses the API can never turn back into active (abuse prevention).
LOCKED_STATUSES = frozenset({"unsubscribed", "bounced", "junk"})
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")


@dataclass
class SubscriberInput:
    email: str | None = None
    fields: dict[str, Any] | None = None
    groups: list[int] | None = None
    status: str | None = None
    attributes: dict[str, str | None] = field(default_factory=dict)


def parse_input(data: dict[str, Any], *, email_required: bool) -> SubscriberInput:
    """Validate a request body; every problem is reported at once, as Laravel does."""
    errors: dict[str, list[str]] = {}
    parsed = SubscriberInput()
    email = data.get("email")
    if email is None or email == "":
        if email_required:
            errors["email"] = ["The email field is required."]
    elif not is_email(email):
        errors["email"] = ["The email must be a valid email address."]
    else:
        parsed.email = str(email).strip().lower()
    if "fields" in data and data["fields"] is not None:
        if isinstance(data["fields"], dict):
            parsed.fields = data["fields"]
        else:
            errors["fields"] = ["The fields must be an array."]
    if "groups" in data and data["groups"] is not None:
        if not isinstance(data["groups"], list):
            errors["groups"] = ["The groups must be an array."]
        else:
            parsed.groups = []
            for index, raw in enumerate(data["groups"]):
                text = str(raw) if isinstance(raw, int | str) and not isinstance(raw, bool) else ""
                if text.isdigit() and int(text) < 2**63:
                    parsed.groups.append(int(text))
                else:
                    errors[f"groups.{index}"] = [f"The selected groups.{index} is invalid."]
    status = data.get("status")
    if status is not None:
        if status in STATUSES:
            parsed.status = status
        else:
            errors["status"] = ["The selected status is invalid."]
    for name in ATTRIBUTES:
        if name not in data:
            continue
        value = data[name]
        if value is not None and not isinstance(value, str):
            errors[name] = [f"The {name} must be a string."]
        elif name in TIMESTAMP_ATTRIBUTES and value and not _TIMESTAMP.match(value):
            errors[name] = [f"The {name} does not match the format Y-m-d H:i:s."]
        else:
            parsed.attributes[name] = value or None
    if errors:
        raise validation_failed(errors)
    return parsed


def upsert(db: sqlite3.Connection, now: str, given: SubscriberInput) -> tuple[sqlite3.Row, bool]:
    """POST semantics: create, or merge into the subscriber with that email."""
    assert given.email is not None
    _check_groups(db, given.groups)
    row = fetch_one(db, "SELECT * FROM subscribers WHERE email = ?", (given.email,))
    created = row is None
    if row is None:
        status = given.status or "active"
        attributes = {name: None for name in ATTRIBUTES} | given.attributes
        if status == "active" and not attributes["subscribed_at"]:
            attributes["subscribed_at"] = now
        if status == "unsubscribed" and not attributes["unsubscribed_at"]:
            attributes["unsubscribed_at"] = now
        row = returning(
            db,
            "INSERT INTO subscribers (email, status, source, fields, ip_address, optin_ip,"
            " subscribed_at, unsubscribed_at, opted_in_at, created_at, updated_at)"
            " VALUES (?, ?, 'api', ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *",
            (
                given.email,
                status,
                _merged_fields(db, "{}", given.fields or {}),
                *(attributes[name] for name in ATTRIBUTES),
                now,
                now,
            ),
        )
    else:
        row = _update_row(db, now, row, given)
    _add_groups(db, row, given.groups or [])
    return row, created


def update(
    db: sqlite3.Connection, now: str, row: sqlite3.Row, given: SubscriberInput
) -> sqlite3.Row:
    """PUT semantics: like the upsert's merge, but `groups` replaces the membership."""
    _check_groups(db, given.groups)
    if given.email is not None and given.email != row["email"]:
        taken = db.execute(
            "SELECT 1 FROM subscribers WHERE email = ? AND id != ?", (given.email, row["id"])
        ).fetchone()
        if taken:
            raise validation_failed({"email": ["The email has already been taken."]})
    row = _update_row(db, now, row, given)
    if given.groups is not None:
        keep = set(given.groups)
        current = {
            g
            for (g,) in db.execute(
                "SELECT group_id FROM memberships WHERE subscriber_id = ?", (row["id"],)
            )
        }
        db.executemany(
            "DELETE FROM memberships WHERE group_id = ? AND subscriber_id = ?",
            [(group_id, row["id"]) for group_id in current - keep],
        )
        _add_groups(db, row, given.groups)
    return row


def next_status(current: str, requested: str | None) -> str:
    if requested is None or requested == current:
        return current
    if current in LOCKED_STATUSES and requested in ("active", "unconfirmed"):
        return current
    return requested


def _update_row(
    db: sqlite3.Connection, now: str, row: sqlite3.Row, given: SubscriberInput
) -> sqlite3.Row:
    attributes = {name: row[name] for name in ATTRIBUTES} | given.attributes
    status = next_status(row["status"], given.status)
    if status != row["status"]:
        if status == "unsubscribed" and "unsubscribed_at" not in given.attributes:
            attributes["unsubscribed_at"] = now
        if status == "active" and not attributes["subscribed_at"]:
            attributes["subscribed_at"] = now
        # Keep the membership copy of the status in step (it drives member paging).
        db.execute("UPDATE memberships SET status = ? WHERE subscriber_id = ?", (status, row["id"]))
    return returning(
        db,
        "UPDATE subscribers SET email = ?, status = ?, fields = ?, ip_address = ?,"
        " optin_ip = ?, subscribed_at = ?, unsubscribed_at = ?, opted_in_at = ?,"
        " updated_at = ? WHERE id = ? RETURNING *",
        (
            given.email or row["email"],
            status,
            _merged_fields(db, row["fields"], given.fields or {}),
            *(attributes[name] for name in ATTRIBUTES),
            now,
            row["id"],
        ),
    )


def _merged_fields(db: sqlite3.Connection, current: str, incoming: dict[str, Any]) -> str:
    if not incoming:
        return current
    types = dict(db.execute("SELECT key, type FROM fields").fetchall())
    values: dict[str, Any] = json.loads(current)
    for key, value in incoming.items():
        if key not in types:
            continue
        if value is None or value == "":
            values.pop(key, None)
        else:
            values[key] = coerce_value(types[key], value)
    return json.dumps(values, separators=(",", ":"))


def coerce_value(field_type: str, value: Any) -> Any:
    if field_type == "number":
        if isinstance(value, int | float) and not isinstance(value, bool):
            return value
        text = str(value).strip()
        for convert in (int, float):
            try:
                return convert(text)
            except ValueError:
                pass
        return text
    if isinstance(value, str):
        return value
    return json.dumps(value) if isinstance(value, dict | list) else str(value)


def _check_groups(db: sqlite3.Connection, groups: list[int] | None) -> None:
    if not groups:
        return
    marks = ",".join("?" * len(groups))
    known = {g for (g,) in db.execute(f"SELECT id FROM groups WHERE id IN ({marks})", groups)}
    errors = {
        f"groups.{index}": [f"The selected groups.{index} is invalid."]
        for index, group_id in enumerate(groups)
        if group_id not in known
    }
    if errors:
        raise validation_failed(errors)


def _add_groups(db: sqlite3.Connection, row: sqlite3.Row, groups: list[int]) -> None:
    db.executemany(
        "INSERT OR IGNORE INTO memberships (group_id, subscriber_id, status) VALUES (?, ?, ?)",
        [(group_id, row["id"], row["status"]) for group_id in groups],
    )
