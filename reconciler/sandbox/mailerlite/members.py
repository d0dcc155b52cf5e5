"""Cursor-paged walks over subscribers: the whole account, a group's members, a segment's.

Every walk goes newest first (by subscriber id, descending) along an index, so a page
costs the same at the start and at the end of a million-row list.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from reconciler.sandbox.mailerlite.paging import Cursor


@dataclass(frozen=True)
class Scope:
    """A set of subscribers as SQL: rows of `subscribers s` joined from `source`."""

    source: str
    id_column: str
    conditions: tuple[str, ...] = ()
    params: tuple[Any, ...] = ()


@dataclass(frozen=True)
class Page:
    rows: list[sqlite3.Row]
    next_cursor: Cursor | None
    prev_cursor: Cursor | None


def account_scope(status: str | None) -> Scope:
    if status is None:
        return Scope("subscribers s", "s.id")
    return Scope("subscribers s", "s.id", ("s.status = ?",), (status,))


def group_scope(group_id: int, status: str) -> Scope:
    return Scope(
        "memberships m JOIN subscribers s ON s.id = m.subscriber_id",
        "m.subscriber_id",
        ("m.group_id = ?", "m.status = ?"),
        (group_id, status),
    )


def segment_scope(segment: sqlite3.Row, status: str) -> Scope:
    """Members of a list segment, or of a rule segment evaluated now."""
    if segment["rule_field"] is None:
        return Scope(
            "segment_members sm JOIN subscribers s ON s.id = sm.subscriber_id",
            "sm.subscriber_id",
            ("sm.segment_id = ?", "s.status = ?"),
            (segment["id"], status),
        )
    condition, params = rule_condition(segment["rule_field"], json.loads(segment["rule_value"]))
    return Scope("subscribers s", "s.id", ("s.status = ?", condition), (status, *params))


def rule_condition(field: str, expected: Any) -> tuple[str, tuple[Any, ...]]:
    """SQL for `field == expected`; `status` and `email` are columns, other names are
    field keys compared as JSON values (so 5 matches the number 5, not the text "5")."""
    params: tuple[Any, ...] = ()
    if field in ("status", "email"):
        column = f"s.{field}"
    else:
        column, params = "json_extract(s.fields, ?)", (f'$."{field}"',)
    if expected is None:
        return f"{column} IS NULL", params
    if isinstance(expected, bool):  # JSON true/false come out of json_extract as 1/0
        expected = int(expected)
    return f"{column} = ?", (*params, expected)


def fetch_page(db: sqlite3.Connection, scope: Scope, cursor: Cursor | None, limit: int) -> Page:
    conditions = list(scope.conditions)
    params = list(scope.params)
    forward = cursor is None or cursor.points_to_next
    if cursor is not None:
        conditions.append(f"{scope.id_column} {'<' if forward else '>'} ?")
        params.append(cursor.id)
    where = " AND ".join(conditions) or "1"
    order = "DESC" if forward else "ASC"
    rows = db.execute(
        f"SELECT s.* FROM {scope.source} WHERE {where} ORDER BY {scope.id_column} {order} LIMIT ?",
        [*params, limit + 1],
    ).fetchall()
    more = len(rows) > limit
    rows = rows[:limit]
    if not rows:
        return Page([], None, None)
    if forward:
        next_cursor = Cursor(rows[-1]["id"], True) if more else None
        prev_cursor = Cursor(rows[0]["id"], False) if cursor is not None else None
    else:
        rows.reverse()
        next_cursor = Cursor(rows[-1]["id"], True)
        prev_cursor = Cursor(rows[0]["id"], False) if more else None
    return Page(rows, next_cursor, prev_cursor)


def read_page(db: sqlite3.Connection, scope: Scope, raw_cursor: str | None, limit: int) -> Page:
    """The page a `cursor` query argument asks for; an undecodable cursor reads as an
    empty page (recorded: `cursor=1` gave 200 with no data), not as an error."""
    if not raw_cursor:
        return fetch_page(db, scope, None, limit)
    cursor = Cursor.decode(raw_cursor)
    return Page([], None, None) if cursor is None else fetch_page(db, scope, cursor, limit)


def count(db: sqlite3.Connection, scope: Scope) -> int:
    where = " AND ".join(scope.conditions) or "1"
    (total,) = db.execute(
        f"SELECT count(*) FROM {scope.source} WHERE {where}", scope.params
    ).fetchone()
    return int(total)
