"""Parsing rules from YAML data: the shapes that are read, and every issue, located."""

from __future__ import annotations

import datetime as dt
from textwrap import dedent

import pytest
from rules_support import errors, label, locate, parsed, where

from reconciler.config.yaml_source import parse_yaml
from reconciler.model import Location
from reconciler.rules import (
    All,
    Any,
    FieldPredicate,
    HasTag,
    InGroup,
    Not,
    StatusPredicate,
    parse,
)

# --- What parses -----------------------------------------------------------------------


def test_nested_rule_parses_into_nodes() -> None:
    rule = parsed(
        {
            "all": [
                {"status": "active"},
                {"field": "tier", "in": ["gold", "platinum"]},
                {"not": {"in_group": "Churned"}},
                {"any": [{"has_tag": "vip"}, {"field": "joined", "within_days": 30}]},
            ]
        }
    )
    assert rule == All(
        (
            StatusPredicate("equals", ("active",)),
            FieldPredicate("tier", "in", ("gold", "platinum")),
            Not(InGroup("Churned")),
            Any((HasTag("vip"), FieldPredicate("joined", "within_days", 30))),
        )
    )


def test_single_predicate_needs_no_wrapper() -> None:
    assert parsed({"field": "tier", "equals": "gold"}) == FieldPredicate("tier", "equals", "gold")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"status": "active"}, StatusPredicate("equals", ("active",))),
        ({"status": ["active", "pending"]}, StatusPredicate("in", ("active", "pending"))),
        ({"status": {"in": ["bounced"]}}, StatusPredicate("in", ("bounced",))),
        (
            {"status": {"not_in": ["junk", "bounced"]}},
            StatusPredicate("not_in", ("junk", "bounced")),
        ),
        ({"status": {"not_equals": "active"}}, StatusPredicate("not_equals", ("active",))),
        # The design's own example spells status as a field.
    ],
)
def test_status_forms(data: object, expected: StatusPredicate) -> None:
    assert parsed(data) == expected


def test_values_are_kept_as_written() -> None:
    day = dt.date(2024, 1, 31)
    assert parsed({"field": "joined", "before": day}).value == day  # type: ignore[union-attr]
    assert parsed({"field": "score", "between": [1, 2.5]}).value == (1, 2.5)  # type: ignore[union-attr]
    assert parsed({"field": "tier", "is_set": True}).value is True  # type: ignore[union-attr]


def test_nodes_carry_the_location_of_their_mapping() -> None:
    rule = parsed({"all": [{"field": "tier", "equals": "gold"}, {"not": {"has_tag": "x"}}]})
    assert isinstance(rule, All)
    assert rule.location == Location("rule", 1, 1)
    first, second = rule.items
    assert first.location == Location("rule.all[0]", 1, 1)
    assert isinstance(second, Not)
    assert second.item.location == Location("rule.all[1].not", 1, 1)


def test_location_takes_no_part_in_equality() -> None:
    assert FieldPredicate("a", "equals", "b", Location("x", 1, 1)) == FieldPredicate(
        "a", "equals", "b"
    )


# --- Issues ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "at", "says"),
    [
        ("gold", "rule", "expected a rule such as {field: tier, equals: gold}, got a string"),
        ([{"has_tag": "x"}], "rule", "to require several, write all: [...]"),
        ({}, "rule", "empty rule"),
        ({"all": []}, "rule.all", "all: [] is empty and would match every subscriber"),
        ({"any": []}, "rule.any", "would match no subscriber"),
        ({"all": {"has_tag": "x"}}, "rule.all", "all: takes a list of rules"),
        ({"not": [{"has_tag": "x"}]}, "rule.not", "not: {any: [...]}"),
        ({"all": [], "any": []}, "rule", "this one has all and any"),
        ({"has_tag": "x", "note": 1}, "rule.note", "unknown key 'note' next to 'has_tag'"),
        ({"statuss": "active"}, "rule.statuss", "did you mean 'status'?"),
        ({"equals": "gold"}, "rule", "equals: needs the field it applies to; add field: KEY"),
        ({"field": "tier"}, "rule", "field 'tier' needs an operator"),
        ({"field": "", "equals": "x"}, "rule.field", "field: needs a field key"),
        ({"field": 7, "equals": "x"}, "rule.field", "got an integer"),
        (
            {"field": "tier", "eq": "gold"},
            "rule.eq",
            "unknown operator 'eq'; did you mean 'equals'?",
        ),
        ({"field": "tier", "starts": "g"}, "rule.starts", "did you mean 'starts_with'?"),
        ({"field": "tier", "equls": "g"}, "rule.equls", "did you mean 'equals'?"),
        ({"field": "tier", "not": "gold"}, "rule.not", "write not_equals: VALUE"),
        ({"field": "s", "gt": 1, "lt": 5}, "rule", "one operator per predicate, found gt, lt"),
        ({"field": "t", "equals": None}, "rule.equals", "use is_empty: true"),
        ({"field": "t", "equals": "  "}, "rule.equals", "blank values count as not set"),
        ({"field": "t", "equals": ["a", "b"]}, "rule.equals", "use in: [...]"),
        ({"field": "t", "equals": {"a": 1}}, "rule.equals", "got a mapping"),
        ({"field": "t", "gt": float("nan")}, "rule.gt", "not a usable number"),
        ({"field": "t", "in": "gold"}, "rule.in", "in: takes a list of values"),
        ({"field": "t", "not_in": []}, "rule.not_in", "is empty"),
        ({"field": "t", "in": ["a", None]}, "rule.in[1]", "needs a value"),
        (
            {"field": "s", "between": [1]},
            "rule.between",
            "takes two values, [LOW, HIGH], got 1 value",
        ),
        ({"field": "s", "between": 5}, "rule.between", "got an integer"),
        ({"field": "d", "within_days": 0}, "rule.within_days", "above 0, got 0"),
        ({"field": "d", "within_days": -3}, "rule.within_days", "got -3"),
        ({"field": "d", "within_days": 1.5}, "rule.within_days", "whole number"),
        ({"field": "d", "within_days": True}, "rule.within_days", "got true/false"),
        ({"field": "t", "is_set": False}, "rule.is_set", "write is_empty: true"),
        ({"field": "t", "is_empty": "yes"}, "rule.is_empty", "takes the value true"),
        ({"status": 3}, "rule.status", "status: takes a status word"),
        ({"status": {"in": "active"}}, "rule.status.in", "takes a list"),
        ({"status": {"is": "active"}}, "rule.status", "status takes the operators equals"),
        ({"status": ["active", ""]}, "rule.status[1]", "a status is a word"),
        ({"in_group": ""}, "rule.in_group", "needs a group name, got an empty string"),
        ({"has_tag": 2024}, "rule.has_tag", 'quote it to make it a name: "2024"'),
    ],
)
def test_issue_is_located_and_says_what_to_do(data: object, at: str, says: str) -> None:
    issues = errors(data)
    assert len(issues) == 1, [str(i) for i in issues]
    assert where(issues) == [at]
    assert says in issues[0].message


def test_every_issue_is_reported_at_once() -> None:
    issues = errors(
        {
            "all": [
                {"field": "tier", "eq": "gold"},
                {"any": [{"has_tag": ""}, {"field": "score", "between": [1, 2, 3]}]},
                {"status": {"in": []}},
                {"field": "ok", "equals": "fine"},
            ]
        }
    )
    assert where(issues) == [
        "rule.all[0].eq",
        "rule.all[1].any[0].has_tag",
        "rule.all[1].any[1].between",
        "rule.all[2].status.in",
    ]


def test_a_bad_field_and_a_bad_operand_are_both_reported() -> None:
    issues = errors({"field": "", "in": "gold", "note": 1})
    assert where(issues) == ["rule.field", "rule.note", "rule.in"]


def test_without_locate_issues_have_no_place() -> None:
    rule, issues = parse({"field": "tier"})
    assert rule is None
    assert issues[0].location is None


def test_deep_nesting_is_refused_not_crashing() -> None:
    data: object = {"has_tag": "x"}
    for _ in range(200):
        data = {"not": data}
    issues = errors(data)
    assert "nested more than" in issues[0].message


def test_locations_come_from_the_yaml_file() -> None:
    text = dedent(
        """
        groups:
          Gold:
            rule:
              all:
                - {status: active}
                - {field: tier, equal: gold}
                - field: score
                  between: [10]
        """
    ).lstrip()
    source, problems = parse_yaml(text, "espform.yaml")
    assert source is not None and not problems
    base = ("groups", "Gold", "rule")
    rule, issues = parse(
        source.data["groups"]["Gold"]["rule"],
        lambda path: source.positions.value((*base, *path)),
    )
    assert rule is None
    assert [str(issue.location) for issue in issues] == [
        "espform.yaml:6:32",
        "espform.yaml:8:20",
    ]
    assert "did you mean 'equals'?" in issues[0].message


def test_label_spells_paths() -> None:
    assert label(("all", 2, "field")) == "rule.all[2].field"
    assert locate(()) == Location("rule", 1, 1)
