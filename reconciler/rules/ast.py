"""The nodes of a segmentation rule, as frozen dataclasses.

Values are kept as the user wrote them (a YAML date stays a `datetime.date`, a quoted
one a string), so that messages can quote them and `to_data` gives them back; readers
in `text`, `numeric` and `dates` turn them into comparable values where needed.

Every node keeps the `Location` it was parsed from; it takes no part in equality, so
two rules that say the same thing compare equal wherever they were written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal, TypeAlias, get_args

from reconciler.model import Location

#: A single value a predicate compares with.
Scalar: TypeAlias = str | int | float | bool | dt.date | dt.datetime
#: What an operator takes: one scalar, a tuple of them (`in`, `between`) or `True`
#: (`is_set`, `is_empty`).
Operand: TypeAlias = Scalar | tuple[Scalar, ...]

FieldOp = Literal[
    "equals",
    "not_equals",
    "in",
    "not_in",
    "contains",
    "not_contains",
    "starts_with",
    "ends_with",
    "gt",
    "gte",
    "lt",
    "lte",
    "between",
    "is_set",
    "is_empty",
    "before",
    "after",
    "within_days",
]
FIELD_OPS: tuple[str, ...] = get_args(FieldOp)

StatusOp = Literal["equals", "not_equals", "in", "not_in"]
STATUS_OPS: tuple[str, ...] = get_args(StatusOp)

#: Each negative operator is exactly `not` its positive one, on every subscriber
#: (including those without a value), so `not_equals` never surprises anyone who
#: knows `equals`.
NEGATIONS: dict[str, str] = {
    "not_equals": "equals",
    "not_in": "in",
    "not_contains": "contains",
    "is_empty": "is_set",
}

#: Operators whose operand is a list: `in` any of the items, `between` two bounds.
LIST_OPS = frozenset({"in", "not_in", "between"})
#: Operators that take no comparison value; YAML writes them as `is_set: true`.
FLAG_OPS = frozenset({"is_set", "is_empty"})

#: Field names with a meaning of their own on every ESP.
EMAIL = "email"
SUBSCRIBED_AT = "subscribed_at"
CREATED_AT = "created_at"
#: `{field: status, ...}` is a custom field named "status" (the partner program syncs
#: one); the subscriber's own status is `{status: ...}`. Named here for the hint given
#: when no such field is declared.
STATUS_FIELD = "status"


@dataclass(frozen=True)
class All:
    """Matches when every item matches."""

    items: tuple[Rule, ...]
    location: Location | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "items", tuple(self.items))


@dataclass(frozen=True)
class Any:
    """Matches when at least one item matches."""

    items: tuple[Rule, ...]
    location: Location | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "items", tuple(self.items))


@dataclass(frozen=True)
class Not:
    """Matches when its item does not."""

    item: Rule
    location: Location | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class FieldPredicate:
    """`{field: tier, equals: gold}`: one operator applied to one field's value."""

    field: str
    op: FieldOp
    value: Operand = True
    location: Location | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.op not in FIELD_OPS:
            raise ValueError(f"unknown field operator {self.op!r}")
        if isinstance(self.value, list):
            object.__setattr__(self, "value", tuple(self.value))


@dataclass(frozen=True)
class StatusPredicate:
    """`{status: active}`: the subscriber's status, in the vocabulary of `status.py`.

    `statuses` holds the words as written (one for equals/not_equals); unknown words are
    reported by `check` and never match.
    """

    op: StatusOp
    statuses: tuple[str, ...]
    location: Location | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.op not in STATUS_OPS:
            raise ValueError(f"unknown status operator {self.op!r}")
        if isinstance(self.statuses, str):
            object.__setattr__(self, "statuses", (self.statuses,))
        else:
            object.__setattr__(self, "statuses", tuple(self.statuses))


@dataclass(frozen=True)
class InGroup:
    """Membership of a group (MailerLite), which may itself be rule-driven."""

    name: str
    location: Location | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class HasTag:
    """Carrying a tag (Mailchimp), which may itself be rule-driven."""

    name: str
    location: Location | None = field(default=None, compare=False, repr=False)


Rule: TypeAlias = All | Any | Not | FieldPredicate | StatusPredicate | InGroup | HasTag


def walk(rule: Rule) -> Iterable[Rule]:
    """Every node of `rule`, parents before children, in written order."""
    stack: list[Rule] = [rule]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, All | Any):
            stack.extend(reversed(node.items))
        elif isinstance(node, Not):
            stack.append(node.item)


def uses_now(rule: Rule) -> bool:
    """Whether evaluating `rule` needs the current time."""
    return any(isinstance(n, FieldPredicate) and n.op == "within_days" for n in walk(rule))
