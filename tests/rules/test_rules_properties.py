"""Properties that hold for every rule and subscriber, on random ones."""

from __future__ import annotations

import datetime as dt
import string

from hypothesis import given, settings
from hypothesis import strategies as st
from rules_support import CATALOG, NOW

from reconciler.rules import (
    All,
    Any,
    Catalog,
    FieldPredicate,
    HasTag,
    InGroup,
    Not,
    Rule,
    Status,
    StatusPredicate,
    SubscriberView,
    compile_rule,
    evaluate,
    parse,
    to_data,
)
from reconciler.rules.ast import NEGATIONS
from reconciler.rules.status import words

# --- Rules -------------------------------------------------------------------------------

TEXTS = ["gold", "Gold", " GOLD ", "silver", "go", "ld", "straße", "STRASSE", "new york", "12"]
OPTIONS = ["Gold", "silver", "BRONZE", "Platinum"]
NAMES = ["Partners", "partners ", "Gold", "VIP", "vip"]
DAYS = st.dates(dt.date(2024, 3, 1), dt.date(2024, 3, 20))
STAMPS = st.datetimes(dt.datetime(2024, 3, 1), dt.datetime(2024, 3, 20))
NUMBERS = st.one_of(st.integers(-3, 25), st.sampled_from([0.5, 10.0, 12.5, 19.99]))
DATES = st.one_of(DAYS, STAMPS, DAYS.map(str), STAMPS.map(lambda s: s.isoformat(sep=" ")))


def operands(kind_values: st.SearchStrategy[object], op: str) -> st.SearchStrategy[object]:
    if op in ("is_set", "is_empty"):
        return st.just(True)
    if op == "within_days":
        return st.integers(1, 20)
    if op == "between":
        return st.tuples(kind_values, kind_values)
    if op in ("in", "not_in"):
        return st.lists(kind_values, min_size=1, max_size=3).map(tuple)
    return kind_values


def predicates(name: str, ops: tuple[str, ...] | None = None) -> st.SearchStrategy[Rule]:
    spec = CATALOG.lookup(name)
    assert spec is not None
    values: st.SearchStrategy[object] = {
        "number": NUMBERS,
        "date": DATES,
    }.get(spec.kind, st.sampled_from(OPTIONS if spec.choices else TEXTS))
    allowed = [op for op in spec.info.operators if ops is None or op in ops]
    return st.sampled_from(allowed).flatmap(
        lambda op: operands(values, op).map(lambda v: FieldPredicate(name, op, v))
    )


FIELDS = ("tier", "score", "joined", "PLAN", "email", "subscribed_at")
statuses = st.one_of(
    st.sampled_from([*words(), "bogus"]).flatmap(
        lambda w: st.sampled_from(["equals", "not_equals"]).map(
            lambda op: StatusPredicate(op, (w,))
        )
    ),
    st.lists(st.sampled_from(words()), min_size=1, max_size=3).flatmap(
        lambda ws: st.sampled_from(["in", "not_in"]).map(lambda op: StatusPredicate(op, ws))
    ),
)

leaves = st.one_of(
    *(predicates(name) for name in FIELDS),
    statuses,
    st.sampled_from(NAMES).map(InGroup),
    st.sampled_from(NAMES).map(HasTag),
)

rules: st.SearchStrategy[Rule] = st.recursive(
    leaves,
    lambda children: st.one_of(
        st.lists(children, min_size=1, max_size=3).map(All),
        st.lists(children, min_size=1, max_size=3).map(Any),
        children.map(Not),
    ),
    max_leaves=8,
)

# --- Subscribers -------------------------------------------------------------------------

MISSING = object()
text_values = st.sampled_from(
    [None, "", "  ", "gold", "Gold ", "GOLD", "silver", "golden", "straße", "new  york", 12, 12.0]
)
number_values = st.one_of(
    st.sampled_from([None, "", "abc", "5", " 12.5 ", "1e1", "nan", True, 2**60]),
    st.integers(-5, 30),
    st.floats(-5, 30, allow_nan=False),
    st.integers(-5, 30).map(str),
)
date_values = st.one_of(
    st.sampled_from([None, "", "2024-02-30", "soon"]),
    DATES,
    STAMPS.map(lambda s: s.replace(tzinfo=dt.UTC).isoformat()),
)


def maybe(values: st.SearchStrategy[object]) -> st.SearchStrategy[object]:
    return st.one_of(st.just(MISSING), values)


@st.composite
def subscribers(draw: st.DrawFn) -> SubscriberView:
    raw = {
        "tier": draw(maybe(text_values)),
        "score": draw(maybe(number_values)),
        "joined": draw(maybe(date_values)),
        "PLAN": draw(maybe(st.sampled_from(["Gold", "silver", "", None]))),
    }
    return SubscriberView(
        email=draw(st.sampled_from(["ada@example.com", "  Bob@Example.org", "gold@x.io"])),
        status=draw(st.sampled_from(list(Status))),
        fields={key: value for key, value in raw.items() if value is not MISSING},
        groups=frozenset(draw(st.lists(st.sampled_from(NAMES), max_size=3))),
        tags=frozenset(draw(st.lists(st.sampled_from(NAMES), max_size=3))),
        subscribed_at=draw(st.one_of(st.none(), STAMPS)),
        created_at=draw(st.one_of(st.none(), STAMPS)),
    )


def same(left: Rule, right: Rule, subscriber: SubscriberView, catalog: Catalog | None) -> None:
    assert evaluate(left, subscriber, NOW, catalog) == evaluate(right, subscriber, NOW, catalog)
    assert compile_rule(left, NOW, catalog)(subscriber) == compile_rule(right, NOW, catalog)(
        subscriber
    )


CATALOGS = st.sampled_from([CATALOG, None])

# --- Properties --------------------------------------------------------------------------


@settings(max_examples=400)
@given(rules, st.lists(subscribers(), min_size=1, max_size=5), CATALOGS)
def test_compiled_closure_agrees_with_evaluate(
    rule: Rule, people: list[SubscriberView], catalog: Catalog | None
) -> None:
    matcher = compile_rule(rule, NOW, catalog)
    for subscriber in people:
        assert matcher(subscriber) is evaluate(rule, subscriber, NOW, catalog)


@given(rules, subscribers(), CATALOGS)
def test_double_negation_changes_nothing(
    rule: Rule, subscriber: SubscriberView, catalog: Catalog | None
) -> None:
    same(Not(Not(rule)), rule, subscriber, catalog)


@given(st.lists(rules, min_size=1, max_size=3), subscribers(), CATALOGS)
def test_de_morgan(items: list[Rule], subscriber: SubscriberView, catalog: Catalog | None) -> None:
    same(Not(All(items)), Any([Not(item) for item in items]), subscriber, catalog)
    same(Not(Any(items)), All([Not(item) for item in items]), subscriber, catalog)


negatives = st.one_of(*(predicates(name, tuple(NEGATIONS)) for name in FIELDS))


@given(negatives, subscribers())
def test_negative_operators_are_exact_negations(rule: Rule, subscriber: SubscriberView) -> None:
    assert isinstance(rule, FieldPredicate)
    positive = FieldPredicate(rule.field, NEGATIONS[rule.op], rule.value)  # type: ignore[arg-type]
    same(rule, Not(positive), subscriber, CATALOG)


@given(rules, subscribers())
def test_yaml_form_round_trips(rule: Rule, subscriber: SubscriberView) -> None:
    data = to_data(rule)
    again, issues = parse(data)
    assert not issues and again is not None
    assert to_data(again) == data
    # Dates come back as ISO strings: equal in meaning wherever field types are known.
    same(again, rule, subscriber, CATALOG)


ascii_text = st.text(string.ascii_letters + " ", min_size=0, max_size=8)


@given(ascii_text.filter(str.strip), ascii_text)
def test_text_equality_is_casefold_and_trim(operand: str, value: str) -> None:
    rule = FieldPredicate("tier", "equals", operand)
    subscriber = SubscriberView("a@b.c", Status.ACTIVE, {"tier": value})
    expected = operand.strip().lower() == value.strip().lower() and bool(value.strip())
    assert evaluate(rule, subscriber, catalog=CATALOG) is expected
    assert compile_rule(rule, catalog=CATALOG)(subscriber) is expected


@given(st.one_of(st.integers(-(10**12), 10**12), st.floats(-1e6, 1e6, allow_nan=False)))
def test_numeric_strings_count_as_numbers(number: float) -> None:
    subscriber = SubscriberView("a@b.c", Status.ACTIVE, {"score": f" {number!r} "})
    for op in ("equals", "gte", "lte"):
        assert evaluate(FieldPredicate("score", op, number), subscriber, catalog=CATALOG)
    assert not evaluate(FieldPredicate("score", "gt", number), subscriber, catalog=CATALOG)
