"""Check a saved segment's conditions against the catalog and the audience; build them.

Each condition is checked against `reconciler.conditions.CATALOG` (type, op, field, value
kind, required keys) and against what the audience declares: merge tags and their types,
interest categories and interests, tags. Names are turned into the references of the
canonical form, so that a plan compares them with what the provider reads.

Choices where Mailchimp's schema is silent: `op` is always required (a condition
without one means nothing); so is `field`, unless the type allows only one (the
canonical form fills it in: `{condition_type: MemberRating, op: greater, value: 3}`);
a merge, email or Interests condition needs a `value` unless its op is blank or
blank_not. A tag is named by a string and identified by an integer, so the tag "2022"
and the tag with id 2022 stay distinct.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from reconciler.conditions import (
    CATALOG,
    INTERESTS_PREFIX,
    VALUELESS_OPS,
    ConditionSpec,
    ValueKind,
    ValueKindError,
    canonical,
    canonical_condition,
    category_ref,
    interest_ref,
    normalise,
    sorted_interests,
    tag_ref,
)
from reconciler.config.document import BuildContext
from reconciler.config.mailchimp_documents import DEFAULT_MERGE_FIELDS, ConditionDocument
from reconciler.hints import did_you_mean, kind_of

#: Interest ids are 10 hex digits; any other string in an Interests value is a name.
_INTEREST_ID = re.compile(r"[0-9a-f]{10}")
_EMAIL_FIELDS = ("EMAIL", "merge0")


@dataclass
class AudienceNames:
    """What the conditions of one audience may refer to."""

    audience: str
    #: Merge tag -> type (None when the declaration lacks one, already reported).
    merge_types: dict[str, str | None] = field(default_factory=dict)
    #: Merge tag -> declared `options.choices` (radio and dropdown fields).
    choices: dict[str, list[str]] = field(default_factory=dict)
    #: Merge tag -> declared `options.date_format` (date and birthday fields).
    date_formats: dict[str, str] = field(default_factory=dict)
    #: Interest category title -> its interest names.
    categories: dict[str, list[str]] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)


def build_conditions(
    ctx: BuildContext,
    path: tuple[Hashable, ...],
    segment: str,
    conditions: Sequence[ConditionDocument],
    names: AudienceNames,
) -> tuple[dict[str, Any], ...] | None:
    """The canonical conditions of one segment, or None if any was reported."""
    if not conditions:
        ctx.error(
            ctx.value(*path, "conditions"),
            f"segment '{segment}' needs at least one condition",
        )
        return None
    built = []
    for index, condition in enumerate(conditions):
        prefix = f"segment '{segment}', condition {index + 1}"
        check = _Check(ctx, (*path, "conditions", index), prefix, names)
        result = check.run(condition)
        if result is not None:
            built.append(result)
    return canonical(built) if len(built) == len(conditions) else None


@dataclass
class _Check:
    ctx: BuildContext
    path: tuple[Hashable, ...]
    prefix: str
    names: AudienceNames
    failed: bool = False

    def error(self, message: str, *where: Hashable, key: bool = False) -> None:
        place = (*self.path, *where)
        self.ctx.error(self.ctx.key(*place) if key else self.ctx.value(*place), message)
        self.failed = True

    def run(self, doc: ConditionDocument) -> dict[str, Any] | None:
        condition_type = doc.condition_type
        spec = CATALOG.get(condition_type)
        if spec is None:
            hint = (
                did_you_mean(condition_type, CATALOG) or f"; expected one of {', '.join(CATALOG)}"
            )
            self.error(
                f"{self.prefix}: unknown condition_type '{condition_type}'{hint}", "condition_type"
            )
            return None
        given = {
            key: getattr(doc, key)
            for key in ("field", "op", "value", "extra", "addr", "lat", "lng")
            if getattr(doc, key) is not None
        }
        self._keys(condition_type, spec, given)
        values: dict[str, Any] = dict(given)
        if "op" in given and given["op"] not in spec.ops:
            self.error(
                f"{self.prefix}: op '{given['op']}' is not allowed for {condition_type}; "
                f"allowed: {', '.join(spec.ops)}",
                "op",
            )
        category: str | None = None
        if "field" in given:
            values["field"], category = self._field(condition_type, spec, given["field"])
        if "value" in given:
            values["value"] = self._value(condition_type, spec, given["value"], category)
        for key, kind in spec.extras.items():
            if key in given:
                values[key] = self._normalised(condition_type, key, kind, spec, given[key])
        if self.failed:
            return None
        return canonical_condition(condition_type, spec, values)

    def _keys(self, condition_type: str, spec: ConditionSpec, given: Mapping[str, Any]) -> None:
        for key in given:
            if key not in spec.keys:
                uses = ", ".join(k for k in spec.keys if k != "condition_type")
                self.error(
                    f"{self.prefix}: key '{key}' is not used by {condition_type} conditions "
                    f"(they use {uses})",
                    key,
                    key=True,
                )
        # The canonical form fills in a field the type allows only one value for.
        derivable = spec.field_kind == "fixed" and len(spec.fields) == 1
        needed = [k for k in spec.required if k not in ("condition_type", "field", "op")]
        needed[:0] = ["op"] if derivable else ["field", "op"]
        takes_value = spec.field_kind in ("merge", "email", "interests")
        if takes_value and "value" not in needed and given.get("op") not in VALUELESS_OPS:
            needed.append("value")
        missing = [k for k in needed if k not in given]
        if missing:
            keys = "the key" if len(missing) == 1 else "the keys"
            self.error(f"{self.prefix}: {condition_type} needs {keys} {', '.join(missing)}")

    def _field(self, condition_type: str, spec: ConditionSpec, name: str) -> tuple[Any, str | None]:
        """The canonical field, and the interest category title it names, if any."""
        if spec.field_kind == "fixed" and name not in spec.fields:
            self.error(
                f"{self.prefix}: field '{name}' is not valid for {condition_type}; expected "
                f"{_either(spec.fields)}{did_you_mean(name, spec.fields)}",
                "field",
            )
        elif spec.field_kind == "email" and name not in _EMAIL_FIELDS:
            self.error(
                f"{self.prefix}: {condition_type} conditions test field EMAIL (or merge0), "
                f"not '{name}'",
                "field",
            )
        elif spec.field_kind == "merge":
            self._merge_tag(condition_type, spec, name)
        elif spec.field_kind == "interests":
            if name in self.names.categories:
                return category_ref(name), name
            if not (name.startswith(INTERESTS_PREFIX) and len(name) > len(INTERESTS_PREFIX)):
                titles = list(self.names.categories)
                hint = did_you_mean(name, titles) or (
                    "; write a title declared under interest_categories, or interests-<id>"
                )
                self.error(
                    f"{self.prefix}: unknown interest category '{name}' in audience "
                    f"'{self.names.audience}'{hint}",
                    "field",
                )
        return name, None

    def _merge_tag(self, condition_type: str, spec: ConditionSpec, tag: str) -> None:
        types = self.names.merge_types
        if tag not in types:
            hint = did_you_mean(tag, types) or (
                f"; declare it under merge_fields (every audience starts with "
                f"{', '.join(DEFAULT_MERGE_FIELDS)})"
            )
            self.error(
                f"{self.prefix}: unknown merge tag '{tag}' in audience "
                f"'{self.names.audience}'{hint}",
                "field",
            )
            return
        merge_type = types[tag]
        if merge_type is not None and merge_type not in spec.merge_types:
            fits = _either(spec.merge_types)
            self.error(
                f"{self.prefix}: {condition_type} needs a {fits} merge field; '{tag}' is "
                f"of type {merge_type}",
                "field",
            )

    def _value(
        self, condition_type: str, spec: ConditionSpec, value: Any, category: str | None
    ) -> Any:
        if spec.value == "tag":
            return self._tag(value)
        if spec.value == "interest_ids":
            return self._interests(value, category)
        if spec.value == "none":
            self.error(
                f"{self.prefix}: {condition_type} takes no value; remove it", "value", key=True
            )
            return None
        return self._normalised(condition_type, "value", spec.value, spec, value)

    def _normalised(
        self, condition_type: str, key: str, kind: ValueKind, spec: ConditionSpec, value: Any
    ) -> Any:
        if isinstance(value, dt.date):  # YAML reads an unquoted 2024-05-01 as a date
            value = value.isoformat()
        try:
            return normalise(kind, value, spec)
        except ValueKindError as exc:
            # Text is not quoted back: a value may come from a `${...}` reference.
            got = "" if isinstance(value, str) else f", got {kind_of(value)}"
            self.error(f"{self.prefix}: the {key} of {condition_type} must be {exc}{got}", key)
            return None

    def _tag(self, value: Any) -> Any:
        if isinstance(value, str):
            if value in self.names.tags:
                return tag_ref(value)
            hint = did_you_mean(value, self.names.tags) or (
                "; declare it under tags, or give a tag id as a number"
            )
            self.error(
                f"{self.prefix}: unknown tag '{value}' in audience '{self.names.audience}'{hint}",
                "value",
            )
        elif isinstance(value, int) and not isinstance(value, bool):
            if value > 0:
                return value
            self.error(
                f"{self.prefix}: {value} is not a tag id; tag ids are positive numbers", "value"
            )
        else:
            self.error(
                f"{self.prefix}: the value of StaticSegment must be a tag name or id, "
                f"got {kind_of(value)}",
                "value",
            )
        return None

    def _interests(self, value: Any, category: str | None) -> Any:
        if not isinstance(value, list):
            shown = f"; write [{value}]" if isinstance(value, str) else ""
            self.error(
                f"{self.prefix}: the value of Interests must be a list of interest names "
                f"(or ids), got {kind_of(value)}{shown}",
                "value",
            )
            return None
        declared = self.names.categories.get(category, []) if category else []
        items: list[dict[str, str] | str] = []
        for index, item in enumerate(value):
            if not isinstance(item, str):
                self.error(
                    f"{self.prefix}: an interest is given by its name (or id), got {kind_of(item)}",
                    "value",
                    index,
                )
            elif category is None or (_INTEREST_ID.fullmatch(item) and item not in declared):
                items.append(item)  # an id, as within `interests-<id>`
            elif item in declared:
                items.append(interest_ref(item))
            else:
                self.error(
                    f"{self.prefix}: unknown interest '{item}' in category '{category}'"
                    f"{did_you_mean(item, declared)}",
                    "value",
                    index,
                )
        return sorted_interests(items)


def _either(words: Sequence[str]) -> str:
    """`a, b or c`."""
    return " or ".join([", ".join(words[:-1]), words[-1]]) if len(words) > 1 else words[0]
