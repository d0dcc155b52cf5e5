"""Mailchimp saved segments, with their conditions in the config's syntax.

The provider reads conditions into the canonical form of `reconciler.conditions`, with
tags, interest categories and interests already named. The config writes those names
plainly: `value: Dog owner` for a tag, `field: Newsletters` and `value: [Tips]` for
interests. An id the provider could not name stays an id, which the config accepts too.

A condition can only name what the file declares, so a segment whose condition refers
to a tag, category, interest or merge field that is commented out (or missing) is
commented out as well, with a note saying which.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from reconciler.conditions import CATALOG, INTERESTS_PREFIX, KEYS
from reconciler.config.mailchimp_documents import SegmentDocument, SegmentName
from reconciler.importer.document import Block, Entry, by_name, fit, key_problem, repeated
from reconciler.model import Resource, SavedSegment

#: What the config takes as an interest id rather than a name (see its conditions check).
_INTEREST_ID = re.compile(r"[0-9a-f]{10}")


@dataclass
class AudienceNames:
    """What the written file declares in one audience, for its segments to refer to."""

    audience: str
    #: Merge tag -> type; the default fields count even when left out of the file.
    merge_types: dict[str, str | None] = field(default_factory=dict)
    #: Interest category title -> its interest names.
    categories: dict[str, list[str]] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)


class Unwritable(Exception):
    """A condition the config cannot express; the message says why."""


def segments_section(resources: list[Resource], names: AudienceNames) -> Block:
    segments = [r for r in resources if isinstance(r, SavedSegment)]
    same = repeated((s.key for s in segments), fold=str.casefold)
    tags = {t.casefold(): t for t in names.tags}
    block = Block()
    for segment in by_name(segments, lambda s: s.key):
        entry, problem = _segment(segment, names)
        block.entries.append(entry)
        if name_problem := key_problem(SegmentName, segment.key):
            entry.leave_out(f"this segment's name cannot be written: {name_problem}")
        elif segment.key in same:
            entry.leave_out(
                f"{len(same[segment.key])} saved segments have this name (ignoring case) in "
                "the audience, so espform cannot tell them apart"
            )
        elif segment.key.casefold() in tags:
            entry.leave_out(
                f"the tag '{tags[segment.key.casefold()]}' has the same name; the config "
                "keeps tags and saved segments in one namespace, as Mailchimp's app does"
            )
        elif problem:
            entry.leave_out(problem)
    return block


def _segment(segment: SavedSegment, names: AudienceNames) -> tuple[Entry, str]:
    conditions: list[dict[str, Any]] = []
    problem = ""
    for condition in segment.conditions or ():
        try:
            conditions.append(config_condition(condition, names))
        except Unwritable as exc:
            conditions.append(dict(condition))
            problem = problem or str(exc)
    data: dict[str, Any] = {"match": segment.match, "conditions": conditions}
    if not conditions:
        problem = problem or "it has no conditions, and the config needs at least one"
    if segment.match not in ("any", "all"):
        problem = problem or f"its match is {segment.match!r}; the config takes any or all"
    checked, dropped, invalid = fit(
        SegmentDocument, {k: v for k, v in data.items() if v is not None}
    )
    problem = problem or invalid or "; ".join(dropped)
    block = Block([Entry(k, v) for k, v in (checked if not problem else data).items()])
    return Entry(segment.key, block, address=str(segment.address)), problem


def config_condition(condition: dict[str, Any], names: AudienceNames) -> dict[str, Any]:
    """One canonical condition as the config writes it; raises Unwritable."""
    condition_type = condition.get("condition_type")
    spec = CATALOG.get(condition_type) if isinstance(condition_type, str) else None
    if spec is None:
        raise Unwritable(f"condition type {condition_type!r} is not one the config knows")
    out: dict[str, Any] = {}
    category: str | None = None
    for key in KEYS:
        if key not in condition:
            continue
        value = condition[key]
        if key == "field" and isinstance(value, dict):
            category = value.get("interest_category")
            if category not in names.categories:
                raise Unwritable(
                    f"a condition tests interest category '{category}', which is not declared"
                )
            value = category
        elif key == "field" and spec.field_kind == "merge":
            _merge_field(str(value), names)
        elif key == "value" and spec.value == "tag":
            value = _tag(value, names)
        elif key == "value" and spec.value == "interest_ids":
            value = _interests(value, category, condition.get("field"))
        out[key] = value
    return out


def _merge_field(tag: str, names: AudienceNames) -> None:
    if tag not in names.merge_types:
        raise Unwritable(f"a condition tests merge field {tag}, which is not declared")


def _tag(value: Any, names: AudienceNames) -> Any:
    if isinstance(value, dict):
        tag = value.get("tag")
        if tag not in names.tags:
            raise Unwritable(f"a condition tests tag '{tag}', which is not declared")
        return tag
    return value  # an id no tag has; the config keeps ids as numbers


def _interests(value: Any, category: str | None, raw_field: Any) -> Any:
    if not isinstance(value, list):
        return value
    if category is None:
        # `interests-<id>` of a category that no longer exists: ids stay ids.
        if not (isinstance(raw_field, str) and raw_field.startswith(INTERESTS_PREFIX)):
            raise Unwritable("a condition tests interests of no known category")
        return value
    items: list[Any] = []
    for item in value:
        if isinstance(item, dict):
            items.append(item.get("interest"))
        elif isinstance(item, str) and _INTEREST_ID.fullmatch(item):
            items.append(item)
        else:
            raise Unwritable(f"a condition tests interest {item!r}, which is not declared")
    return items
