"""How one field or tag predicate becomes Mailchimp saved-segment conditions.

The mapping, and why each refusal is made, is documented in `compile_mailchimp`, which
arranges these conditions into one segment. A predicate gives one condition, or several
that must be matched together with `all` or `any` (an `in` list, `gte`, a date range).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Callable, Mapping
from typing import Any as AnyValue
from typing import Literal

from reconciler.conditions import CATALOG, EMAIL_FIELD, canonical_condition, tag_ref
from reconciler.rules.ast import CREATED_AT, EMAIL, SUBSCRIBED_AT, FieldPredicate, HasTag, Rule
from reconciler.rules.catalog import CHOICE_TYPES, Catalog, FieldSpec
from reconciler.rules.dates import moment_of
from reconciler.rules.text import fold

Match = Literal["all", "any"]
Condition = dict[str, AnyValue]
#: Turns one rule value into a condition's value, or raises Refused.
Convert = Callable[[object], str]

#: Mailchimp's merge field type -> the condition type that compares it.
CONDITION_TYPES = {
    "text": "TextMerge",
    "phone": "TextMerge",
    "url": "TextMerge",
    "imageurl": "TextMerge",
    "number": "TextMerge",
    "dropdown": "SelectMerge",
    "radio": "SelectMerge",
    "date": "DateMerge",
    "birthday": "BirthdayMerge",
    "address": "AddressMerge",
}
#: Single-value operators, per kind of comparison.
_TEXT_OPS = {
    "equals": "is",
    "not_equals": "not",
    "contains": "contains",
    "not_contains": "notcontain",
    "starts_with": "starts",
    "ends_with": "ends",
}
_NUMBER_OPS = {"equals": "is", "not_equals": "not", "gt": "greater", "lt": "less"}
_DATE_OPS = {"equals": "is", "not_equals": "not", "before": "less", "after": "greater"}
FLAG_OPS = {"is_set": "blank_not", "is_empty": "blank"}
#: Operators that compare with a whole option of a dropdown or radio field.
_OPTION_OPS = frozenset({"equals", "not_equals", "in", "not_in"})
#: Beyond this, floating point (how Mailchimp and the sandbox compare) loses integers.
_EXACT_FLOAT = 2**53
_ONE_DAY = dt.timedelta(days=1)


class Refused(Exception):
    """A node that has no exact native form; `shown` is what the message quotes."""

    def __init__(self, node: Rule, reason: str, shown: Rule | None = None) -> None:
        super().__init__(reason)
        self.node = node
        self.reason = reason
        self.shown = shown if shown is not None else node


def tag_condition(node: HasTag, op: str, known: frozenset[str] | None) -> Condition:
    """StaticSegment on the tag, named as declared (tags match without regard to case)."""
    name = next((t for t in sorted(known or ()) if fold(t) == fold(node.name)), node.name)
    spec = CATALOG["StaticSegment"]
    return canonical_condition("StaticSegment", spec, {"op": op, "value": tag_ref(name)})


class FieldConditions:
    """One field predicate's conditions; raises Refused when they cannot be exact."""

    def __init__(
        self, node: FieldPredicate, catalog: Catalog, date_formats: Mapping[str, str]
    ) -> None:
        self.node = node
        self.op = node.op
        self.catalog = catalog
        self.date_formats = date_formats

    def refuse(self, reason: str) -> Refused:
        return Refused(self.node, reason)

    def conditions(self) -> tuple[list[Condition], Match | None]:
        name = self.node.field
        if name in (SUBSCRIBED_AT, CREATED_AT):
            raise self.refuse(
                "Mailchimp's Date condition on the opt-in time compares in a time zone and "
                "with value forms its API does not document"
            )
        if name == EMAIL:
            return self.email()
        spec = self.catalog.lookup(name)
        if spec is None:
            raise self.refuse(f"'{name}' is not a merge field of the audience")
        condition_type = CONDITION_TYPES.get(spec.type)
        if condition_type is None:
            raise self.refuse(
                f"no Mailchimp condition compares the text of a {spec.type} field "
                "(ZipMerge only tests a distance)"
            )
        if spec.type == "number":
            return self.number(name)
        if spec.type == "date":
            return self.date(name)
        if spec.type == "birthday":
            return self.birthday(name)
        if spec.type == "address":
            return self.address(name)
        return self.text(condition_type, name, spec)

    # --- per kind of field ---------------------------------------------------------------

    def email(self) -> tuple[list[Condition], Match | None]:
        if self.op in FLAG_OPS:
            raise self.refuse("every contact has an email address, so it is always set")
        return self.text("EmailAddress", EMAIL_FIELD, None)

    def text(
        self, condition_type: str, field: str, spec: FieldSpec | None
    ) -> tuple[list[Condition], Match | None]:
        def value(item: object) -> str:
            text = self.text_value(item)
            if spec is not None and spec.type in CHOICE_TYPES and self.op in _OPTION_OPS:
                # Name the option as declared, so that a plan reads as the field does.
                return next((c for c in spec.choices if fold(c) == fold(text)), text)
            return text

        return self.emit(condition_type, field, _TEXT_OPS, value)

    def number(self, field: str) -> tuple[list[Condition], Match | None]:
        if self.op in ("gte", "lte"):
            text = self.number_value(self.node.value)  # type: ignore[arg-type]
            strict = "greater" if self.op == "gte" else "less"
            made = [
                self.make("TextMerge", field, strict, text),
                self.make("TextMerge", field, "is", text),
            ]
            return made, "any"
        if self.op == "between":
            raise self.refuse(
                "both bounds are inclusive and Mailchimp has only strict greater and less; "
                "write all: [{gt: ...}, {lt: ...}] if strict bounds will do"
            )
        return self.emit("TextMerge", field, _NUMBER_OPS, self.number_value)

    def date(self, field: str) -> tuple[list[Condition], Match | None]:
        if self.op == "within_days":
            raise self.refuse(
                "it depends on the day it is evaluated, and DateMerge has no relative form"
            )
        if self.op == "between":
            low, high = self.node.value  # type: ignore[misc]
            try:
                before, after = self.day(low) - _ONE_DAY, self.day(high) + _ONE_DAY
            except OverflowError:
                raise self.refuse("its bounds are at the end of the calendar") from None
            made = [
                self.make("DateMerge", field, "greater", before.isoformat()),
                self.make("DateMerge", field, "less", after.isoformat()),
            ]
            return made, "all"
        return self.emit("DateMerge", field, _DATE_OPS, lambda v: self.day(v).isoformat())

    def birthday(self, field: str) -> tuple[list[Condition], Match | None]:
        shown_as = self.date_formats.get(field, "MM/DD")
        if shown_as.strip().upper() != "MM/DD":
            raise self.refuse(
                f"'{field}' is shown as {shown_as}, which rules compare, while BirthdayMerge "
                "compares MM/DD"
            )
        return self.emit(
            "BirthdayMerge", field, {"equals": "is", "not_equals": "not"}, self.text_value
        )

    def address(self, field: str) -> tuple[list[Condition], Match | None]:
        if self.op in FLAG_OPS:
            raise self.refuse(
                "when Mailchimp counts an address as blank is not documented (the sandbox "
                "never does)"
            )
        text = self.text_value(self.node.value)  # type: ignore[arg-type]
        if any(c.isspace() for c in text):
            raise self.refuse(
                "how Mailchimp joins an address's parts into text is not documented; "
                "search for one word at a time"
            )
        return self.emit("AddressMerge", field, _TEXT_OPS, self.text_value)

    # --- building conditions -------------------------------------------------------------

    def emit(
        self,
        condition_type: str,
        field: str,
        single: Mapping[str, str],
        convert: Convert,
    ) -> tuple[list[Condition], Match | None]:
        """Conditions for a single-value, list or flag operator of `single`'s kind."""
        op, operand = self.op, self.node.value
        allowed = CATALOG[condition_type].ops
        if op in FLAG_OPS and FLAG_OPS[op] in allowed:
            return [self.make(condition_type, field, FLAG_OPS[op], None)], None
        if op in ("in", "not_in") and "is" in allowed and "not" in allowed:
            assert isinstance(operand, tuple)
            native = "is" if op == "in" else "not"
            made = [self.make(condition_type, field, native, convert(v)) for v in operand]
            made = list({json.dumps(c, sort_keys=True): c for c in made}.values())
            return made, ("any" if op == "in" else "all") if len(made) > 1 else None
        if op in single and single[op] in allowed:
            return [self.make(condition_type, field, single[op], convert(operand))], None
        raise self.refuse(f"{condition_type} has no operator for {op}")

    def make(self, condition_type: str, field: str, op: str, value: object) -> Condition:
        spec = CATALOG[condition_type]
        return canonical_condition(condition_type, spec, {"field": field, "op": op, "value": value})

    # --- values ------------------------------------------------------------------------

    def text_value(self, item: object) -> str:
        if not isinstance(item, str):
            raise self.refuse(f"{flow(item)} is not text")
        text = item.strip()
        cased = sorted({c for c in text if ord(c) > 127 and has_case(c)})
        if cased:
            raise self.refuse(
                f"it has letters with case outside ASCII ({''.join(cased)}), and how "
                "Mailchimp compares their case is not documented"
            )
        return text

    def number_value(self, item: object) -> str:
        if isinstance(item, bool) or not isinstance(item, int | float):
            raise self.refuse(f"{flow(item)} is not a number")
        if not math.isfinite(item) or abs(item) > _EXACT_FLOAT or "e" in repr(item).lower():
            raise self.refuse(
                f"{item!r} cannot be compared exactly: Mailchimp compares numbers as "
                "floating point, in plain decimal notation"
            )
        # 5.0 is written 5: the number a user means, and what the API returns for it.
        return str(int(item)) if isinstance(item, float) and item.is_integer() else repr(item)

    def day(self, item: object) -> dt.date:
        moment = moment_of(item)
        if moment is None:
            raise self.refuse(f"{flow(item)} is not a date")
        at, has_time = moment
        if has_time:
            raise self.refuse("DateMerge compares whole days; write the date without a time")
        return at.date()


def has_case(char: str) -> bool:
    return char.lower() != char or char.upper() != char or char.casefold() != char


def flow(data: object) -> str:
    """Rule data in YAML flow style, as a user would write it."""
    if isinstance(data, dict):
        return "{" + ", ".join(f"{k}: {flow(v)}" for k, v in data.items()) + "}"
    if isinstance(data, list | tuple):
        return "[" + ", ".join(flow(v) for v in data) + "]"
    if isinstance(data, bool):
        return "true" if data else "false"
    if isinstance(data, dt.date):
        return data.isoformat()
    if isinstance(data, str):
        plain = data and data.strip() == data and not any(c in data for c in ":{}[],#'\"")
        return data if plain else json.dumps(data, ensure_ascii=False)
    return str(data)
