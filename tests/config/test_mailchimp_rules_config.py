"""Rules in a Mailchimp config file: what they may refer to, and segments written as rules."""

from __future__ import annotations

import pytest
from config_support import IssuesOf, Load
from mailchimp_support import BASE

from reconciler.model import Address, SavedSegment, Tag
from reconciler.rules import FieldSpec, to_data

SHOP = Address.of("mailchimp", "audience", "Shop")
#: After BASE (9 lines): merge fields, tags, then `segments:` on line 17.
DECLARED = """\
    merge_fields:
      TIER: {name: Tier, type: dropdown, options: {choices: [Gold, Silver]}}
      VISITS: {name: Visits, type: number}
      BIRTHDAY: {options: {date_format: DD/MM}}
    tags:
      VIP: {}
      Gold: {rule: {all: [{status: active}, {field: TIER, equals: gold}]}}
"""


def segments(*lines: str) -> str:
    return "    segments:\n" + "".join(f"      {line}\n" for line in lines)


def test_each_audience_has_a_catalog_of_its_fields_choices_and_tags(load: Load) -> None:
    config = load(BASE + DECLARED)
    catalog = config.catalogs[SHOP]
    assert catalog.lookup("TIER") == FieldSpec("dropdown", ("Gold", "Silver"))
    assert catalog.lookup("VISITS") == FieldSpec("number")
    # The defaults every audience has, with their Mailchimp types.
    assert catalog.lookup("ADDRESS") == FieldSpec("address")
    assert catalog.lookup("PHONE") == FieldSpec("phone")
    assert catalog.tags == frozenset({"VIP", "Gold"})
    assert catalog.provider == "mailchimp"


def test_a_segment_rule_becomes_the_segments_native_conditions(load: Load) -> None:
    config = load(
        BASE
        + DECLARED
        + segments("Gold VIPs:", "  rule: {all: [{has_tag: vip}, {field: TIER, in: [gold]}]}")
    )
    (saved,) = [r for r in config.desired if isinstance(r, SavedSegment)]
    assert saved.match == "all"
    assert saved.conditions == (
        {"condition_type": "SelectMerge", "field": "TIER", "op": "is", "value": "Gold"},
        {
            "condition_type": "StaticSegment",
            "field": "static_segment",
            "op": "static_is",
            "value": {"tag": "VIP"},
        },
    )
    # The tag it names is a dependency, as for conditions written by hand.
    assert saved.references() == (SHOP.child("tag", "VIP"),)


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (
            ["S:", "  rule: {field: TIER, equals: platinum}"],
            "espform.yaml:19:15: equals on dropdown field 'TIER': 'platinum' is not one of "
            "the field's options (Gold, Silver)",
        ),
        (
            ["S:", "  rule: {has_tag: Silver}"],
            "espform.yaml:19:15: unknown tag 'Silver'; declare it under tags: first",
        ),
        (
            ["S:", "  rule: {field: BIRTHDAY, equals: 07/14}"],
            "espform.yaml:19:15: segment 'S': {field: BIRTHDAY, equals: 07/14} has no exact "
            "Mailchimp segment condition: 'BIRTHDAY' is shown as DD/MM",
        ),
        (
            ["S:", "  rule: {any: [{status: active}, {has_tag: VIP}]}"],
            "espform.yaml:19:22: segment 'S': {status: active} has no exact Mailchimp segment "
            "condition: no Mailchimp condition tests a contact's status",
        ),
        (
            ["S:", "  rule: {in_group: VIP}"],
            "espform.yaml:19:15: in_group: 'VIP': Mailchimp has no groups; to test a tag, "
            "write {has_tag: VIP}",
        ),
        (
            ["S:", "  match: all", "  rule: {has_tag: VIP}"],
            "espform.yaml:19:9: segment 'S' has both a rule and match; write either the rule "
            "or match with conditions",
        ),
        (
            ["S: {renamed_from: [T]}"],
            "espform.yaml:18:7: segment 'S' needs either match and conditions, or a rule",
        ),
        (
            ["S: {match: any}"],
            "espform.yaml:18:7: segment 'S' needs conditions (or a rule instead of match)",
        ),
        (
            ["S:", "  rule: {field: TIER, equals: [gold]}"],
            "espform.yaml:19:29: equals: takes one value, got a list; to match any of "
            "several, use in: [...]",
        ),
    ],
)
def test_segment_rule_problems_are_reported_where_they_are_written(
    issues_of: IssuesOf, lines: list[str], expected: str
) -> None:
    found = issues_of(BASE + DECLARED + segments(*lines))
    assert any(issue.startswith(expected) for issue in found), found


def test_tag_rules_are_checked_against_the_audience_and_for_loops(issues_of: IssuesOf) -> None:
    tags = """\
    merge_fields:
      VISITS: {name: Visits, type: number}
    tags:
      A: {rule: {has_tag: B}}
      B: {rule: {not: {has_tag: A}}}
      C: {rule: {field: VISITS, before: 2024-01-01}}
      D: {rule: {any: [{in_group: Partners}, {status: junk}]}}
"""
    found = issues_of(BASE + tags)
    assert any(
        "espform.yaml:13:17: rule-driven memberships depend on each other in a loop: "
        "tag 'A' → tag 'B' → tag 'A'" in issue
        for issue in found
    ), found
    assert any(
        issue.startswith("espform.yaml:15:17: before does not apply to number field 'VISITS'")
        for issue in found
    ), found
    assert any(
        issue.startswith("espform.yaml:16:24: in_group: 'Partners': Mailchimp has no groups")
        for issue in found
    ), found


def test_a_tag_rule_is_carried_on_the_desired_tag(load: Load) -> None:
    config = load(BASE + DECLARED)
    tags = {r.key: r for r in config.desired if isinstance(r, Tag)}
    assert tags["VIP"].rule is None
    rule = tags["Gold"].rule
    assert rule is not None
    assert to_data(rule) == {"all": [{"status": "active"}, {"field": "TIER", "equals": "gold"}]}
    # The rule takes no part in comparing the tag with the one in the account.
    assert "rule" not in tags["Gold"].attributes()
