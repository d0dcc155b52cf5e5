"""The fields a rule may use, their types, and which operators each type takes.

The caller (config wiring) builds a `Catalog` from the declared and observed fields:

```python
Catalog(
    fields={"tier": FieldSpec("text"), "PLAN": FieldSpec("dropdown", ("Gold", "Silver"))},
    provider="mailchimp",
)
```

Field types are MailerLite's (text, number, date) and Mailchimp's merge field types.
Each type compares as one of three kinds (text, number or date, see the modules of the
same names); the type also decides which operators make sense on it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from reconciler.rules.ast import CREATED_AT, EMAIL, SUBSCRIBED_AT, FieldPredicate

Kind = Literal["text", "number", "date"]

_FLAGS = ("is_set", "is_empty")
_MATCH = ("equals", "not_equals", "in", "not_in")
_TEXT = (*_MATCH, "contains", "not_contains", "starts_with", "ends_with", *_FLAGS)
_CHOICE = (*_MATCH, "contains", "not_contains", *_FLAGS)
_NUMBER = (*_MATCH, "gt", "gte", "lt", "lte", "between", *_FLAGS)
_DATE = ("equals", "not_equals", "before", "after", "between", "within_days", *_FLAGS)
_BIRTHDAY = (*_MATCH, *_FLAGS)
# Mailchimp can only search inside an address, never compare a whole one.
_ADDRESS = ("contains", "not_contains", *_FLAGS)


@dataclass(frozen=True)
class TypeInfo:
    kind: Kind
    operators: tuple[str, ...]
    #: What the type's values look like, for messages.
    noun: str


FIELD_TYPES: dict[str, TypeInfo] = {
    "text": TypeInfo("text", _TEXT, "text"),
    "number": TypeInfo("number", _NUMBER, "a number"),
    "date": TypeInfo("date", _DATE, "a date"),
    "email": TypeInfo("text", _TEXT, "an email address"),
    "phone": TypeInfo("text", _TEXT, "a phone number"),
    "url": TypeInfo("text", _TEXT, "a URL"),
    "imageurl": TypeInfo("text", _TEXT, "an image URL"),
    "zip": TypeInfo("text", _TEXT, "a zip code"),
    "dropdown": TypeInfo("text", _CHOICE, "one of its options"),
    "radio": TypeInfo("text", _CHOICE, "one of its options"),
    "birthday": TypeInfo("text", _BIRTHDAY, "a birthday as MM/DD"),
    "address": TypeInfo("text", _ADDRESS, "an address"),
}

#: Types whose values must be among the field's `choices`.
CHOICE_TYPES = frozenset({"dropdown", "radio"})


@dataclass(frozen=True)
class FieldSpec:
    """One field: its type and, for dropdown and radio fields, the allowed options."""

    type: str
    choices: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.type not in FIELD_TYPES:
            raise ValueError(
                f"unknown field type {self.type!r}; expected one of {', '.join(FIELD_TYPES)}"
            )
        object.__setattr__(self, "choices", tuple(self.choices))

    @property
    def info(self) -> TypeInfo:
        return FIELD_TYPES[self.type]

    @property
    def kind(self) -> Kind:
        return self.info.kind


#: Fields every subscriber has on every ESP; a catalog cannot redefine them.
SPECIAL_FIELDS: dict[str, FieldSpec] = {
    EMAIL: FieldSpec("email"),
    SUBSCRIBED_AT: FieldSpec("date"),
    CREATED_AT: FieldSpec("date"),
}


@dataclass(frozen=True)
class Catalog:
    """What a rule can refer to in one account.

    `fields` maps a field key (MailerLite) or merge tag (Mailchimp) to its spec; a plain
    type name is accepted in place of a spec. `provider`, when given, limits the status
    words to those the ESP has. `groups` and `tags`, when given, are the names that
    `in_group` and `has_tag` may use; None leaves those names unchecked.
    """

    fields: Mapping[str, FieldSpec | str] = field(default_factory=dict)
    provider: str | None = None
    groups: frozenset[str] | None = None
    tags: frozenset[str] | None = None
    _specs: dict[str, FieldSpec] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        specs = {
            name: spec if isinstance(spec, FieldSpec) else FieldSpec(spec)
            for name, spec in self.fields.items()
        }
        object.__setattr__(self, "_specs", specs)
        for names in ("groups", "tags"):
            value = getattr(self, names)
            if value is not None:
                object.__setattr__(self, names, frozenset(value))

    def lookup(self, name: str) -> FieldSpec | None:
        return SPECIAL_FIELDS.get(name) or self._specs.get(name)

    def names(self) -> list[str]:
        return [*SPECIAL_FIELDS, *(n for n in self._specs if n not in SPECIAL_FIELDS)]


# --- How a predicate compares ----------------------------------------------------------

_KIND_BY_OP: dict[str, Kind] = {
    "contains": "text",
    "not_contains": "text",
    "starts_with": "text",
    "ends_with": "text",
    "gt": "number",
    "gte": "number",
    "lt": "number",
    "lte": "number",
    "before": "date",
    "after": "date",
    "within_days": "date",
}


def comparison_kind(predicate: FieldPredicate, catalog: Catalog | None = None) -> Kind:
    """Whether `predicate` compares as text, number or date.

    Operators that exist for one kind decide by themselves. Otherwise the field's type
    decides (from the catalog, or a special field), and without one the rule value's
    own type: a YAML number compares as a number, a YAML date as a date, anything else
    as text, except that `between` on anything but numbers means dates.
    """
    by_op = _KIND_BY_OP.get(predicate.op)
    if by_op is not None:
        return by_op
    spec = catalog.lookup(predicate.field) if catalog else SPECIAL_FIELDS.get(predicate.field)
    if spec is not None:
        return spec.kind
    value = predicate.value
    sample = value[0] if isinstance(value, tuple) and value else value
    if isinstance(sample, int | float) and not isinstance(sample, bool):
        return "number"
    if isinstance(sample, dt.date) or predicate.op == "between":
        return "date"
    return "text"
