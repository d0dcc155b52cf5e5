"""JSON shapes of MailerLite objects (groups, fields, segments, subscribers) built from rows.

Ids are rendered as strings. Statistics the sandbox does not simulate (sends, opens,
clicks) are zero; member counts are real.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from reconciler.sandbox.mailerlite.store import Store

_ZERO_RATE: dict[str, Any] = {"float": 0, "string": "0%"}


@dataclass(frozen=True)
class GroupCounts:
    by_status: dict[str, int]

    def of(self, status: str) -> int:
        return self.by_status.get(status, 0)


class GroupCountCache:
    """Member counts per group, kept until account data changes.

    A reader streaming a million subscribers with `include=groups` would otherwise
    recount every group on every page.
    """

    def __init__(self, store: Store) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._version: tuple[int, int] | None = None
        self._counts: dict[int, GroupCounts] = {}

    def get(self, db: sqlite3.Connection, group_ids: Iterable[int]) -> dict[int, GroupCounts]:
        version = self._store.data_version(db)
        with self._lock:
            if version != self._version:
                self._version, self._counts = version, {}
            wanted = set(group_ids)
            for group_id in wanted - self._counts.keys():
                rows = db.execute(
                    "SELECT status, count(*) FROM memberships WHERE group_id = ? GROUP BY status",
                    (group_id,),
                ).fetchall()
                self._counts[group_id] = GroupCounts({status: n for status, n in rows})
            return {group_id: self._counts[group_id] for group_id in wanted}


def group_json(row: sqlite3.Row, counts: GroupCounts) -> dict[str, Any]:
    return {
        "id": str(row["id"]),
        "name": row["name"],
        "active_count": counts.of("active"),
        "sent_count": 0,
        "opens_count": 0,
        "open_rate": dict(_ZERO_RATE),
        "clicks_count": 0,
        "click_rate": dict(_ZERO_RATE),
        "unsubscribed_count": counts.of("unsubscribed"),
        "unconfirmed_count": counts.of("unconfirmed"),
        "bounced_count": counts.of("bounced"),
        "junk_count": counts.of("junk"),
        "created_at": row["created_at"],
    }


def field_json(row: sqlite3.Row, *, listed: bool) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": str(row["id"]),
        "name": row["name"],
        "key": row["key"],
        "type": row["type"],
        "is_default": bool(row["is_default"]),
    }
    # Create and update answers omit it (recorded 2023-2025); lists carry it.
    if listed:
        item["used_in_automations"] = False
    return item


def segment_json(row: sqlite3.Row, total: int, *, listed: bool) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": str(row["id"]),
        "name": row["name"],
        "total": total,
        "open_rate": dict(_ZERO_RATE),
        "click_rate": dict(_ZERO_RATE),
        "created_at": row["created_at"],
    }
    if listed:
        item["automations_using_segment_count"] = 0
    return item


class Views:
    """Renders rows read in one request; loads field keys and group counts once."""

    def __init__(self, db: sqlite3.Connection, counts: GroupCountCache) -> None:
        self._db = db
        self._counts = counts
        self._field_keys: list[str] | None = None

    def field_keys(self) -> list[str]:
        if self._field_keys is None:
            rows = self._db.execute("SELECT key FROM fields ORDER BY id").fetchall()
            self._field_keys = [key for (key,) in rows]
        return self._field_keys

    def groups(self, rows: Sequence[sqlite3.Row]) -> list[dict[str, Any]]:
        counts = self._counts.get(self._db, (row["id"] for row in rows))
        return [group_json(row, counts[row["id"]]) for row in rows]

    def group(self, row: sqlite3.Row) -> dict[str, Any]:
        return self.groups([row])[0]

    def subscribers(
        self, rows: Sequence[sqlite3.Row], *, with_groups: bool
    ) -> list[dict[str, Any]]:
        groups_of: dict[int, list[dict[str, Any]]] = {}
        if with_groups and rows:
            groups_of = self._groups_of([row["id"] for row in rows])
        keys = self.field_keys()
        items = []
        for row in rows:
            values = json.loads(row["fields"])
            item: dict[str, Any] = {
                "id": str(row["id"]),
                "email": row["email"],
                "status": row["status"],
                "source": row["source"],
                "sent": 0,
                "opens_count": 0,
                "clicks_count": 0,
                "open_rate": 0,
                "click_rate": 0,
                "ip_address": row["ip_address"],
                "subscribed_at": row["subscribed_at"],
                "unsubscribed_at": row["unsubscribed_at"],
                "created_at": row["created_at"],
                "updated_at": row["updated_at"],
                "fields": {key: values.get(key) for key in keys},
            }
            if with_groups:
                item["groups"] = groups_of.get(row["id"], [])
            item["opted_in_at"] = row["opted_in_at"]
            item["optin_ip"] = row["optin_ip"]
            items.append(item)
        return items

    def subscriber(self, row: sqlite3.Row) -> dict[str, Any]:
        return self.subscribers([row], with_groups=True)[0]

    def _groups_of(self, subscriber_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
        marks = ",".join("?" * len(subscriber_ids))
        pairs = self._db.execute(
            f"SELECT m.subscriber_id, g.* FROM memberships m JOIN groups g ON g.id = m.group_id"
            f" WHERE m.subscriber_id IN ({marks}) ORDER BY g.name COLLATE NOCASE, g.id",
            subscriber_ids,
        ).fetchall()
        rendered = {item["id"]: item for item in self.groups(pairs)}
        result: dict[int, list[dict[str, Any]]] = {}
        for row in pairs:
            result.setdefault(row["subscriber_id"], []).append(rendered[str(row["id"])])
        return result
