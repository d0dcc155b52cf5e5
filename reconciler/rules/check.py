"""Check a parsed rule against what the account has: fields, their types, statuses.

`check(rule, catalog)` returns every issue at once, each at the location of the node it
is about, saying what is wrong and what to write instead. A rule without issues cannot
surprise at evaluation time: every comparison it makes is one its field's type supports.
Cycles between rule-driven groups and tags span several rules: see `cycles.py`.
"""

from __future__ import annotations

import re

from reconciler.errors import Issue
from reconciler.hints import did_you_mean, kind_of
from reconciler.rules.ast import (
    FLAG_OPS,
    STATUS_FIELD,
    FieldPredicate,
    HasTag,
    InGroup,
    Rule,
    Scalar,
    StatusPredicate,
    walk,
)
from reconciler.rules.catalog import CHOICE_TYPES, Catalog, FieldSpec
from reconciler.rules.dates import span_of
from reconciler.rules.numeric import number_of
from reconciler.rules.status import PROVIDER_NAMES, read_status, statuses_of, words
from reconciler.rules.text import fold
from reconciler.rules.wording import listing, show

_BIRTHDAY = re.compile(r"(0[1-9]|1[0-2])/(0[1-9]|[12]\d|3[01])")
_DATE_OPS = frozenset({"before", "after", "within_days"})
_NUMBER_OPS = frozenset({"gt", "gte", "lt", "lte"})
#: Operators that compare with a whole option of a dropdown or radio field.
_OPTION_OPS = frozenset({"equals", "not_equals", "in", "not_in"})


def check(rule: Rule, catalog: Catalog) -> list[Issue]:
    """Every issue of `rule` against `catalog`, in the order the nodes were written."""
    issues: list[Issue] = []
    for node in walk(rule):
        if isinstance(node, FieldPredicate):
            issues += _field(node, catalog)
        elif isinstance(node, StatusPredicate):
            issues += _status(node, catalog)
        elif isinstance(node, InGroup):
            issues += _reference(node, "group", catalog.groups)
        elif isinstance(node, HasTag):
            issues += _reference(node, "tag", catalog.tags)
    return issues


# --- fields -------------------------------------------------------------------------------


def _field(node: FieldPredicate, catalog: Catalog) -> list[Issue]:
    spec = catalog.lookup(node.field)
    if spec is None:
        names = catalog.names()
        hint = did_you_mean(node.field, names)
        todo = "" if hint else f"; declare it under fields:, or use one of {listing(names)}"
        if node.field == STATUS_FIELD:
            # The likely intent is the subscriber's status, which is its own predicate.
            hint, todo = "", "; for the subscriber's status write {status: active}"
        return [Issue(node.location, f"unknown field '{node.field}'{hint}{todo}")]
    if node.op not in spec.info.operators:
        return [Issue(node.location, _operator_message(node, spec))]
    if node.op in FLAG_OPS or node.op == "within_days":
        return []  # their operands do not depend on the field; parse checked them
    values = node.value if isinstance(node.value, tuple) else (node.value,)
    problems = [p for p in (_value_problem(node, spec, v) for v in values) if p]
    if not problems and node.op == "between":
        problems = [_order_problem(node, spec)]
    subject = f"{node.op} on {spec.type} field '{node.field}'"
    return [Issue(node.location, f"{subject}: {p}") for p in problems if p]


def _operator_message(node: FieldPredicate, spec: FieldSpec) -> str:
    message = (
        f"{node.op} does not apply to {spec.type} field '{node.field}'; "
        f"{spec.type} fields take {', '.join(spec.info.operators)}"
    )
    if node.op in _DATE_OPS and spec.kind != "date":
        message += "; to compare dates, the field must be of type date"
    elif node.op in _NUMBER_OPS and spec.kind != "number":
        message += "; to compare numbers, the field must be of type number"
    return message


def _value_problem(node: FieldPredicate, spec: FieldSpec, value: Scalar) -> str | None:
    noun = spec.info.noun
    if spec.kind == "number":
        if isinstance(value, int | float) and not isinstance(value, bool):
            return None
        if isinstance(value, str) and number_of(value) is not None:
            return f"expected a number, got the string {show(value)}; write it without quotes"
        return f"expected a number, got {kind_of(value)} {show(value)}"
    if spec.kind == "date":
        if span_of(value) is not None:
            return None
        return (
            f"expected a date as YYYY-MM-DD or a timestamp as YYYY-MM-DD HH:MM:SS, "
            f"got {kind_of(value)} {show(value)}"
        )
    if not isinstance(value, str):
        return f'expected {noun}, got {kind_of(value)}; quote it to make it text: "{show(value)}"'
    if spec.type == "birthday" and not _BIRTHDAY.fullmatch(value.strip()):
        return f"expected a birthday as MM/DD such as 07/14, got {show(value)}"
    if spec.type in CHOICE_TYPES and node.op in _OPTION_OPS:
        options = {fold(choice) for choice in spec.choices}
        if fold(value) not in options:
            shown = listing(spec.choices) if spec.choices else "none are known"
            return (
                f"{show(value)} is not one of the field's options ({shown})"
                f"{did_you_mean(value, spec.choices)}"
            )
    return None


def _order_problem(node: FieldPredicate, spec: FieldSpec) -> str | None:
    assert isinstance(node.value, tuple)
    low, high = node.value
    if spec.kind == "number":
        low_n, high_n = number_of(low), number_of(high)
        wrong = low_n is not None and high_n is not None and low_n > high_n
    else:
        low_s, high_s = span_of(low), span_of(high)
        wrong = low_s is not None and high_s is not None and low_s.start > high_s.start
    if wrong:
        return (
            f"the lower bound comes first, or nothing would match; "
            f"write [{show(high)}, {show(low)}]"
        )
    return None


# --- statuses and references --------------------------------------------------------------


def _status(node: StatusPredicate, catalog: Catalog) -> list[Issue]:
    issues: list[Issue] = []
    provider = catalog.provider
    for word in node.statuses:
        status = read_status(word)
        if status is None:
            todo = did_you_mean(word.strip(), words()) or f"; statuses are {', '.join(words())}"
            issues.append(Issue(node.location, f"unknown status '{word}'{todo}"))
        elif provider is not None and status not in statuses_of(provider):
            present = sorted(statuses_of(provider), key=list(type(status)).index)
            name = PROVIDER_NAMES.get(provider, provider)
            issues.append(
                Issue(
                    node.location,
                    f"status '{word}' does not exist on {name}, so it would never match; "
                    f"{name} statuses are {', '.join(present)}",
                )
            )
    return issues


def _reference(node: InGroup | HasTag, noun: str, known: frozenset[str] | None) -> list[Issue]:
    if known is None or fold(node.name) in {fold(name) for name in known}:
        return []
    if not known:
        todo = f"this account has no {noun}s; declare it under {noun}s: first"
    else:
        hint = did_you_mean(node.name, known)
        todo = hint[2:] if hint else f"declare it under {noun}s: first"
    return [Issue(node.location, f"unknown {noun} '{node.name}'; {todo}")]
