"""Compile a rule once into a Python closure, for scans over many subscribers.

Membership planning evaluates every rule on every subscriber of an account (a million
subscribers and a handful of rules is a normal day), so all the work that does not
depend on the subscriber happens here, once: rule values are read and normalised,
comparison kinds resolved, `within_days` windows fixed against `now`, and the tree is
turned into nested closures with no dispatch left at match time. The result must agree
with `evaluate.evaluate`, the reference meaning, on every subscriber.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from reconciler.rules.ast import (
    CREATED_AT,
    EMAIL,
    NEGATIONS,
    SUBSCRIBED_AT,
    All,
    Any,
    FieldPredicate,
    HasTag,
    InGroup,
    Not,
    Operand,
    Rule,
    StatusPredicate,
    uses_now,
)
from reconciler.rules.catalog import Catalog, comparison_kind
from reconciler.rules.dates import Since, is_after, is_between, is_during, moment_of, span_of
from reconciler.rules.numeric import number_of
from reconciler.rules.status import Status, read_status
from reconciler.rules.text import fold, is_set, text_of
from reconciler.rules.view import SubscriberView

#: A compiled rule.
Matcher = Callable[[SubscriberView], bool]
#: A compiled comparison, applied to one raw field value.
Test = Callable[[object], bool]


def compile_rule(
    rule: Rule, now: dt.datetime | None = None, catalog: Catalog | None = None
) -> Matcher:
    """`rule` as a function of a subscriber; same arguments and meaning as `evaluate`."""
    if now is None and uses_now(rule):
        raise ValueError("the rule uses within_days, so compiling it needs `now`")
    return _Compiler(now, catalog).rule(rule)


def _never(_value: object) -> bool:
    return False


class _Compiler:
    def __init__(self, now: dt.datetime | None, catalog: Catalog | None) -> None:
        self.now = now
        self.catalog = catalog

    def rule(self, rule: Rule) -> Matcher:
        if isinstance(rule, All | Any):
            return self.combine(rule)
        if isinstance(rule, Not):
            inner = self.rule(rule.item)
            return lambda view: not inner(view)
        if isinstance(rule, StatusPredicate):
            return self.status(rule)
        if isinstance(rule, InGroup | HasTag):
            return self.membership(rule)
        return self.field(rule)

    def combine(self, rule: All | Any) -> Matcher:
        parts = tuple(self.rule(item) for item in rule.items)
        if len(parts) == 1:
            return parts[0]
        # Plain loops rather than all()/any(): a generator per subscriber and node costs
        # more than the comparisons themselves.
        if isinstance(rule, All):

            def every(view: SubscriberView) -> bool:
                for part in parts:  # noqa: SIM110
                    if not part(view):
                        return False
                return True

            return every

        def some(view: SubscriberView) -> bool:
            for part in parts:  # noqa: SIM110
                if part(view):
                    return True
            return False

        return some

    def status(self, rule: StatusPredicate) -> Matcher:
        wanted: frozenset[Status | None] = frozenset(read_status(w) for w in rule.statuses)
        if rule.op in ("equals", "in"):
            return lambda view: view.status in wanted
        return lambda view: view.status not in wanted

    def membership(self, rule: InGroup | HasTag) -> Matcher:
        target = fold(rule.name)
        attribute = "groups" if isinstance(rule, InGroup) else "tags"

        def member(view: SubscriberView) -> bool:
            names = getattr(view, attribute)
            # Names usually arrive as written; an exact hit saves folding each of them.
            return target in names or any(fold(name) == target for name in names)

        return member

    def field(self, rule: FieldPredicate) -> Matcher:
        op, negate = rule.op, False
        if op in NEGATIONS:
            op, negate = NEGATIONS[op], True
        test = self.test(rule, op)
        name = rule.field
        if name in (EMAIL, SUBSCRIBED_AT, CREATED_AT):
            if negate:
                return lambda view: not test(getattr(view, name))
            return lambda view: test(getattr(view, name))
        if negate:
            return lambda view: not test(view.fields.get(name))
        return lambda view: test(view.fields.get(name))

    def test(self, rule: FieldPredicate, op: str) -> Test:
        if op == "is_set":
            return is_set
        kind = comparison_kind(rule, self.catalog)
        if kind == "text":
            return _text_test(op, rule.value)
        if kind == "number":
            return _number_test(op, rule.value)
        return self.date_test(op, rule.value)

    def date_test(self, op: str, operand: Operand) -> Test:
        if op == "within_days":
            assert isinstance(operand, int) and self.now is not None
            since = Since.days_before(self.now, operand)

            def recent(value: object) -> bool:
                moment = moment_of(value)
                return moment is not None and since.holds(moment)

            return recent
        if op in ("in", "between"):
            assert isinstance(operand, tuple)
            spans = [span_of(item) for item in operand]
            if op == "between":
                low, high = spans
                if low is None or high is None:
                    return _never
                return _at(lambda at: is_between(at, low, high))
            known = [span for span in spans if span is not None]
            return _at(lambda at: any(is_during(at, span) for span in known))
        span = span_of(operand)
        if span is None:
            return _never
        if op == "equals":
            return _at(lambda at: is_during(at, span))
        if op == "before":
            start = span.start
            return _at(lambda at: at < start)
        if op == "after":
            return _at(lambda at: is_after(at, span))
        return _never


def _at(check: Callable[[dt.datetime], bool]) -> Test:
    def test(value: object) -> bool:
        moment = moment_of(value)
        return moment is not None and check(moment[0])

    return test


def _text_test(op: str, operand: Operand) -> Test:
    if op == "in":
        assert isinstance(operand, tuple)
        wanted = frozenset(text for text in map(text_of, operand) if text is not None)
        return lambda value: text_of(value) in wanted
    want = text_of(operand)
    if want is None:
        return _never
    if op == "equals":

        def equals(value: object) -> bool:
            if value.__class__ is str:  # skips a call for the usual case
                return value.strip().casefold() == want  # type: ignore[attr-defined]
            return text_of(value) == want

        return equals
    if op == "contains":
        return lambda value: (have := text_of(value)) is not None and want in have
    if op == "starts_with":
        return lambda value: (have := text_of(value)) is not None and have.startswith(want)
    if op == "ends_with":
        return lambda value: (have := text_of(value)) is not None and have.endswith(want)
    return _never


def _number_test(op: str, operand: Operand) -> Test:
    if op in ("in", "between"):
        assert isinstance(operand, tuple)
        numbers = [number_of(item) for item in operand]
        if op == "in":
            wanted = frozenset(n for n in numbers if n is not None)
            return lambda value: number_of(value) in wanted
        low, high = numbers
        if low is None or high is None:
            return _never
        return lambda value: (have := number_of(value)) is not None and low <= have <= high
    want = number_of(operand)
    if want is None:
        return _never
    # One closure per operator: a shared comparison function would cost a call each.
    if op == "equals":
        return lambda value: (have := number_of(value)) is not None and have == want
    if op == "gt":
        return lambda value: (have := number_of(value)) is not None and have > want
    if op == "gte":
        return lambda value: (have := number_of(value)) is not None and have >= want
    if op == "lt":
        return lambda value: (have := number_of(value)) is not None and have < want
    if op == "lte":
        return lambda value: (have := number_of(value)) is not None and have <= want
    return _never
