"""Reading a Mailchimp account into the model, in as few requests as the API allows.

One `GET /lists`, then per audience four lists at once (merge fields, interest
categories, segments, webhooks), then the interests of every category at once. Every list asks
for `count=1000` (the maximum) and names the wanted `fields`, which also leaves out
`_links`, the bulk of every response. Tags and saved segments come from one segments
list, split by `type`; fuzzy segments are not managed and are skipped.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import Any

from reconciler.conditions import canonical_from_api
from reconciler.model import (
    Address,
    Audience,
    AudienceWebhook,
    Interest,
    InterestCategory,
    MergeField,
    Resource,
    SavedSegment,
    State,
    Tag,
)
from reconciler.providers.http import HttpClient, JSONObject, gather_or_cancel
from reconciler.providers.shapes import MAILCHIMP
from reconciler.secret_url import SecretUrl

__all__ = [
    "AUDIENCE_SETTINGS",
    "BUILTIN_MERGE_TAGS",
    "MERGE_FIELD_ATTRIBUTES",
    "NAME",
    "audience_from",
    "category_from",
    "interest_from",
    "merge_field_from",
    "read_account",
    "tag_from",
]

NAME = "mailchimp"
PAGE_SIZE = 1000

#: Every new audience has these merge fields; they are never pruned.
BUILTIN_MERGE_TAGS = frozenset({"FNAME", "LNAME", "ADDRESS", "PHONE", "BIRTHDAY"})
AUDIENCE_SETTINGS = (
    "contact",
    "permission_reminder",
    "campaign_defaults",
    "email_type_option",
    "double_optin",
    "use_archive_bar",
    "notify_on_subscribe",
    "notify_on_unsubscribe",
    "marketing_permissions",
    "visibility",
)
MERGE_FIELD_ATTRIBUTES = (
    "name",
    "type",
    "required",
    "public",
    "default_value",
    "options",
    "help_text",
    "display_order",
)


def _fields(collection: str, keys: tuple[str, ...]) -> str:
    # `total_items` must stay in: paging depends on it.
    return ",".join([*(f"{collection}.{key}" for key in keys), "total_items"])


LIST_FIELDS = _fields("lists", ("id", "name", *AUDIENCE_SETTINGS))
MERGE_FIELD_FIELDS = _fields("merge_fields", ("merge_id", "tag", *MERGE_FIELD_ATTRIBUTES))
CATEGORY_FIELDS = _fields("categories", ("id", "title", "type", "display_order"))
INTEREST_FIELDS = _fields("interests", ("id", "name", "display_order"))
SEGMENT_FIELDS = _fields("segments", ("id", "name", "type", "options"))
WEBHOOK_FIELDS = "webhooks.id,webhooks.url,webhooks.events,webhooks.sources"


# --- requests ---------------------------------------------------------------------------


async def read_account(http: HttpClient, only: Collection[str] | None = None) -> State:
    """The account; with `only`, every audience but the contents of those named only
    (re-reading what a few failed writes touched costs a fraction of a full read)."""
    lists = await _items(http, "/lists", "lists", LIST_FIELDS, "reading the audiences")
    audiences = [audience_from(item) for item in lists]
    state = State(NAME)
    state.extend(audiences)
    wanted = [a for a in audiences if only is None or a.key in only]
    for children in await gather_or_cancel([_read_audience(http, a) for a in wanted]):
        state.extend(children)
    return state


@dataclass(frozen=True)
class _RawCategory:
    data: JSONObject
    interests: list[JSONObject]


async def _read_audience(http: HttpClient, audience: Audience) -> list[Resource]:
    base = f"/lists/{audience.id}"
    where = f'of audience "{audience.key}"'
    merge_fields, categories, segments, webhooks = await gather_or_cancel(
        [
            _items(
                http,
                f"{base}/merge-fields",
                "merge_fields",
                MERGE_FIELD_FIELDS,
                f"reading the merge fields {where}",
            ),
            _read_categories(http, base, where),
            _items(
                http,
                f"{base}/segments",
                "segments",
                SEGMENT_FIELDS,
                f"reading the tags and segments {where}",
            ),
            _webhooks(http, f"{base}/webhooks", f"reading the webhooks {where}"),
        ]
    )
    found = list(_map_audience(audience.address, merge_fields, categories, segments))
    return found + [webhook_from(data, audience.address) for data in webhooks]


async def _webhooks(http: HttpClient, path: str, doing: str) -> list[JSONObject]:
    # Not paged: the API takes no count or offset on this list.
    body = await http.request_json("GET", path, params={"fields": WEBHOOK_FIELDS}, context=doing)
    items = body.get("webhooks") if isinstance(body, dict) else None
    return [item for item in items or [] if isinstance(item, dict)]


async def _read_categories(http: HttpClient, base: str, where: str) -> list[_RawCategory]:
    categories = await _items(
        http,
        f"{base}/interest-categories",
        "categories",
        CATEGORY_FIELDS,
        f"reading the interest categories {where}",
    )
    interests = await gather_or_cancel(
        [
            _items(
                http,
                f"{base}/interest-categories/{category['id']}/interests",
                "interests",
                INTEREST_FIELDS,
                f'reading the interests of category "{category.get("title")}" {where}',
            )
            for category in categories
        ]
    )
    return [_RawCategory(c, i) for c, i in zip(categories, interests, strict=True)]


async def _items(
    http: HttpClient, path: str, key: str, fields: str, doing: str
) -> list[JSONObject]:
    return await http.offset_items(
        path,
        items_key=key,
        params={"fields": fields},
        page_size=PAGE_SIZE,
        context=doing,
        shape=MAILCHIMP[key],
    )


# --- mapping ----------------------------------------------------------------------------


def _map_audience(
    audience: Address,
    merge_fields: list[JSONObject],
    categories: list[_RawCategory],
    segments: list[JSONObject],
) -> Iterator[Resource]:
    for data in merge_fields:
        yield merge_field_from(data, audience)
    interest_names: dict[str, str] = {}
    category_titles: dict[str, str] = {}
    for raw in categories:
        category = category_from(raw.data, audience)
        category_titles[str(category.id)] = category.key
        yield category
        for data in raw.interests:
            interest = interest_from(data, category.address)
            interest_names[str(interest.id)] = interest.key
            yield interest
    static = [s for s in segments if s.get("type") == "static"]
    for data in static:
        yield tag_from(data, audience)
    names = _Names(
        tags={int(s["id"]): str(s["name"]) for s in static if str(s["id"]).isdigit()},
        categories=category_titles,
        interests=interest_names,
    )
    for data in segments:
        if data.get("type") == "saved":
            yield _segment_from(data, audience, names)


def audience_from(data: JSONObject) -> Audience:
    settings: dict[str, Any] = {key: data.get(key) for key in AUDIENCE_SETTINGS}
    return Audience(
        address=Address.of(NAME, "audience", str(data["name"])),
        id=str(data["id"]),
        **settings,
    )


def merge_field_from(data: JSONObject, audience: Address) -> MergeField:
    tag = str(data["tag"])
    attributes: dict[str, Any] = {key: data.get(key) for key in MERGE_FIELD_ATTRIBUTES}
    return MergeField(
        address=audience.child("merge_field", tag),
        id=str(data["merge_id"]),
        builtin=tag in BUILTIN_MERGE_TAGS,
        **attributes,
    )


def category_from(data: JSONObject, audience: Address) -> InterestCategory:
    return InterestCategory(
        address=audience.child("interest_category", str(data["title"])),
        id=str(data["id"]),
        type=data.get("type"),
        display_order=data.get("display_order"),
    )


def interest_from(data: JSONObject, category: Address) -> Interest:
    return Interest(
        address=category.child("interest", str(data["name"])),
        id=str(data["id"]),
        display_order=data.get("display_order"),
    )


def tag_from(data: JSONObject, audience: Address) -> Tag:
    return Tag(address=audience.child("tag", str(data["name"])), id=str(data["id"]))


def webhook_from(data: JSONObject, audience: Address) -> AudienceWebhook:
    """Keyed by the redacted URL: Mailchimp stores no name, and the URL may be a secret."""
    url = SecretUrl(str(data.get("url") or ""))
    return AudienceWebhook(
        address=audience.child("webhook", str(url)),
        id=str(data["id"]),
        url=url,
        events={str(k): bool(v) for k, v in (data.get("events") or {}).items()},
        sources={str(k): bool(v) for k, v in (data.get("sources") or {}).items()},
    )


@dataclass(frozen=True)
class _Names:
    """Id → name within one audience, to write conditions with names instead of ids."""

    tags: dict[int, str]
    categories: dict[str, str]
    interests: dict[str, str]


def _segment_from(data: JSONObject, audience: Address, names: _Names) -> SavedSegment:
    options = data.get("options") or {}
    return SavedSegment(
        address=audience.child("segment", str(data["name"])),
        id=str(data["id"]),
        match=options.get("match"),
        conditions=canonical_from_api(
            list(options.get("conditions") or []), names.tags, names.categories, names.interests
        ),
    )
