"""An audience's contacts for rule-driven tags: streamed in, and tagged in batches.

Scan: `GET /lists/{id}/members` with `count=1000` (the maximum) and a `fields` list of
what rules read, so that a page carries no `_links`, stats or interests. The first page
gives `total_items`; the following offsets are then requested ahead, at most `window`
pages at a time (the connection limit), and handed out in offset order, so memory holds
a few pages, never the audience. A member object lists at most 50 tags next to its
`tags_count`; a contact with more costs one more request,
`GET /lists/{id}/members/{hash}/tags`, for the full list (rare: rules rarely meet
contacts with over 50 tags). Archived contacts are not listed: they have left the
audience, and their tags cannot be changed. Contacts that join or leave while a scan
runs can shift the pages under it; the next plan sees the audience as it settled.

Membership: `POST /lists/{id}/segments/{tag_id}` with `members_to_add` and
`members_to_remove`, at most 500 of each per request, the requests of one tag in
parallel. Mailchimp reports addresses it could not change in `errors`; those, and
failed requests, become the outcome's error while the other requests still count.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import deque
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from reconciler.engine.membership import Member, MembershipChange
from reconciler.providers.ambiguity import resend_idempotent
from reconciler.providers.answers import (
    BadAnswer,
    PageGuard,
    check_items,
    item_defect,
    optional_int,
    request_label,
)
from reconciler.providers.base import MembershipOutcome, ProviderError
from reconciler.providers.http import HttpClient, JSONObject, gather_or_cancel
from reconciler.providers.shapes import MAILCHIMP_MEMBER, MAILCHIMP_MEMBER_TAG
from reconciler.rules import Status, SubscriberView
from reconciler.rules.status import from_provider

__all__ = [
    "BATCH_LIMIT",
    "MEMBER_FIELDS",
    "MEMBER_TAG_LIMIT",
    "change_tag_members",
    "member_from",
    "scan_audience",
]

PAGE_SIZE = 1000
#: Tags a member object lists at most; `tags_count` says how many there are.
MEMBER_TAG_LIMIT = 50
#: Addresses per list (to add, to remove) in one static segment batch.
BATCH_LIMIT = 500
_MEMBER_KEYS = (
    "id",
    "email_address",
    "status",
    "merge_fields",
    "tags",
    "tags_count",
    "timestamp_opt",
    "timestamp_signup",
)
#: `total_items` must stay in: paging depends on it.
MEMBER_FIELDS = ",".join([*(f"members.{key}" for key in _MEMBER_KEYS), "total_items"])
TAG_FIELDS = "tags.name,total_items"
#: A batch answer without the 500 member objects it would otherwise echo.
BATCH_FIELDS = "total_added,total_removed,errors,error_count"
#: Addresses quoted in an error message; the rest are counted.
_SHOWN = 3


# --- scanning ---------------------------------------------------------------------------


async def scan_audience(
    http: HttpClient, list_id: str, *, window: int, audience: str
) -> AsyncIterator[list[Member]]:
    """Every listed contact of the audience, a page at a time, in offset order."""
    base = f"/lists/{list_id}/members"
    doing = f'reading the contacts of audience "{audience}"'

    async def page(offset: int) -> _Page:
        params = {"count": PAGE_SIZE, "offset": offset, "fields": MEMBER_FIELDS}
        request = request_label(http.base_url, "GET", base, params)
        body = await http.get(base, params=params, context=doing)
        listed = check_items(body, "members", MAILCHIMP_MEMBER, request)
        for number, item in enumerate(listed):
            for place, tag in enumerate(item.get("tags") or []):
                defect = item_defect(tag, MAILCHIMP_MEMBER_TAG, f"members[{number}].tags[{place}]")
                if defect:
                    raise BadAnswer(request, defect)
        PageGuard(PAGE_SIZE).page(listed, request)
        kept = [m for m in listed if m.get("status") != "archived"]
        members = await gather_or_cancel([_member(http, base, item, doing) for item in kept])
        total = optional_int(body, "total_items", "answer", request)
        return _Page(members, len(listed), len(listed) if total is None else total)

    first = await page(0)
    yield first.members
    # Step by what the server actually sent, in case it caps pages below PAGE_SIZE.
    offsets = iter(range(first.listed, first.total, first.listed) if first.listed else ())
    ahead: deque[asyncio.Task[_Page]] = deque()
    try:
        for offset in _take(offsets, max(window, 1)):
            ahead.append(asyncio.ensure_future(page(offset)))
        while ahead:
            members = (await ahead.popleft()).members
            for offset in _take(offsets, 1):
                ahead.append(asyncio.ensure_future(page(offset)))
            yield members
    finally:
        # The consumer may stop early (or fail): leave no request running unobserved.
        for task in ahead:
            task.cancel()
        await asyncio.gather(*ahead, return_exceptions=True)


@dataclass(frozen=True)
class _Page:
    members: list[Member]
    #: Contacts the page listed, archived ones included: the step to the next offset.
    listed: int
    total: int


def _take(items: Iterator[int], count: int) -> list[int]:
    return [offset for _, offset in zip(range(count), items, strict=False)]


async def _member(http: HttpClient, base: str, data: JSONObject, doing: str) -> Member:
    listed = [str(t["name"]) for t in data.get("tags") or []]
    count = data.get("tags_count")
    if isinstance(count, int) and count > len(listed) and data.get("id"):
        tags = await http.offset_items(
            f"{base}/{data['id']}/tags",
            items_key="tags",
            params={"fields": TAG_FIELDS},
            page_size=PAGE_SIZE,
            context=f"{doing}: the tags of a contact with more than {MEMBER_TAG_LIMIT}",
            shape=MAILCHIMP_MEMBER_TAG,
        )
        listed = [str(t["name"]) for t in tags]
    return member_from(data, listed)


def member_from(data: JSONObject, tags: Sequence[str]) -> Member:
    """A contact as rules see it; its handle for writes is its email address."""
    email = str(data["email_address"])
    subscribed_at = _moment(data.get("timestamp_opt"))
    view = SubscriberView(
        email=email,
        status=_status(data.get("status")),
        fields=dict(data.get("merge_fields") or {}),
        tags=frozenset(tags),
        subscribed_at=subscribed_at,
        # Contacts added through the API or an import have no signup time: for them,
        # joining is opting in.
        created_at=_moment(data.get("timestamp_signup")) or subscribed_at,
    )
    return Member(id=email, view=view)


def _status(raw: Any) -> Status | str:
    try:
        return from_provider("mailchimp", str(raw))
    except ValueError:
        return str(raw)  # a status this version does not know: no status rule matches it


def _moment(raw: Any) -> dt.datetime | None:
    if not isinstance(raw, str) or not raw.strip():
        return None
    try:
        return dt.datetime.fromisoformat(raw.strip())
    except ValueError:
        return None


# --- changing membership ----------------------------------------------------------------


@dataclass
class _Tally:
    added: int = 0
    removed: int = 0
    errors: list[str] = field(default_factory=list)


async def change_tag_members(
    http: HttpClient, list_id: str, tag_id: str, change: MembershipChange
) -> MembershipOutcome:
    """Add and remove the change's members, in batches of at most 500 of each."""
    path = f"/lists/{list_id}/segments/{tag_id}"
    adds = [ref.email for ref in change.add]
    removes = [ref.email for ref in change.remove]
    rounds = max(-(-len(adds) // BATCH_LIMIT), -(-len(removes) // BATCH_LIMIT))
    bodies = []
    for index in range(rounds):
        window = slice(index * BATCH_LIMIT, (index + 1) * BATCH_LIMIT)
        body = {"members_to_add": adds[window], "members_to_remove": removes[window]}
        bodies.append({key: value for key, value in body.items() if value})
    tally = _Tally()
    doing = f"changing the members of {change.address} (id {tag_id})"
    results = await asyncio.gather(*(_batch(http, path, body, doing) for body in bodies))
    for added, removed, errors in results:
        tally.added += added
        tally.removed += removed
        tally.errors += errors
    return MembershipOutcome(change, tally.added, tally.removed, "; ".join(tally.errors))


async def _batch(
    http: HttpClient, path: str, body: JSONObject, doing: str
) -> tuple[int, int, list[str]]:
    async def send() -> Any:
        return await http.request_json(
            "POST", path, params={"fields": BATCH_FIELDS}, json=body, context=doing
        )

    try:
        # Adding a member twice or removing one already out changes nothing: a batch
        # whose answer was lost is sent again.
        answer, resent = await resend_idempotent(send)
    except ProviderError as exc:
        return 0, 0, [str(exc)]
    answer = answer if isinstance(answer, dict) else {}
    refused = [item for item in answer.get("errors") or [] if isinstance(item, dict)]
    errors = [_refused(item) for item in refused]
    if resent:
        # The resent answer counts as changes only what the lost one had not done
        # already; every member it did not refuse is now where the plan wants it.
        left_out = {str(e).lower() for item in refused for e in item.get("email_addresses") or []}
        adds = [e for e in body.get("members_to_add", []) if e.lower() not in left_out]
        removes = [e for e in body.get("members_to_remove", []) if e.lower() not in left_out]
        return len(adds), len(removes), errors
    return _count(answer.get("total_added")), _count(answer.get("total_removed")), errors


def _refused(item: JSONObject) -> str:
    emails = [str(e) for e in item.get("email_addresses") or []]
    shown = ", ".join(emails[:_SHOWN]) + (
        f" and {len(emails) - _SHOWN} more" if len(emails) > _SHOWN else ""
    )
    reason = str(item.get("error") or "no reason given").rstrip(".")
    return f"Mailchimp did not change {len(emails)} address(es) ({shown}): {reason}"


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
