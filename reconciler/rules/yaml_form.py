"""Render a rule back to its YAML form, for plan output and `espform import`.

The output is what `parse` reads, in one canonical spelling: `{status: active}` for a
single status, `{status: {OP: ...}}` otherwise, lists for `in` and `between`, and dates
as ISO strings (`2024-03-01`, `2024-03-01 09:30:00`) so that JSON can carry them too.
Hence `to_data(parse(to_data(rule))) == to_data(rule)` for every rule `parse` accepts.
"""

from __future__ import annotations

import datetime as dt
from typing import Any as AnyValue

from reconciler.rules.ast import (
    All,
    Any,
    FieldPredicate,
    HasTag,
    InGroup,
    Not,
    Operand,
    Rule,
    Scalar,
    StatusPredicate,
)


def to_data(rule: Rule) -> dict[str, AnyValue]:
    """The plain-data (YAML/JSON) form of `rule`."""
    if isinstance(rule, All):
        return {"all": [to_data(item) for item in rule.items]}
    if isinstance(rule, Any):
        return {"any": [to_data(item) for item in rule.items]}
    if isinstance(rule, Not):
        return {"not": to_data(rule.item)}
    if isinstance(rule, FieldPredicate):
        return {"field": rule.field, rule.op: _operand(rule.value)}
    if isinstance(rule, StatusPredicate):
        if rule.op == "equals":
            return {"status": rule.statuses[0]}
        if rule.op == "not_equals":
            return {"status": {"not_equals": rule.statuses[0]}}
        return {"status": {rule.op: list(rule.statuses)}}
    if isinstance(rule, InGroup):
        return {"in_group": rule.name}
    if isinstance(rule, HasTag):
        return {"has_tag": rule.name}
    raise TypeError(f"not a rule node: {rule!r}")


def _operand(value: Operand) -> AnyValue:
    if isinstance(value, tuple):
        return [_scalar(item) for item in value]
    return _scalar(value)


def _scalar(value: Scalar) -> str | int | float | bool:
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value
