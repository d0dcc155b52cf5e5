"""The member object as the API returns it, built a page at a time.

Tags and interests of a whole page are loaded with one query each, so a page of 1000
members costs three queries, not three thousand. `interests` lists every interest id of
the audience (false for non-members), and `tags` holds at most 50 entries next to the
full `tags_count`, as the fact sheet describes (2.3, 2.5).
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from typing import Any

from reconciler.sandbox.mailchimp.context import Ctx, item_links, link
from reconciler.sandbox.mailchimp.merge_fields import load_merge_fields
from reconciler.sandbox.mailchimp.merge_values import read_values
from reconciler.sandbox.mailchimp.store import contact_id, unique_email_id

MEMBER_TAG_LIMIT = 50
DEFAULT_LOCATION = {
    "latitude": 0,
    "longitude": 0,
    "gmtoff": 0,
    "dstoff": 0,
    "country_code": "",
    "timezone": "",
    "region": "",
}
KIND = "Lists/Members"
#: The rowid is not exposed, but web ids need to be stable integers; offsetting the
#: rowid keeps them unique per account and realistic-looking.
WEB_ID_BASE = 100_000_000


def _placeholders(count: int) -> str:
    return ",".join("?" * count)


class MemberView:
    """Renders members of one audience; `prefix` is the dotted path of each item."""

    def __init__(self, ctx: Ctx, list_id: str, prefix: str = "") -> None:
        self.ctx = ctx
        self.list_id = list_id
        self.prefix = prefix
        self.fields = load_merge_fields(ctx.db, list_id)
        self.interest_ids = [
            r[0]
            for r in ctx.db.execute(
                "SELECT id FROM interests WHERE list_id = ? ORDER BY seq", (list_id,)
            )
        ]

    def _wants(self, name: str) -> bool:
        return self.ctx.wants(self.prefix + name)

    def _tags(self, ids: list[int]) -> dict[int, list[dict[str, Any]]]:
        tags: dict[int, list[dict[str, Any]]] = defaultdict(list)
        if not ids or not (self._wants("tags") or self._wants("tags_count")):
            return tags
        rows = self.ctx.db.execute(
            "SELECT sm.member_id, s.id, s.name FROM segment_members sm"
            " JOIN segments s ON s.id = sm.segment_id"
            f" WHERE s.type = 'static' AND sm.member_id IN ({_placeholders(len(ids))})"
            " ORDER BY sm.member_id, s.id",
            ids,
        )
        for member_id, tag_id, name in rows:
            tags[member_id].append({"id": tag_id, "name": name})
        return tags

    def _interests(self, ids: list[int]) -> dict[int, set[str]]:
        chosen: dict[int, set[str]] = defaultdict(set)
        if not ids or not self.interest_ids or not self._wants("interests"):
            return chosen
        rows = self.ctx.db.execute(
            "SELECT member_id, interest_id FROM member_interests"
            f" WHERE member_id IN ({_placeholders(len(ids))})",
            ids,
        )
        for member_id, interest_id in rows:
            chosen[member_id].add(interest_id)
        return chosen

    def render(self, rows: list[sqlite3.Row]) -> list[dict[str, Any]]:
        ids = [r["id"] for r in rows]
        tags = self._tags(ids)
        interests = self._interests(ids)
        with_links = self._wants("_links")
        return [self._one(r, tags[r["id"]], interests[r["id"]], with_links) for r in rows]

    def render_one(self, row: sqlite3.Row) -> dict[str, Any]:
        return self.render([row])[0]

    def _one(
        self, row: sqlite3.Row, tags: list[dict[str, Any]], chosen: set[str], with_links: bool
    ) -> dict[str, Any]:
        merge = read_values(self.fields, json.loads(row["merge_fields"]))
        full_name = f"{merge.get('FNAME', '')} {merge.get('LNAME', '')}".strip()
        doc: dict[str, Any] = {
            "id": row["hash"],
            "email_address": row["email"],
            "unique_email_id": unique_email_id(row["id"]),
            "contact_id": contact_id(row["id"]),
            "full_name": full_name,
            "web_id": WEB_ID_BASE + row["id"],
            "email_type": row["email_type"],
            "status": row["status"],
        }
        if row["status"] == "unsubscribed":
            doc["unsubscribe_reason"] = row["unsubscribe_reason"]
        doc.update(
            {
                "consents_to_one_to_one_messaging": True,
                "sms_phone_number": "",
                "sms_subscription_status": "",
                "sms_subscription_last_updated": "",
                "merge_fields": merge,
                "interests": {i: i in chosen for i in self.interest_ids},
                "stats": {"avg_open_rate": 0, "avg_click_rate": 0},
                "ip_signup": row["ip_signup"],
                "timestamp_signup": row["timestamp_signup"],
                "ip_opt": row["ip_opt"],
                "timestamp_opt": row["timestamp_opt"],
                "member_rating": row["member_rating"],
                "last_changed": row["last_changed"],
                "language": row["language"],
                "vip": bool(row["vip"]),
                "email_client": "",
                "location": {**DEFAULT_LOCATION, **json.loads(row["location"])},
                "source": row["source"],
                "tags_count": len(tags),
                "tags": tags[:MEMBER_TAG_LIMIT],
                "list_id": row["list_id"],
            }
        )
        if with_links:
            base = f"/lists/{row['list_id']}/members"
            path = f"{base}/{row['hash']}"
            doc["_links"] = item_links(
                self.ctx,
                path,
                base,
                KIND,
                extra=[
                    link(
                        self.ctx,
                        "upsert",
                        path,
                        "PUT",
                        target=f"{KIND}/Response.json",
                        schema=f"{KIND}/PUT.json",
                    ),
                    link(self.ctx, "tags", f"{path}/tags"),
                ],
            )
        return doc
