"""Bulk member seeding for tests and benchmarks: a million rows in one transaction,
plus the audience and merge fields they need (`ensure_audience`, `ensure_merge_fields`).

Rows are generated lazily and written with `executemany`; tags and interests shared by
every seeded member are attached with one `INSERT ... SELECT` each. Addresses already on
the list are skipped.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from reconciler.sandbox.mailchimp.context import MERGE_FIELD_LIMIT
from reconciler.sandbox.mailchimp.member_write import STATUSES
from reconciler.sandbox.mailchimp.merge_fields import MergeField, add_defaults, load_merge_fields
from reconciler.sandbox.mailchimp.merge_values import BadValue, normalise
from reconciler.sandbox.mailchimp.store import new_hex_id, new_web_id, now, subscriber_hash
from reconciler.sandbox.mailchimp.tags import tag_id_for


class SeedError(ValueError):
    """The seed request is malformed; the message says which part."""


@dataclass
class SeedMember:
    email: str
    status: str
    merge_fields: dict[str, Any] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    interests: list[str] = field(default_factory=list)


@dataclass
class SeedPlan:
    """Either explicit `members`, or `count` members generated from templates."""

    list_id: str
    members: list[SeedMember] = field(default_factory=list)
    count: int = 0
    start: int = 0
    email: str = "member{i}@example.com"
    status: str | list[str] = "subscribed"
    merge_fields: dict[str, Any] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    interests: list[str] = field(default_factory=list)


def _pick(value: Any, i: int) -> Any:
    """A list cycles through its items; a string is a template for `{i}`."""
    if isinstance(value, list):
        return _pick(value[i % len(value)], i) if value else ""
    if isinstance(value, str):
        return value.replace("{i}", str(i))
    return value


def parse_plan(body: Any) -> SeedPlan:
    if not isinstance(body, dict) or not isinstance(body.get("list_id"), str):
        raise SeedError("send a JSON object with list_id (and members or count)")
    plan = SeedPlan(list_id=body["list_id"])
    try:
        for raw in body.get("members") or []:
            plan.members.append(
                SeedMember(
                    email=str(raw["email_address"]),
                    status=str(raw.get("status", "subscribed")),
                    merge_fields=dict(raw.get("merge_fields") or {}),
                    tags=[str(t) for t in raw.get("tags") or []],
                    interests=[k for k, v in (raw.get("interests") or {}).items() if v],
                )
            )
        plan.count = int(body.get("count", 0))
        plan.start = int(body.get("start", 0))
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise SeedError(f"malformed seed request: {error}") from None
    plan.email = str(body.get("email", plan.email))
    plan.status = body.get("status", plan.status)
    plan.merge_fields = dict(body.get("merge_fields") or {})
    plan.tags = [str(t) for t in body.get("tags") or []]
    plan.interests = [str(i) for i in body.get("interests") or []]
    if plan.count and "{i}" not in plan.email:
        raise SeedError("the email template must contain {i} so addresses differ")
    return plan


def _generated(plan: SeedPlan) -> Iterator[SeedMember]:
    yield from plan.members
    for i in range(plan.start, plan.start + plan.count):
        yield SeedMember(
            email=_pick(plan.email, i),
            status=str(_pick(plan.status, i)),
            merge_fields={tag: _pick(v, i) for tag, v in plan.merge_fields.items()},
        )


def seed_members(db: sqlite3.Connection, plan: SeedPlan) -> dict[str, int]:
    if db.execute("SELECT 1 FROM lists WHERE id = ?", (plan.list_id,)).fetchone() is None:
        raise SeedError(f"no list with id {plan.list_id!r}")
    known = {
        r[0] for r in db.execute("SELECT id FROM interests WHERE list_id = ?", (plan.list_id,))
    }
    wanted = set(plan.interests).union(*(m.interests for m in plan.members))
    if wanted - known:
        raise SeedError(f"unknown interest ids: {', '.join(sorted(wanted - known))}")
    before = db.execute("SELECT COALESCE(MAX(id), 0) FROM members").fetchone()[0]
    stamp = now()
    created = _insert_members(db, plan.list_id, _generated(plan), stamp)
    new_rows = "SELECT id FROM members WHERE list_id = ? AND id > ?"
    for name in plan.tags:
        db.execute(
            f"INSERT OR IGNORE INTO segment_members SELECT ?, id, ? FROM ({new_rows})",
            (tag_id_for(db, plan.list_id, name), stamp, plan.list_id, before),
        )
    for interest_id in plan.interests:
        db.execute(
            f"INSERT OR IGNORE INTO member_interests SELECT ?, id FROM ({new_rows})",
            (interest_id, plan.list_id, before),
        )
    _attach_explicit(db, plan, before, stamp)
    return {"created": created, "skipped": len(plan.members) + plan.count - created}


def seed_member_stream(
    db: sqlite3.Connection, list_id: str, members: Iterable[SeedMember]
) -> dict[str, int]:
    """Insert members as they come, without holding them all (a million fit in little
    memory); their tags and interests are not attached. Same answer as `seed_members`."""
    if db.execute("SELECT 1 FROM lists WHERE id = ?", (list_id,)).fetchone() is None:
        raise SeedError(f"no list with id {list_id!r}")
    seen = 0

    def counted() -> Iterator[SeedMember]:
        nonlocal seen
        for member in members:
            seen += 1
            yield member

    created = _insert_members(db, list_id, counted(), now())
    return {"created": created, "skipped": seen - created}


def _insert_members(
    db: sqlite3.Connection, list_id: str, members: Iterable[SeedMember], stamp: str
) -> int:
    """Insert the members not yet on the list; returns how many were inserted."""
    by_tag = {f.tag: f for f in load_merge_fields(db, list_id)}

    def values_of(member: SeedMember) -> str:
        # Checked value by value rather than through write_values: a million members
        # make its per-call set-up the larger part of the seeding time.
        values: dict[str, Any] = {}
        for tag, value in member.merge_fields.items():
            field = by_tag.get(tag.upper())
            if field is not None and value not in (None, ""):
                try:
                    values[str(field.merge_id)] = normalise(field, value)
                except BadValue as bad:
                    raise SeedError(f"{member.email}: {tag}: {bad}") from None
        return json.dumps(values)

    def rows() -> Iterator[tuple[Any, ...]]:
        for member in members:
            if member.status not in STATUSES:
                raise SeedError(f"unknown status {member.status!r}")
            key = subscriber_hash(member.email)
            opted = stamp if member.status == "subscribed" else ""
            yield (
                list_id, key, member.email.strip(), "html", member.status,
                values_of(member), "", 0, "", "", "", opted, stamp, "Import", "", 2, "{}",
            )  # fmt: skip

    cursor = db.executemany(
        "INSERT OR IGNORE INTO members (list_id, hash, email,"
        " email_type, status, merge_fields, language, vip, ip_signup, timestamp_signup, ip_opt,"
        " timestamp_opt, last_changed, source, unsubscribe_reason, member_rating, location)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows(),
    )
    return cursor.rowcount


def ensure_audience(db: sqlite3.Connection, name: str, settings: dict[str, Any]) -> str:
    """The id of the first audience called `name`, created with `settings` (a complete
    document, as the API stores it) and the default merge fields if there is none."""
    row = db.execute("SELECT id FROM lists WHERE name = ? ORDER BY seq", (name,)).fetchone()
    if row is not None:
        return str(row[0])
    list_id = new_hex_id()
    db.execute(
        "INSERT INTO lists (id, web_id, name, settings, date_created) VALUES (?, ?, ?, ?, ?)",
        (list_id, new_web_id(), name, json.dumps(settings), now()),
    )
    add_defaults(db, list_id)
    return list_id


@dataclass(frozen=True)
class MergeFieldSpec:
    tag: str
    name: str
    type: str
    options: dict[str, Any] = field(default_factory=dict)
    public: bool = True


def ensure_merge_fields(
    db: sqlite3.Connection, list_id: str, wanted: Iterable[MergeFieldSpec]
) -> list[str]:
    """Add the merge fields the audience lacks (by tag), as the API would; returns the
    tags added. An existing tag of another type is an error, not silently reused."""
    existing = {f.tag: f for f in load_merge_fields(db, list_id)}
    added: list[str] = []
    for spec in wanted:
        found = existing.get(spec.tag)
        if found is not None:
            if found.type != spec.type:
                raise SeedError(f"merge field {spec.tag} is a {found.type} field, not {spec.type}")
            continue
        if len(existing) >= MERGE_FIELD_LIMIT:
            raise SeedError(f"the audience already has {MERGE_FIELD_LIMIT} merge fields")
        (merge_id,) = db.execute(
            "SELECT next_merge_id FROM lists WHERE id = ?", (list_id,)
        ).fetchone()
        order = max((f.display_order for f in existing.values()), default=1) + 1
        created = MergeField(
            list_id, merge_id, spec.tag, spec.name, spec.type, False, "", spec.public, order,
            dict(spec.options), "",
        )  # fmt: skip
        created.save(db)
        db.execute("UPDATE lists SET next_merge_id = ? WHERE id = ?", (merge_id + 1, list_id))
        existing[spec.tag] = created
        added.append(spec.tag)
    return added


def _attach_explicit(db: sqlite3.Connection, plan: SeedPlan, before: int, stamp: str) -> None:
    """Per-member tags and interests of explicitly listed members that were inserted."""
    if not any(m.tags or m.interests for m in plan.members):
        return
    ids = dict(
        db.execute(
            "SELECT hash, id FROM members WHERE list_id = ? AND id > ?", (plan.list_id, before)
        ).fetchall()
    )
    for member in plan.members:
        member_id = ids.get(subscriber_hash(member.email))
        if member_id is None:
            continue
        for name in member.tags:
            db.execute(
                "INSERT OR IGNORE INTO segment_members VALUES (?, ?, ?)",
                (tag_id_for(db, plan.list_id, name), member_id, stamp),
            )
        db.executemany(
            "INSERT OR IGNORE INTO member_interests VALUES (?, ?)",
            [(i, member_id) for i in member.interests],
        )
