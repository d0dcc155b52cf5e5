"""Filling a sandbox account fast: bulk subscribers (with field values and groups),
the custom fields they need, and segments, which the real API cannot create.

Bulk seeding inserts with `executemany` in chunks inside one transaction (all or
nothing), handing out ids itself so memberships need no lookups; a million subscribers
take seconds. Addresses that already exist are skipped, not updated.
"""

from __future__ import annotations

import itertools
import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler.sandbox.mailerlite.errors import invalid
from reconciler.sandbox.mailerlite.keys import derive_key
from reconciler.sandbox.mailerlite.store import Store, returning
from reconciler.sandbox.mailerlite.subscriber_writes import coerce_value
from reconciler.sandbox.mailerlite.validation import MAX_NAME_LENGTH, STATUSES, is_email

CHUNK_ROWS = 20_000
#: Rule segments may test these subscriber attributes besides field keys.
RULE_ATTRIBUTES = ("status", "email")


@dataclass(frozen=True)
class SeedSubscriber:
    email: str
    status: str = "active"
    fields: Mapping[str, Any] = field(default_factory=dict)
    groups: tuple[int, ...] = ()


@dataclass(frozen=True)
class SeedResult:
    created: int
    skipped: int


@dataclass(frozen=True)
class Generator:
    """`count` subscribers from templates: "{n}" in `email` (and in string field values)
    becomes the running number; a list value is cycled through (n-th row, n-th item)."""

    count: int
    email: str = "subscriber{n}@example.test"
    start: int = 1
    status: str = "active"
    fields: Mapping[str, Any] = field(default_factory=dict)
    groups: tuple[int, ...] = ()

    def rows(self) -> Iterator[SeedSubscriber]:
        for n in range(self.start, self.start + self.count):
            values = {key: _pick(value, n) for key, value in self.fields.items()}
            yield SeedSubscriber(
                self.email.replace("{n}", str(n)), self.status, values, self.groups
            )


def _pick(value: Any, n: int) -> Any:
    if isinstance(value, list):
        return _pick(value[n % len(value)], n) if value else None
    if isinstance(value, str):
        return value.replace("{n}", str(n))
    return value


def seed_subscribers(store: Store, rows: Iterable[SeedSubscriber]) -> SeedResult:
    with store.write() as db:
        field_types = dict(db.execute("SELECT key, type FROM fields").fetchall())
        group_ids = {group_id for (group_id,) in db.execute("SELECT id FROM groups")}
        (last_id,) = db.execute(
            "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'subscribers'),"
            " 0), coalesce((SELECT max(id) FROM subscribers), 0))"
        ).fetchone()
        now = store.now()
        created = seen = 0
        iterator = iter(rows)
        while chunk := list(itertools.islice(iterator, CHUNK_ROWS)):
            fresh: dict[str, SeedSubscriber] = {}
            for row in chunk:
                seen += 1
                _check_row(row, seen, field_types, group_ids)
                fresh.setdefault(row.email.strip().lower(), row)
            # Known addresses are skipped. Filtering them out here (rather than with
            # INSERT OR IGNORE) tells which ids were really used, so memberships can be
            # inserted blindly: much faster than checking each one against subscribers.
            marks = ",".join("?" * len(fresh))
            for (email,) in db.execute(
                f"SELECT email FROM subscribers WHERE email IN ({marks})", list(fresh)
            ).fetchall():
                del fresh[email]
            subscribers: list[tuple[Any, ...]] = []
            memberships: list[tuple[int, int, str]] = []
            for email, row in fresh.items():
                last_id += 1
                values = {
                    key: coerce_value(field_types[key], value)
                    for key, value in row.fields.items()
                    if value is not None and value != ""
                }
                subscribers.append(
                    (
                        last_id,
                        email,
                        row.status,
                        json.dumps(values, separators=(",", ":")),
                        now if row.status == "active" else None,
                        now if row.status == "unsubscribed" else None,
                        now,
                        now,
                    )
                )
                memberships.extend((group, last_id, row.status) for group in row.groups)
            db.executemany(
                "INSERT INTO subscribers (id, email, status, source, fields,"
                " subscribed_at, unsubscribed_at, created_at, updated_at)"
                " VALUES (?, ?, ?, 'import', ?, ?, ?, ?, ?)",
                subscribers,
            )
            db.executemany(
                "INSERT OR IGNORE INTO memberships (group_id, subscriber_id, status)"
                " VALUES (?, ?, ?)",
                memberships,
            )
            created += len(subscribers)
    return SeedResult(created=created, skipped=seen - created)


def _check_row(
    row: SeedSubscriber, number: int, field_types: dict[str, str], group_ids: set[int]
) -> None:
    where = f"subscribers.{number - 1}"
    if not is_email(row.email):
        raise invalid(f"{where}.email", f"{row.email!r} is not a valid email address")
    if row.status not in STATUSES:
        raise invalid(f"{where}.status", f"status must be one of {', '.join(STATUSES)}")
    for key in row.fields:
        if key not in field_types:
            raise invalid(f"{where}.fields", f"no field with key {key!r}; create it first")
    for group in row.groups:
        if group not in group_ids:
            raise invalid(f"{where}.groups", f"no group with id {group}; create it first")


def seed_segment(
    store: Store,
    name: str,
    *,
    emails: list[str] | None = None,
    rule: tuple[str, Any] | None = None,
) -> sqlite3.Row:
    """A segment of the listed subscribers, or of those whose `field` equals a value
    (evaluated whenever members are read, so later changes to subscribers count)."""
    if not name.strip() or len(name) > MAX_NAME_LENGTH:
        raise invalid("name", f"name must be 1 to {MAX_NAME_LENGTH} characters")
    if (emails is None) == (rule is None):
        raise invalid("emails", "give either emails (a list) or filter ({field, equals})")
    with store.write() as db:
        if rule is not None:
            known = {key for (key,) in db.execute("SELECT key FROM fields")}
            if rule[0] not in known and rule[0] not in RULE_ATTRIBUTES:
                raise invalid("filter.field", f"no field with key {rule[0]!r}")
            return returning(
                db,
                "INSERT INTO segments (name, rule_field, rule_value, created_at)"
                " VALUES (?, ?, ?, ?) RETURNING *",
                (name.strip(), rule[0], json.dumps(rule[1]), store.now()),
            )
        assert emails is not None
        wanted = sorted({email.strip().lower() for email in emails})
        found: dict[str, int] = {}
        for start in range(0, len(wanted), CHUNK_ROWS):  # stay under SQLite's variable cap
            part = wanted[start : start + CHUNK_ROWS]
            marks = ",".join("?" * len(part))
            found.update(
                db.execute(f"SELECT email, id FROM subscribers WHERE email IN ({marks})", part)
            )
        missing = [email for email in wanted if email not in found]
        if missing:
            raise invalid(
                "emails", f"no subscriber with email {missing[0]!r} ({len(missing)} unknown)"
            )
        segment = returning(
            db,
            "INSERT INTO segments (name, created_at) VALUES (?, ?) RETURNING *",
            (name.strip(), store.now()),
        )
        db.executemany(
            "INSERT INTO segment_members (segment_id, subscriber_id) VALUES (?, ?)",
            [(segment["id"], subscriber_id) for subscriber_id in found.values()],
        )
        return segment


def ensure_fields(store: Store, wanted: Iterable[tuple[str, str, str]]) -> list[str]:
    """Create the custom fields `(key, name, type)` the account lacks; returns the keys
    it created. A field that exists under the key must have the type; one whose name is
    taken by another key cannot be created (the API refuses duplicate names too)."""
    created: list[str] = []
    with store.write() as db:
        existing = {row["key"]: row for row in db.execute("SELECT key, name, type FROM fields")}
        names = {str(row["name"]).lower() for row in existing.values()}
        for key, name, field_type in wanted:
            row = existing.get(key)
            if row is not None:
                if row["type"] != field_type:
                    raise invalid(
                        "fields", f"field {key!r} is a {row['type']} field, not {field_type}"
                    )
                continue
            if name.lower() in names:
                raise invalid("fields", f"a field named {name!r} exists with another key")
            # Inserted with the key the API would derive from the name, so a field
            # seeded here is indistinguishable from one created through the API.
            if derive_key(name, existing) != key:
                raise invalid("fields", f"the name {name!r} does not give the key {key!r}")
            db.execute(
                "INSERT INTO fields (name, key, type, created_at) VALUES (?, ?, ?, ?)",
                (name, key, field_type, store.now()),
            )
            names.add(name.lower())
            created.append(key)
    return created
