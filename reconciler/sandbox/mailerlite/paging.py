"""MailerLite's two list envelopes: page-based (groups, fields, segments) and cursor-based
(subscribers, group and segment members), with Laravel's cursor encoding.

A cursor is base64url (no padding) of `{"id": <subscriber id>, "_pointsToNextItems": bool}`,
which is what recorded cursors decode to. A cursor that does not decode gives an empty
page with status 200, as recorded for `cursor=1`.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

#: Laravel's paginator shows this many page links on each side of the current page.
_ON_EACH_SIDE = 3


@dataclass(frozen=True)
class Cursor:
    id: int
    points_to_next: bool

    def encode(self) -> str:
        raw = json.dumps({"id": self.id, "_pointsToNextItems": self.points_to_next})
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> Cursor | None:
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            data = json.loads(raw)
        except (binascii.Error, ValueError):
            return None
        if not isinstance(data, dict):
            return None
        ident, forward = data.get("id"), data.get("_pointsToNextItems")
        if isinstance(ident, bool) or not isinstance(forward, bool):
            return None
        if isinstance(ident, str) and ident.isdigit():
            ident = int(ident)
        if not isinstance(ident, int) or not 0 <= ident < 2**63:
            return None
        return cls(ident, forward)


@dataclass(frozen=True)
class CursorPage:
    items: list[dict[str, Any]]
    next_cursor: Cursor | None
    prev_cursor: Cursor | None


def cursor_envelope(page: CursorPage, url: str, per_page: int | str) -> dict[str, Any]:
    def link(cursor: Cursor | None) -> str | None:
        return None if cursor is None else f"{url}?cursor={quote(cursor.encode())}"

    return {
        "data": page.items,
        "links": {
            "first": None,
            "last": None,
            "prev": link(page.prev_cursor),
            "next": link(page.next_cursor),
        },
        "meta": {
            "path": url,
            "per_page": per_page,
            "next_cursor": page.next_cursor.encode() if page.next_cursor else None,
            "prev_cursor": page.prev_cursor.encode() if page.prev_cursor else None,
        },
    }


def page_envelope(
    items: list[dict[str, Any]], *, total: int, page: int, per_page: int, url: str
) -> dict[str, Any]:
    last_page = max(1, math.ceil(total / per_page))

    def page_url(number: int) -> str:
        return f"{url}?page={number}"

    start = (page - 1) * per_page
    prev_url = page_url(page - 1) if page > 1 else None
    next_url = page_url(page + 1) if page < last_page else None
    links: list[dict[str, Any]] = [{"url": prev_url, "label": "&laquo; Previous", "active": False}]
    for number in _window(page, last_page):
        if number is None:
            links.append({"url": None, "label": "...", "active": False})
        else:
            links.append({"url": page_url(number), "label": str(number), "active": number == page})
    links.append({"url": next_url, "label": "Next &raquo;", "active": False})
    return {
        "data": items,
        "links": {
            "first": page_url(1),
            "last": page_url(last_page),
            "prev": prev_url,
            "next": next_url,
        },
        "meta": {
            "current_page": page,
            "from": start + 1 if items else None,
            "last_page": last_page,
            "links": links,
            "path": url,
            "per_page": per_page,
            "to": start + len(items) if items else None,
            "total": total,
        },
    }


def _window(page: int, last_page: int) -> list[int | None]:
    """Page numbers to link, with None for an elided run (Laravel's URL window)."""
    side = _ON_EACH_SIDE
    if last_page < side * 2 + 8:
        return list(range(1, last_page + 1))
    window = side * 2
    head = [1, 2]
    tail = [last_page - 1, last_page]
    if page <= window:
        return [*range(1, window + side + 1), None, *tail]
    if page > last_page - window:
        return [*head, None, *range(last_page - (window + side) + 1, last_page + 1)]
    return [*head, None, *range(page - side, page + side + 1), None, *tail]
