"""Request bodies for Mailchimp writes, built from model resources.

POST bodies carry every declared attribute. PATCH bodies carry the changed attributes
plus whatever the 3.0.55 spec marks required on PATCH (the current API is looser, but
sending them costs nothing and works with both): an audience's name, contact,
permission_reminder, campaign_defaults and email_type_option; a merge field's name; a
category's title and type; an interest's name; and a saved segment's whole `options`,
since a PATCH with `options` replaces the condition set. A tag's PATCH carries only its
name: `static_segment` there would empty the tag.

Nested settings (`contact`, `campaign_defaults`, a merge field's `options`) are merged
over what was read, so that declaring one key of them does not blank the others.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from reconciler.engine.plan import Action, Change
from reconciler.model import (
    Address,
    Audience,
    AudienceWebhook,
    Interest,
    InterestCategory,
    MergeField,
    Resource,
    SavedSegment,
)
from reconciler.providers.http import JSONObject
from reconciler.providers.mailchimp_ids import IdBook, Unresolved
from reconciler.providers.mailchimp_read import AUDIENCE_SETTINGS

__all__ = [
    "Unresolved",
    "api_conditions",
    "audience_body",
    "category_body",
    "interest_body",
    "merge_field_body",
    "segment_body",
    "tag_body",
    "webhook_body",
]

#: What a new audience needs (the API refuses a POST without any of them).
AUDIENCE_REQUIRED = ("contact", "permission_reminder", "campaign_defaults", "email_type_option")
#: What a merge field's POST takes besides tag, name and type.
MERGE_FIELD_OPTIONAL = (
    "required",
    "public",
    "default_value",
    "options",
    "help_text",
    "display_order",
)
#: Read-only in merge field options; a PATCH must not send it.
READ_ONLY_OPTIONS = frozenset({"size"})
INTERESTS_PREFIX = "interests-"


def changed_attributes(change: Change) -> list[str]:
    """The attributes a change sets: its attribute diff, or for an update without one,
    everything declared. A rename without a diff changes only the name."""
    if change.attributes or change.action is Action.RENAME:
        return [a.attribute for a in change.attributes]
    after = change.after
    return [k for k, v in after.attributes().items() if v is not None] if after else []


def _merged(before: Any, after: Any) -> Any:
    if isinstance(before, Mapping) and isinstance(after, Mapping):
        return {**before, **after}
    return after if after is not None else before


def _patch_values(change: Change, always: Iterable[str]) -> JSONObject:
    """`always` and the changed attributes, declared values merged over read ones."""
    body: JSONObject = {}
    for key in dict.fromkeys([*always, *changed_attributes(change)]):
        value = _merged(getattr(change.before, key, None), getattr(change.after, key, None))
        if value is not None:
            body[key] = value
    return body


def _declared(resource: Resource | None, keys: Iterable[str]) -> JSONObject:
    return {k: v for k in keys if (v := getattr(resource, k, None)) is not None}


# --- per kind ---------------------------------------------------------------------------


def audience_body(change: Change, *, create: bool) -> JSONObject:
    name = change.address.name
    if create:
        after = change.after
        missing = [k for k in AUDIENCE_REQUIRED if getattr(after, k, None) is None]
        if missing or not isinstance(after, Audience):
            raise Unresolved(
                f"{change.address} cannot be created without {', '.join(missing)}: Mailchimp "
                "requires them for every new audience. Declare them in the configuration."
            )
        return {"name": name, **_declared(after, AUDIENCE_SETTINGS)}
    values = _patch_values(change, AUDIENCE_REQUIRED)
    return {"name": name, **{k: v for k, v in values.items() if k in AUDIENCE_SETTINGS}}


def merge_field_body(change: Change, *, create: bool) -> JSONObject:
    tag = change.address.name
    after = change.after
    if create:
        if not isinstance(after, MergeField) or after.type is None:
            raise Unresolved(
                f"{change.address} needs a type (text, number, date, dropdown, ...) to be created."
            )
        body: JSONObject = {"tag": tag, "name": after.name or tag, "type": after.type}
        return {**body, **_declared(after, MERGE_FIELD_OPTIONAL)}
    values = _patch_values(change, ("name",))
    # The type cannot change in place (that is a replace), and `size` is read-only.
    values.pop("type", None)
    if isinstance(values.get("options"), Mapping):
        values["options"] = {
            k: v for k, v in values["options"].items() if k not in READ_ONLY_OPTIONS
        }
    values.setdefault("name", tag)
    return {"tag": tag, **values} if _renamed(change) else values


def category_body(change: Change, *, create: bool) -> JSONObject:
    title = change.address.name
    if create:
        after = change.after
        if not isinstance(after, InterestCategory) or after.type is None:
            raise Unresolved(
                f"{change.address} needs a type (checkboxes, dropdown, radio or hidden) to "
                "be created."
            )
        return {"title": title, **_declared(after, ("type", "display_order"))}
    return {"title": title, **_patch_values(change, ("type",))}


def interest_body(change: Change, *, create: bool) -> JSONObject:
    name = change.address.name
    if create:
        after = change.after
        return {
            "name": name,
            **_declared(after if isinstance(after, Interest) else None, ("display_order",)),
        }
    return {"name": name, **_patch_values(change, ())}


def tag_body(change: Change, *, create: bool) -> JSONObject:
    # `static_segment: []` makes a new tag; on an existing one it would remove every member.
    if create:
        return {"name": change.address.name, "static_segment": []}
    return {"name": change.address.name}


def webhook_body(change: Change, *, create: bool) -> JSONObject:
    """Events and sources in full; the URL (in clear, for Mailchimp only) on create,
    since a changed URL is a new webhook and never a PATCH."""
    after = change.after
    if not isinstance(after, AudienceWebhook) or after.url is None:
        raise Unresolved(f"{change.address} is not an audience webhook with a url.")
    body: JSONObject = {}
    if create:
        body["url"] = after.url.reveal()
    if after.events is not None:
        body["events"] = dict(after.events)
    if after.sources is not None:
        body["sources"] = dict(after.sources)
    return body


def segment_body(change: Change, book: IdBook, *, create: bool) -> JSONObject:
    audience = change.address.parent
    after, before = change.after, change.before
    if audience is None or not isinstance(after, SavedSegment):
        raise Unresolved(f"{change.address} is not a saved segment of an audience.")
    body: JSONObject = {"name": change.address.name}
    changed = set(changed_attributes(change))
    if not create and not changed & {"match", "conditions"}:
        return body
    match = _merged(getattr(before, "match", None), after.match)
    conditions = _merged(getattr(before, "conditions", None), after.conditions)
    options: JSONObject = {} if match is None else {"match": match}
    options["conditions"] = api_conditions(conditions or (), audience, book)
    body["options"] = options
    return body


def _renamed(change: Change) -> bool:
    return change.before is not None and change.before.address.name != change.address.name


# --- conditions -------------------------------------------------------------------------


def api_conditions(
    conditions: Iterable[Mapping[str, Any]], audience: Address, book: IdBook
) -> list[JSONObject]:
    """Canonical conditions (tags, categories and interests by name) with Mailchimp's ids.

    Raw ids, which the canonical form keeps when a name could not be resolved on read,
    pass through unchanged.
    """
    return [_api_condition(dict(c), audience, book) for c in conditions]


def _api_condition(condition: JSONObject, audience: Address, book: IdBook) -> JSONObject:
    kind = condition.get("condition_type")
    if kind == "StaticSegment":
        value = condition.get("value")
        if isinstance(value, Mapping) and "tag" in value:
            tag_id = book.child_id(audience, "tag", str(value["tag"]), fold_case=True)
            # Segment ids are integers on the wire.
            condition["value"] = int(tag_id) if tag_id.isdigit() else tag_id
    elif kind == "Interests":
        category = _category(condition.get("field"), audience, book)
        if category is not None:
            condition["field"] = f"{INTERESTS_PREFIX}{book.current(category)}"
        values = condition.get("value")
        if isinstance(values, list):
            condition["value"] = [_interest_id(item, category, book) for item in values]
    return condition


def _category(field: Any, audience: Address, book: IdBook) -> Address | None:
    """The category an Interests condition's field names, by title or by raw field."""
    if isinstance(field, Mapping) and "interest_category" in field:
        title = str(field["interest_category"])
        book.child_id(audience, "interest_category", title)
        return audience.child("interest_category", title)
    if isinstance(field, str) and field.startswith(INTERESTS_PREFIX):
        return book.address_of(audience, "interest_category", field.removeprefix(INTERESTS_PREFIX))
    return None


def _interest_id(item: Any, category: Address | None, book: IdBook) -> Any:
    if not (isinstance(item, Mapping) and "interest" in item):
        return item
    name = str(item["interest"])
    if category is None:
        raise Unresolved(
            f'interest "{name}" is named in a condition whose interest category is unknown'
        )
    return book.child_id(category, "interest", name)
