"""Rules compiled to Mailchimp saved-segment conditions: mappings, refusals, and agreement.

The property at the end checks the whole point of the compiler: on random compilable
rules and random contacts, the conditions it emits, read the way Mailchimp reads them
(by the small evaluator below, written from the fact sheet and the compiler's stated
assumptions, not from the compiler), select exactly the contacts `evaluate` selects.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any as AnyValue

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from rules_support import NOW, locate, parsed, where

from reconciler.rules import (
    All,
    Any,
    Catalog,
    FieldPredicate,
    FieldSpec,
    HasTag,
    Not,
    Rule,
    Status,
    StatusPredicate,
    SubscriberView,
    check,
    evaluate,
)
from reconciler.rules.compile_mailchimp import SUGGESTION, NativeSegment, compile_segment
from reconciler.rules.status import from_provider

CATALOG = Catalog(
    fields={
        "TIER": FieldSpec("text"),
        "PHONE": FieldSpec("phone"),
        "VISITS": FieldSpec("number"),
        "PLAN": FieldSpec("dropdown", ("Gold", "Silver", "Bronze")),
        "JOINED": FieldSpec("date"),
        "BIRTHDAY": FieldSpec("birthday"),
        "ADDRESS": FieldSpec("address"),
        "ZIP": FieldSpec("zip"),
    },
    provider="mailchimp",
    tags=frozenset({"Dog owner", "VIP"}),
)


def compiled(data: object, date_formats: Mapping[str, str] | None = None) -> NativeSegment:
    rule = parsed(data)
    assert check(rule, CATALOG) == []
    native, issues = compile_segment(rule, CATALOG, date_formats)
    assert issues == [] and native is not None, [str(i) for i in issues]
    return native


def refusals(data: object, date_formats: Mapping[str, str] | None = None) -> list[str]:
    rule = parsed(data)
    assert check(rule, CATALOG) == []
    native, issues = compile_segment(rule, CATALOG, date_formats)
    assert native is None and issues
    assert all(issue.message.endswith(SUGGESTION) for issue in issues)
    return [f"{place}: {issue.message}" for place, issue in zip(where(issues), issues, strict=True)]


def cond(kind: str, field: str, op: str, value: object = None) -> dict[str, AnyValue]:
    out: dict[str, AnyValue] = {"condition_type": kind, "field": field, "op": op}
    return out if value is None else {**out, "value": value}


def tag(op: str, name: str) -> dict[str, AnyValue]:
    return cond("StaticSegment", "static_segment", op, {"tag": name})


# --- Mappings ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "match", "conditions"),
    [
        ({"field": "TIER", "equals": " Gold "}, "all", [cond("TextMerge", "TIER", "is", "Gold")]),
        ({"field": "TIER", "not_equals": "x"}, "all", [cond("TextMerge", "TIER", "not", "x")]),
        ({"field": "TIER", "contains": "ol"}, "all", [cond("TextMerge", "TIER", "contains", "ol")]),
        (
            {"field": "TIER", "not_contains": "ol"},
            "all",
            [cond("TextMerge", "TIER", "notcontain", "ol")],
        ),
        (
            {"field": "PHONE", "starts_with": "+44"},
            "all",
            [cond("TextMerge", "PHONE", "starts", "+44")],
        ),
        ({"field": "TIER", "ends_with": "ld"}, "all", [cond("TextMerge", "TIER", "ends", "ld")]),
        ({"field": "TIER", "is_set": True}, "all", [cond("TextMerge", "TIER", "blank_not")]),
        ({"field": "TIER", "is_empty": True}, "all", [cond("TextMerge", "TIER", "blank")]),
        ({"field": "VISITS", "gt": 3}, "all", [cond("TextMerge", "VISITS", "greater", "3")]),
        ({"field": "VISITS", "lt": 2.5}, "all", [cond("TextMerge", "VISITS", "less", "2.5")]),
        ({"field": "VISITS", "equals": 4.0}, "all", [cond("TextMerge", "VISITS", "is", "4")]),
        (
            {"field": "VISITS", "gte": 3},
            "any",
            [cond("TextMerge", "VISITS", "greater", "3"), cond("TextMerge", "VISITS", "is", "3")],
        ),
        (
            {"field": "VISITS", "lte": 3},
            "any",
            [cond("TextMerge", "VISITS", "is", "3"), cond("TextMerge", "VISITS", "less", "3")],
        ),
        (
            {"field": "PLAN", "in": ["gold", "SILVER", "Gold"]},
            "any",
            [
                cond("SelectMerge", "PLAN", "is", "Gold"),
                cond("SelectMerge", "PLAN", "is", "Silver"),
            ],
        ),
        (
            {"field": "PLAN", "not_in": ["bronze", "silver"]},
            "all",
            [
                cond("SelectMerge", "PLAN", "not", "Bronze"),
                cond("SelectMerge", "PLAN", "not", "Silver"),
            ],
        ),
        (
            {"field": "PLAN", "contains": "ol"},
            "all",
            [cond("SelectMerge", "PLAN", "contains", "ol")],
        ),
        (
            {"field": "JOINED", "after": "2024-02-29"},
            "all",
            [cond("DateMerge", "JOINED", "greater", "2024-02-29")],
        ),
        (
            {"field": "JOINED", "before": dt.date(2024, 3, 1)},
            "all",
            [cond("DateMerge", "JOINED", "less", "2024-03-01")],
        ),
        (
            {"field": "JOINED", "equals": "2024-03-01"},
            "all",
            [cond("DateMerge", "JOINED", "is", "2024-03-01")],
        ),
        (
            {"field": "JOINED", "between": ["2024-01-01", "2024-12-31"]},
            "all",
            [
                cond("DateMerge", "JOINED", "greater", "2023-12-31"),
                cond("DateMerge", "JOINED", "less", "2025-01-01"),
            ],
        ),
        (
            {"field": "BIRTHDAY", "equals": "07/14"},
            "all",
            [cond("BirthdayMerge", "BIRTHDAY", "is", "07/14")],
        ),
        (
            {"field": "ADDRESS", "contains": "Portland"},
            "all",
            [cond("AddressMerge", "ADDRESS", "contains", "Portland")],
        ),
        (
            {"field": "email", "ends_with": "@example.com"},
            "all",
            [cond("EmailAddress", "EMAIL", "ends", "@example.com")],
        ),
        ({"has_tag": "dog OWNER"}, "all", [tag("static_is", "Dog owner")]),
        ({"not": {"has_tag": "VIP"}}, "all", [tag("static_not", "VIP")]),
    ],
)
def test_predicates_map_to_native_conditions(
    rule: object, match: str, conditions: list[dict[str, AnyValue]]
) -> None:
    native = compiled(rule)
    assert native.match == match
    assert sorted(native.conditions, key=repr) == sorted(conditions, key=repr)
    assert native.subscribed_only is False


def test_a_top_level_all_becomes_match_all_and_status_active_becomes_the_scope() -> None:
    native = compiled(
        {
            "all": [
                {"status": "subscribed"},
                {"field": "TIER", "equals": "gold"},
                {"all": [{"field": "VISITS", "gt": 3}, {"has_tag": "VIP"}]},
                {"field": "TIER", "not_in": ["a", "b"]},
            ]
        }
    )
    assert native.match == "all"
    assert native.subscribed_only is True
    assert {(c["field"], c["op"]) for c in native.conditions} == {
        ("TIER", "is"),
        ("VISITS", "greater"),
        ("static_segment", "static_is"),
        ("TIER", "not"),
    }


def test_status_active_with_an_any_leaves_match_any() -> None:
    native = compiled(
        {
            "all": [
                {"status": {"in": ["active"]}},
                {
                    "any": [
                        {"field": "TIER", "equals": "a"},
                        {"field": "PLAN", "in": ["Gold", "Silver"]},
                    ]
                },
            ]
        }
    )
    assert (native.match, native.subscribed_only, len(native.conditions)) == ("any", True, 3)


def test_not_is_pushed_inwards_with_de_morgan() -> None:
    native = compiled(
        {
            "not": {
                "any": [
                    {"field": "TIER", "equals": "x"},
                    {"not": {"has_tag": "VIP"}},
                    {"field": "TIER", "is_set": True},
                ]
            }
        }
    )
    assert native.match == "all"
    assert sorted(native.conditions, key=repr) == sorted(
        [
            cond("TextMerge", "TIER", "not", "x"),
            tag("static_is", "VIP"),
            cond("TextMerge", "TIER", "blank"),
        ],
        key=repr,
    )


def test_conditions_are_canonical_so_plans_compare_them_with_what_mailchimp_returns() -> None:
    one = compiled({"all": [{"field": "TIER", "equals": "a"}, {"has_tag": "VIP"}]})
    two = compiled({"all": [{"has_tag": "vip"}, {"field": "TIER", "equals": "a "}]})
    assert one == two


# --- Refusals ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "place", "reason"),
    [
        (
            {
                "all": [
                    {"field": "TIER", "equals": "a"},
                    {"any": [{"has_tag": "VIP"}, {"field": "VISITS", "gt": 1}]},
                ]
            },
            "rule.all[1]",
            "any: inside all: needs nested groups",
        ),
        (
            {"all": [{"has_tag": "VIP"}, {"field": "PLAN", "in": ["Gold", "Silver"]}]},
            "rule.all[1]",
            "2 conditions matched with any, which inside all: would need nested groups",
        ),
        (
            {"all": [{"has_tag": "VIP"}, {"field": "VISITS", "gte": 2}]},
            "rule.all[1]",
            "2 conditions matched with any, which inside all: would need nested groups",
        ),
        (
            {
                "any": [
                    {"has_tag": "VIP"},
                    {"field": "JOINED", "between": ["2024-01-01", "2024-02-01"]},
                ]
            },
            "rule.any[1]",
            "matched with all, which inside any:",
        ),
        ({"field": "VISITS", "between": [1, 5]}, "rule", "both bounds are inclusive"),
        (
            {"not": {"field": "VISITS", "gt": 1}},
            "rule.not",
            "{not: {field: VISITS, gt: 1}} has no exact Mailchimp segment condition: "
            "Mailchimp has no negated form of gt",
        ),
        (
            {"not": {"field": "TIER", "starts_with": "a"}},
            "rule.not",
            "no negated form of starts_with",
        ),
        ({"field": "JOINED", "within_days": 30}, "rule", "depends on the day it is evaluated"),
        (
            {"field": "JOINED", "after": "2024-03-01 10:00:00"},
            "rule",
            "DateMerge compares whole days",
        ),
        ({"field": "subscribed_at", "after": "2024-03-01"}, "rule", "time zone"),
        ({"field": "created_at", "before": "2024-03-01"}, "rule", "time zone"),
        ({"field": "ZIP", "equals": "97201"}, "rule", "ZipMerge only tests a distance"),
        ({"field": "ADDRESS", "is_set": True}, "rule", "blank is not documented"),
        ({"field": "ADDRESS", "contains": "Main St"}, "rule", "one word at a time"),
        ({"field": "email", "is_set": True}, "rule", "always set"),
        ({"field": "TIER", "equals": "Straße"}, "rule", "letters with case outside ASCII (ß)"),
        ({"field": "TIER", "in": ["a", "É"]}, "rule", "(É)"),
        ({"field": "VISITS", "gt": 2**60}, "rule", "cannot be compared exactly"),
        ({"field": "VISITS", "lt": 1e-7}, "rule", "cannot be compared exactly"),
        ({"status": "active"}, "rule", "it is the only condition"),
        ({"all": [{"status": "active"}, {"status": "subscribed"}]}, "rule", "nothing is left"),
        (
            {"all": [{"status": "unsubscribed"}, {"has_tag": "VIP"}]},
            "rule.all[0]",
            "no Mailchimp condition tests a contact's status",
        ),
        (
            {"any": [{"status": "active"}, {"has_tag": "VIP"}]},
            "rule.any[0]",
            "no Mailchimp condition tests",
        ),
        (
            {"all": [{"status": {"not_equals": "active"}}, {"has_tag": "VIP"}]},
            "rule.all[0]",
            "no Mailchimp condition tests",
        ),
        (
            {"all": [{"not": {"status": "active"}}, {"has_tag": "VIP"}]},
            "rule.all[0].not",
            "no Mailchimp condition tests",
        ),
        ({"in_group": "Partners"}, "rule", "Mailchimp has no groups"),
    ],
)
def test_rules_without_an_exact_native_form_are_refused_where_they_say_it(
    rule: object, place: str, reason: str
) -> None:
    rule_node = parsed(rule)
    catalog = Catalog(CATALOG.fields, provider="mailchimp", tags=CATALOG.tags)  # groups unchecked
    assert [i for i in check(rule_node, catalog) if "group" not in i.message] == []
    native, issues = compile_segment(rule_node, catalog)
    assert native is None
    assert [reason in issue.message for issue in issues] == [True], [str(i) for i in issues]
    assert where(issues) == [place]
    assert issues[0].message.endswith(SUGGESTION)


def test_every_refused_predicate_is_reported_at_once() -> None:
    messages = refusals(
        {
            "all": [
                {"field": "ZIP", "equals": "1"},
                {"has_tag": "VIP"},
                {"field": "VISITS", "between": [1, 2]},
            ]
        }
    )
    assert [m.split(":")[0] for m in messages] == ["rule.all[0]", "rule.all[2]"]
    assert messages[0].startswith("rule.all[0]: {field: ZIP, equals: 1} has no exact Mailchimp")


def test_birthday_compiles_only_when_the_field_shows_month_first() -> None:
    rule = {"field": "BIRTHDAY", "equals": "07/14"}
    assert compiled(rule, {"BIRTHDAY": "MM/DD"}).conditions == (
        cond("BirthdayMerge", "BIRTHDAY", "is", "07/14"),
    )
    (message,) = refusals(rule, {"BIRTHDAY": "DD/MM"})
    assert "'BIRTHDAY' is shown as DD/MM" in message


def test_an_issue_falls_back_to_the_rule_location_when_the_node_has_none() -> None:
    rule = All((HasTag("VIP"), FieldPredicate("VISITS", "between", (1, 2))), location=locate(()))
    _, issues = compile_segment(rule, CATALOG)
    assert where(issues) == ["rule"]


# --- Agreement with evaluate -------------------------------------------------------------

ASCII_UPPER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
NUMBER_TAGS = frozenset({"VISITS"})
ADDRESS_KEYS = ("addr1", "addr2", "city", "state", "zip", "country")


def mc_lower(text: str) -> str:
    """Case folding as assumed for Mailchimp (and done by the sandbox): ASCII letters."""
    return text.translate(ASCII_UPPER)


def mc_text(value: object) -> str:
    """A stored value as a condition reads it: "" when missing, an address part by part."""
    if value is None:
        return ""
    if isinstance(value, Mapping):
        return " ".join(str(value.get(key) or "") for key in ADDRESS_KEYS)
    return str(value)


def mc_holds(condition: Mapping[str, AnyValue], contact: SubscriberView) -> bool:
    kind, op, value = condition["condition_type"], condition["op"], condition.get("value")
    if kind == "StaticSegment":
        has = mc_lower(value["tag"]) in {mc_lower(t) for t in contact.tags}
        return has if op == "static_is" else not has
    field = condition["field"]
    text = contact.email if kind == "EmailAddress" else mc_text(contact.fields.get(field))
    if op in ("blank", "blank_not"):
        return (text == "") == (op == "blank")
    if op in ("is", "not", "greater", "less"):
        if field in NUMBER_TAGS:
            have, want = (float(text) if text else None), float(value)
        else:
            have, want = (mc_lower(text) if text else None), mc_lower(value)
        result = (
            have is not None
            and {
                "is": have == want,
                "not": have == want,
                "greater": have > want,  # type: ignore[operator]
                "less": have < want,  # type: ignore[operator]
            }[op]
        )
        return not result if op == "not" else result
    have, want = mc_lower(text), mc_lower(value)
    return {
        "contains": want in have,
        "notcontain": want not in have,
        "starts": have.startswith(want),
        "ends": have.endswith(want),
    }[op]


def mc_selects(native: NativeSegment, contact: SubscriberView) -> bool:
    results = [mc_holds(c, contact) for c in native.conditions]
    matched = all(results) if native.match == "all" else any(results)
    return matched and (not native.subscribed_only or contact.status is Status.ACTIVE)


TEXTS = ["gold", "Gold", " GOLD ", "old", "gold star", "en", "silver", "12", "é", "go"]
NUMBERS = [0, 1, 2, 2.5, 3, -1, 2.0]
DAYS = st.dates(dt.date(2024, 1, 1), dt.date(2024, 1, 12))
OPERANDS: dict[str, st.SearchStrategy[object]] = {
    "TIER": st.sampled_from(TEXTS),
    "PHONE": st.sampled_from(["+44", "555", "12"]),
    "VISITS": st.sampled_from(NUMBERS),
    "PLAN": st.sampled_from(["gold", "Silver", "BRONZE"]),
    "JOINED": st.one_of(DAYS, DAYS.map(str)),
    "BIRTHDAY": st.sampled_from(["07/14", "12/25", "01/01"]),
    "ADDRESS": st.sampled_from(["main", "Portland", "st", "OR"]),
    "email": st.sampled_from(["ada", "example.com", "ADA@EXAMPLE.COM", "@mail.example", "b"]),
}


def predicate(name: str) -> st.SearchStrategy[Rule]:
    spec = CATALOG.lookup(name)
    assert spec is not None
    ops = [op for op in spec.info.operators if op != "within_days"]
    values = OPERANDS[name]

    def operand(op: str) -> st.SearchStrategy[object]:
        if op in ("is_set", "is_empty"):
            return st.just(True)
        if op == "between":
            return st.tuples(values, values).map(lambda pair: tuple(sorted(pair, key=str)))
        if op in ("in", "not_in"):
            return st.lists(values, min_size=1, max_size=3).map(tuple)
        return values

    return st.sampled_from(ops).flatmap(
        lambda op: operand(op).map(lambda v: FieldPredicate(name, op, v))
    )


tags = st.sampled_from(["Dog owner", "dog OWNER", "VIP"]).map(HasTag)
leaves = st.one_of(
    *(predicate(name) for name in OPERANDS),
    tags,
    tags.map(Not),
    predicate("TIER").map(Not),
    predicate("VISITS").map(Not),
)
groups = st.one_of(
    st.lists(leaves, min_size=1, max_size=4).map(All),
    st.lists(leaves, min_size=1, max_size=4).map(Any),
)
active = StatusPredicate("equals", ("active",))
rules = st.one_of(
    leaves,
    groups,
    groups.map(Not),
    groups.map(lambda group: All((active, group))),
    st.lists(leaves, min_size=1, max_size=3).map(lambda items: All((active, *items))),
)

MAILCHIMP_STATUSES = ["subscribed", "unsubscribed", "pending", "cleaned", "transactional"]
#: Stored text as the compiler assumes it: no surrounding whitespace, no letters whose
#: case folding yields ASCII (see the compiler's docstring); other non-ASCII is fine.
STORED_TEXT = [
    "gold",
    "Gold",
    "GOLD",
    "gold star",
    "gold  star",
    "golden",
    "old",
    "Old",
    "é gold",
    "GOLDÉ",
    "silver",
    "12",
    "en",
    "",
]


def maybe(values: st.SearchStrategy[object]) -> st.SearchStrategy[object]:
    return st.one_of(st.just(None), values)


addresses = st.one_of(
    st.just(""),
    st.fixed_dictionaries(
        {
            "addr1": st.sampled_from(["1 Main St", "22 Oak Ave"]),
            "addr2": st.sampled_from(["", "Apt 4"]),
            "city": st.sampled_from(["Portland", "Salem"]),
            "state": st.sampled_from(["OR", "WA"]),
            "zip": st.sampled_from(["97201", "98101"]),
            "country": st.sampled_from(["US", ""]),
        }
    ),
)


@st.composite
def contacts(draw: st.DrawFn) -> SubscriberView:
    fields = {
        "TIER": draw(maybe(st.sampled_from(STORED_TEXT))),
        "PHONE": draw(maybe(st.sampled_from(["+44 20 7946", "555-0100", ""]))),
        "VISITS": draw(maybe(st.sampled_from([*NUMBERS, 10, 2.25, ""]))),
        "PLAN": draw(maybe(st.sampled_from(["Gold", "Silver", "Bronze", ""]))),
        "JOINED": draw(maybe(st.one_of(DAYS.map(str), st.just("")))),
        "BIRTHDAY": draw(maybe(st.sampled_from(["07/14", "12/25", "01/01", ""]))),
        "ADDRESS": draw(maybe(addresses)),
    }
    return SubscriberView(
        email=draw(st.sampled_from(["ada@example.com", "ADA@Example.com", "bob@mail.example"])),
        status=from_provider("mailchimp", draw(st.sampled_from(MAILCHIMP_STATUSES))),
        fields={key: value for key, value in fields.items() if value is not None},
        tags=frozenset(draw(st.lists(st.sampled_from(["Dog owner", "dog owner", "VIP", "Cat"])))),
    )


@settings(max_examples=500, suppress_health_check=[HealthCheck.filter_too_much])
@given(rules, st.lists(contacts(), min_size=1, max_size=6))
def test_compiled_conditions_select_exactly_what_the_rule_selects(
    rule: Rule, people: list[SubscriberView]
) -> None:
    assume(check(rule, CATALOG) == [])
    native, _ = compile_segment(rule, CATALOG)
    assume(native is not None)
    assert native is not None
    for contact in people:
        assert mc_selects(native, contact) is evaluate(rule, contact, NOW, CATALOG), (
            native,
            contact,
        )


def test_the_property_sees_compiled_and_refused_rules_alike() -> None:
    """Guards the generator: a property over rules that never compile proves nothing."""
    outcomes = {"compiled": 0, "refused": 0}

    @settings(max_examples=300, database=None)
    @given(rules)
    def count(rule: Rule) -> None:
        if check(rule, CATALOG):
            return
        native, _ = compile_segment(rule, CATALOG)
        outcomes["compiled" if native is not None else "refused"] += 1

    count()
    assert outcomes["compiled"] > 60 and outcomes["refused"] > 20, outcomes
