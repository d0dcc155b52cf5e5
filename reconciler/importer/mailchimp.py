"""Mailchimp: the `audiences` section from an observed State.

Each audience is written with all of its settings, then its merge fields, interest
categories (with their interests in display order), tags and saved segments. The five
merge fields every new audience gets are left out while they are as Mailchimp made
them: declaring them would only repeat Mailchimp's defaults.
"""

from __future__ import annotations

from typing import Any

from reconciler.config.mailchimp_audiences import OPTION_TYPES
from reconciler.config.mailchimp_documents import (
    DEFAULT_MERGE_FIELDS,
    EMAIL_TAG,
    AudienceDocument,
    AudienceName,
    CategoryTitle,
    InterestCategoryDocument,
    MergeFieldDocument,
    MergeTag,
    TagName,
)
from reconciler.importer.document import Block, Entry, by_name, fit, key_problem, repeated
from reconciler.importer.segments import AudienceNames, segments_section
from reconciler.importer.webhooks import audience_webhooks
from reconciler.model import Audience, Interest, InterestCategory, MergeField, Resource, State

#: How Mailchimp creates the default merge fields of a new audience (EMAIL is 1st).
DEFAULT_SETTINGS: dict[str, dict[str, Any]] = {
    tag: {
        "name": name,
        "type": DEFAULT_MERGE_FIELDS[tag],
        "required": False,
        "public": public,
        "default_value": "",
        "help_text": "",
        "display_order": order,
        "options": options,
    }
    for order, (tag, name, public, options) in enumerate(
        [
            ("FNAME", "First Name", True, {"size": 25}),
            ("LNAME", "Last Name", True, {"size": 25}),
            ("ADDRESS", "Address", False, {"default_country": 164}),
            ("PHONE", "Phone Number", False, {"phone_format": "none"}),
            ("BIRTHDAY", "Birthday", False, {"date_format": "MM/DD"}),
        ],
        start=2,
    )
}
MERGE_FIELD_SETTINGS = (
    "name",
    "type",
    "required",
    "public",
    "default_value",
    "help_text",
    "display_order",
)


def mailchimp_sections(state: State, body: Block, secret_env: dict[str, str]) -> None:
    audiences = [r for r in state.of_kind("audience") if isinstance(r, Audience)]
    same = repeated(a.key for a in audiences)
    block = Block()
    for audience in by_name(audiences, lambda a: a.key):
        # Audiences sharing a name share the addresses of their contents too, which can
        # no longer be told apart: only the settings are shown then.
        entry = _audience(state, audience, audience.key not in same, secret_env)
        block.entries.append(entry)
        if problem := key_problem(AudienceName, audience.key):
            entry.leave_out(f"this audience's name cannot be written: {problem}")
        elif audience.key in same:
            entry.leave_out(
                f"{len(same[audience.key])} audiences have this name in the account, so espform "
                "cannot tell them apart; rename all but one in Mailchimp and import again"
            )
    if block:
        body.add("audiences", block)


def _audience(
    state: State, audience: Audience, with_contents: bool, secret_env: dict[str, str]
) -> Entry:
    raw: dict[str, Any] = {}
    # An audience's managed attributes are exactly its settings (see `model.Audience`).
    for key, value in audience.attributes().items():
        if isinstance(value, dict):
            value = _known(AudienceDocument, key, value)
        if value is not None:
            raw[key] = value
    data, dropped, problem = fit(AudienceDocument, raw)
    block, original = _settings_block(data), _settings_block(raw)
    entry = Entry(audience.key, block, address=str(audience.address), dropped=dropped)
    entry.original = original
    if problem:
        entry.leave_out(f"the config cannot hold this audience's settings: {problem}")
    if not with_contents:
        return entry
    # As in the config, the default fields may be tested whether declared or not.
    names = AudienceNames(audience.key, merge_types=dict(DEFAULT_MERGE_FIELDS))
    sections = {
        "merge_fields": _merge_fields(state.of_kind("merge_field", audience.address), names),
        "interest_categories": _categories(state, audience, names),
        "tags": _tags(state.of_kind("tag", audience.address), names),
        "segments": segments_section(state.of_kind("segment", audience.address), names),
        "webhooks": audience_webhooks(
            state.of_kind("webhook", audience.address), audience.key, secret_env
        ),
    }
    for key, section in sections.items():
        if section:
            block.add(key, section)
            original.add(key, section)
    return entry


def _settings_block(settings: dict[str, Any]) -> Block:
    """Nested settings (contact, campaign_defaults) in block style: they are long."""
    return Block(
        [
            Entry(
                k,
                Block([Entry(n, v) for n, v in value.items()])
                if isinstance(value, dict)
                else value,
            )
            for k, value in settings.items()
        ]
    )


def _known(model: type[AudienceDocument], key: str, value: dict[str, Any]) -> dict[str, Any]:
    """A nested setting with only the keys the config knows, in the config's order.

    The API may return more; the plan compares only the keys declared.
    """
    nested = model.model_fields[key].annotation
    fields = getattr(nested, "model_fields", {})
    return {k: value[k] for k in fields if value.get(k) is not None}


# --- merge fields -------------------------------------------------------------------------


def _merge_fields(resources: list[Resource], names: AudienceNames) -> Block:
    fields = [r for r in resources if isinstance(r, MergeField)]
    block = Block()
    for field in sorted(fields, key=lambda f: (f.display_order or 0, f.key)):
        settings = {k: getattr(field, k) for k in MERGE_FIELD_SETTINGS}
        settings["options"] = field.options
        if field.key in DEFAULT_SETTINGS and settings == DEFAULT_SETTINGS[field.key]:
            continue
        raw = {k: v for k, v in settings.items() if v is not None and k != "options"}
        options = {
            k: v for k, v in (field.options or {}).items() if field.type in OPTION_TYPES.get(k, ())
        }
        if options:
            raw["options"] = options
        data, dropped, problem = fit(MergeFieldDocument, raw)
        dropped += _unchosen_default(data)
        comment = (
            "a default field, changed since Mailchimp made it"
            if field.key in DEFAULT_SETTINGS
            else ""
        )
        entry = block.add(
            field.key,
            Block([Entry(k, v) for k, v in data.items()]),
            comment=comment,
            address=str(field.address),
        )
        entry.dropped = dropped
        entry.original = Block([Entry(k, v) for k, v in raw.items()])
        problem = problem or _merge_field_problem(field.key, raw, data)
        if field.key == EMAIL_TAG:
            entry.leave_out("EMAIL is the contact's email address; the config cannot declare it")
        elif tag_problem := key_problem(MergeTag, field.key):
            entry.leave_out(f"its merge tag cannot be written: {tag_problem}")
        elif problem:
            entry.leave_out(problem)
        else:
            names.merge_types[field.key] = data.get("type") or DEFAULT_MERGE_FIELDS.get(field.key)
    return block


def _merge_field_problem(tag: str, raw: dict[str, Any], data: dict[str, Any]) -> str:
    """What the config's own checks would refuse in a field whose settings validate:
    `raw` is the field as Mailchimp holds it, `data` what is left to write."""
    if tag not in DEFAULT_MERGE_FIELDS and ("name" not in data or "type" not in data):
        missing = " and ".join(k for k in ("name", "type") if k not in data)
        return f"the config needs the {missing} of a merge field, and has none to write"
    if data.get("type") not in OPTION_TYPES["choices"]:
        return ""
    choices = raw.get("options", {}).get("choices") or []
    if not choices:
        return f"a {data['type']} field needs choices in the config, and this one has none"
    if not all(isinstance(c, str) and c for c in choices):
        return "one of its choices is empty, which the config does not accept"
    if len(set(choices)) != len(choices):
        return "its choices repeat a value, which the config does not accept"
    return ""


def _unchosen_default(data: dict[str, Any]) -> list[str]:
    """Drop a radio or dropdown default that is none of the choices, which the config
    refuses; the field itself can still be declared, its default then unmanaged."""
    choices = data.get("options", {}).get("choices") or []
    if data.get("type") not in OPTION_TYPES["choices"] or not choices:
        return []
    if data.get("default_value") in (None, "", *choices):
        return []
    del data["default_value"]
    return ["default_value is left out: it is not one of the choices, as the config requires"]


# --- interest categories --------------------------------------------------------------------


def _categories(state: State, audience: Audience, names: AudienceNames) -> Block:
    categories = [
        r
        for r in state.of_kind("interest_category", audience.address)
        if isinstance(r, InterestCategory)
    ]
    same = repeated(c.key for c in categories)
    block = Block()
    for category in sorted(
        categories, key=lambda c: (c.display_order or 0, c.key.casefold(), c.key)
    ):
        children = [
            r
            for r in state.of_kind("interest", category.address)
            if isinstance(r, Interest) and category.key not in same
        ]
        ordered = sorted(children, key=lambda i: i.display_order or 0)
        interests = [i.key for i in ordered]
        raw = {"type": category.type, "interests": interests}
        data, dropped, problem = fit(InterestCategoryDocument, raw)
        entry = block.add(
            category.key,
            Block([Entry(k, v) for k, v in data.items()]),
            address=str(category.address),
        )
        entry.original = Block([Entry(k, v) for k, v in raw.items()])
        orders = [i.display_order for i in ordered]
        if title_problem := key_problem(CategoryTitle, category.key):
            entry.leave_out(f"this category's title cannot be written: {title_problem}")
        elif category.key in same:
            entry.leave_out(
                f"{len(same[category.key])} interest categories have this title in the audience"
            )
        elif problem or dropped:
            entry.leave_out(problem or "; ".join(dropped))
        elif len(set(interests)) != len(interests):
            entry.leave_out(
                "two of its interests have the same name, which the config does not accept"
            )
        elif orders != list(range(1, len(orders) + 1)):
            shown = ", ".join(str(o) for o in orders)
            entry.leave_out(
                f"its interests have the display orders {shown}; the config numbers interests "
                f"by their place in the list (1 to {len(orders)}), so declaring this category "
                "would renumber them on the next apply"
            )
        else:
            names.categories[category.key] = interests
    return block


# --- tags -------------------------------------------------------------------------------------


def _tags(resources: list[Resource], names: AudienceNames) -> Block:
    same = repeated((t.key for t in resources), fold=str.casefold)
    block = Block()
    for tag in by_name(resources, lambda t: t.key):
        entry = block.add(tag.key, {}, address=str(tag.address))
        if problem := key_problem(TagName, tag.key):
            entry.leave_out(f"this tag's name cannot be written: {problem}")
        elif tag.key in same:
            others = ", ".join(f"'{t}'" for t in same[tag.key] if t != tag.key)
            entry.leave_out(
                f"the audience also has the tag {others}; the config treats tag names without "
                "regard to case, as Mailchimp does, so it cannot hold both"
            )
        else:
            names.tags.append(tag.key)
    return block
