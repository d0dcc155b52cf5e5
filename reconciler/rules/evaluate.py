"""Decide whether one subscriber matches a rule, by walking the rule.

This is the reference meaning of a rule: plain and slow on purpose. Scans over many
subscribers use `compiler.compile_rule`, which must agree with it on every subscriber
(a property the tests check on random rules and subscribers).
"""

from __future__ import annotations

import datetime as dt

from reconciler.rules.ast import (
    CREATED_AT,
    EMAIL,
    NEGATIONS,
    SUBSCRIBED_AT,
    All,
    Any,
    HasTag,
    InGroup,
    Not,
    Operand,
    Rule,
    StatusPredicate,
    uses_now,
)
from reconciler.rules.catalog import Catalog, Kind, comparison_kind
from reconciler.rules.dates import (
    Since,
    is_after,
    is_before,
    is_between,
    is_during,
    moment_of,
    span_of,
)
from reconciler.rules.numeric import number_of
from reconciler.rules.status import read_status
from reconciler.rules.text import fold, is_set, text_of
from reconciler.rules.view import SubscriberView


def evaluate(
    rule: Rule,
    subscriber: SubscriberView,
    now: dt.datetime | None = None,
    catalog: Catalog | None = None,
) -> bool:
    """Whether `subscriber` matches `rule`.

    `now` is needed by `within_days` only (ValueError without it). `catalog` lets the
    field types decide how values compare; without it, `catalog.comparison_kind`
    infers that from the rule.
    """
    if now is None and uses_now(rule):
        raise ValueError("the rule uses within_days, so evaluating it needs `now`")
    return _holds(rule, subscriber, now, catalog)


def _holds(
    rule: Rule, subscriber: SubscriberView, now: dt.datetime | None, catalog: Catalog | None
) -> bool:
    if isinstance(rule, All):
        return all(_holds(item, subscriber, now, catalog) for item in rule.items)
    if isinstance(rule, Any):
        return any(_holds(item, subscriber, now, catalog) for item in rule.items)
    if isinstance(rule, Not):
        return not _holds(rule.item, subscriber, now, catalog)
    if isinstance(rule, StatusPredicate):
        wanted = {read_status(word) for word in rule.statuses}
        inside = subscriber.status in wanted
        return inside if rule.op in ("equals", "in") else not inside
    if isinstance(rule, InGroup):
        return fold(rule.name) in {fold(name) for name in subscriber.groups}
    if isinstance(rule, HasTag):
        return fold(rule.name) in {fold(name) for name in subscriber.tags}
    value = field_value(subscriber, rule.field)
    kind = comparison_kind(rule, catalog)
    if rule.op in NEGATIONS:
        return not _compare(NEGATIONS[rule.op], kind, rule.value, value, now)
    return _compare(rule.op, kind, rule.value, value, now)


def field_value(subscriber: SubscriberView, name: str) -> object:
    """The raw value a predicate on field `name` looks at."""
    if name == EMAIL:
        return subscriber.email
    if name == SUBSCRIBED_AT:
        return subscriber.subscribed_at
    if name == CREATED_AT:
        return subscriber.created_at
    return subscriber.fields.get(name)


def _compare(op: str, kind: Kind, operand: Operand, value: object, now: dt.datetime | None) -> bool:
    if op == "is_set":
        return is_set(value)
    if kind == "text":
        return _text(op, operand, value)
    if kind == "number":
        return _number(op, operand, value)
    return _date(op, operand, value, now)


def _text(op: str, operand: Operand, value: object) -> bool:
    have = text_of(value)
    if have is None:
        return False
    if op == "in":
        assert isinstance(operand, tuple)
        return have in {text_of(item) for item in operand}
    want = text_of(operand)
    if want is None:
        return False
    if op == "equals":
        return have == want
    if op == "contains":
        return want in have
    if op == "starts_with":
        return have.startswith(want)
    if op == "ends_with":
        return have.endswith(want)
    return False  # an operator of another kind: `check` reports it


def _number(op: str, operand: Operand, value: object) -> bool:
    have = number_of(value)
    if have is None:
        return False
    if op == "in":
        assert isinstance(operand, tuple)
        return any(have == number_of(item) for item in operand)
    if op == "between":
        assert isinstance(operand, tuple)
        low, high = number_of(operand[0]), number_of(operand[1])
        return low is not None and high is not None and low <= have <= high
    want = number_of(operand)
    if want is None:
        return False
    if op == "equals":
        return have == want
    if op == "gt":
        return have > want
    if op == "gte":
        return have >= want
    if op == "lt":
        return have < want
    if op == "lte":
        return have <= want
    return False


def _date(op: str, operand: Operand, value: object, now: dt.datetime | None) -> bool:
    moment = moment_of(value)
    if moment is None:
        return False
    at = moment[0]
    if op == "within_days":
        assert isinstance(operand, int) and now is not None
        return Since.days_before(now, operand).holds(moment)
    if op == "in":
        assert isinstance(operand, tuple)
        spans = [span_of(item) for item in operand]
        return any(span is not None and is_during(at, span) for span in spans)
    if op == "between":
        assert isinstance(operand, tuple)
        low, high = span_of(operand[0]), span_of(operand[1])
        return low is not None and high is not None and is_between(at, low, high)
    span = span_of(operand)
    if span is None:
        return False
    if op == "equals":
        return is_during(at, span)
    if op == "before":
        return is_before(at, span)
    if op == "after":
        return is_after(at, span)
    return False
