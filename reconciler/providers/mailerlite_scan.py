"""Reading a MailerLite account's subscribers as `Member`s, for rule-driven groups.

`GET /api/subscribers?limit=1000&include=groups&filter[status]=S` lists subscribers of
one status with their groups. The fact sheet leaves open what the list returns without
`filter[status]` (group member lists default to active only), so each of the five
statuses is walked explicitly: every subscriber is read exactly once whatever the
default is, for at most five requests more than one walk would take.

The list is cursor-paged: a page's cursor comes from the page before, so one status's
pages are read one after the other, 1000 subscribers a request; the five walks run at
the same time. A million subscribers are about 1000 requests, some 8 minutes within
MailerLite's 120 requests per minute. So that evaluation does not add to that, pages
are requested while earlier ones are being evaluated.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Mapping
from typing import Any

from reconciler.engine.membership import Member
from reconciler.providers.http import HttpClient, JSONObject
from reconciler.providers.shapes import MAILERLITE_SUBSCRIBER
from reconciler.rules import SubscriberView
from reconciler.rules.status import PROVIDER_STATUSES

#: The largest page the API documents for subscriber lists (group members).
SCAN_PAGE_SIZE = 1000

#: MailerLite's status words in espform's vocabulary.
_STATUSES: Mapping[str, Any] = PROVIDER_STATUSES["mailerlite"]
_NO_GROUPS: frozenset[str] = frozenset()


def member_from(item: JSONObject) -> Member:
    """A subscriber of `GET /api/subscribers?include=groups` as rules see it.

    Runs once per subscriber of the account, hence plain lookups rather than helpers.
    """
    raw_status = item.get("status")
    # A status MailerLite added later stays as written: no status predicate matches it.
    status = _STATUSES.get(raw_status, raw_status) if isinstance(raw_status, str) else ""
    fields = item.get("fields")
    groups = item.get("groups")
    view = SubscriberView(
        str(item.get("email") or ""),
        status,
        fields if isinstance(fields, dict) else {},
        frozenset([str(g.get("name")) for g in groups if isinstance(g, dict)])
        if groups
        else _NO_GROUPS,
        (),
        _timestamp(item.get("subscribed_at")),
        _timestamp(item.get("created_at")),
    )
    return Member(str(item["id"]), view)


def _timestamp(value: object) -> dt.datetime | None:
    """MailerLite writes `YYYY-MM-DD HH:MM:SS` in UTC without a zone; rules read a
    timestamp without a zone as UTC, so none is added."""
    if value.__class__ is not str or not value:
        return None
    try:
        return dt.datetime.fromisoformat(value)  # type: ignore[arg-type]
    except ValueError:
        return None


#: MailerLite's subscriber statuses, each walked on its own (see the module docstring).
SCAN_STATUSES = ("active", "unsubscribed", "unconfirmed", "bounced", "junk")


async def scan(http: HttpClient) -> AsyncIterator[list[Member]]:
    """Every subscriber of the account, one list per page (empty pages too: the caller
    counts the pages read). One producer task per status stays a page ahead, so at most
    a few pages are held at once whatever the account's size."""
    pages: asyncio.Queue[list[JSONObject] | BaseException | None] = asyncio.Queue(maxsize=1)

    async def produce(status: str) -> None:
        try:
            async for page in http.cursor_pages(
                "/api/subscribers",
                params={"limit": SCAN_PAGE_SIZE, "include": "groups", "filter[status]": status},
                context=f"reading the {status} subscribers",
                shape=MAILERLITE_SUBSCRIBER,
            ):
                await pages.put(page)
        except Exception as exc:  # handed to the consumer, which raises it
            await pages.put(exc)
            return
        await pages.put(None)

    producers = [asyncio.ensure_future(produce(status)) for status in SCAN_STATUSES]
    running = len(producers)
    try:
        while running:
            page = await pages.get()
            if page is None:
                running -= 1
                continue
            if isinstance(page, BaseException):
                raise page
            yield [member_from(item) for item in page]
    finally:
        for producer in producers:
            producer.cancel()
        await asyncio.gather(*producers, return_exceptions=True)
