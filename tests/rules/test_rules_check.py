"""Checking rules against the account's fields, statuses, groups and tags."""

from __future__ import annotations

import datetime as dt

import pytest
from rules_support import CATALOG, parsed, where

from reconciler.model import Location
from reconciler.rules import Catalog, FieldPredicate, FieldSpec, check


def messages(data: object, catalog: Catalog = CATALOG) -> list[str]:
    return [issue.message for issue in check(parsed(data), catalog)]


def one(data: object, catalog: Catalog = CATALOG) -> str:
    found = messages(data, catalog)
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize(
    "data",
    [
        {"field": "tier", "equals": "gold"},
        {"field": "tier", "in": ["gold", "silver"]},
        {"field": "tier", "starts_with": "go"},
        {"field": "score", "gt": 10},
        {"field": "score", "between": [1, 1.5]},
        {"field": "score", "in": [1, 2]},
        {"field": "joined", "before": "2024-01-01"},
        {"field": "joined", "after": dt.date(2024, 1, 1)},
        {"field": "joined", "between": ["2024-01-01", "2024-01-01"]},
        {"field": "joined", "equals": "2024-01-01 10:00:00"},
        {"field": "joined", "within_days": 30},
        {"field": "joined", "is_empty": True},
        {"field": "PLAN", "in": ["gold", "Silver"]},  # options match ignoring case
        {"field": "PLAN", "contains": "ol"},  # substrings need not be options
        {"field": "BDAY", "equals": "07/14"},
        {"field": "ADDRESS", "contains": "Main"},
        {"field": "email", "ends_with": "@example.com"},
        {"field": "subscribed_at", "within_days": 7},
        {"field": "created_at", "before": "2020-01-01"},
        {"status": {"in": ["active", "unconfirmed", "bounced", "junk"]}},
        {"in_group": "Anything"},
        {"has_tag": "anything"},
    ],
)
def test_valid_rules_have_no_issues(data: object) -> None:
    assert messages(data) == []


def test_unknown_field_suggests_the_closest() -> None:
    assert one({"field": "teir", "equals": "gold"}) == "unknown field 'teir'; did you mean 'tier'?"
    assert one({"field": "plan", "equals": "Gold"}) == "unknown field 'plan'; did you mean 'PLAN'?"


def test_unknown_field_without_a_close_one_lists_the_known() -> None:
    message = one({"field": "zzz", "equals": "x"})
    assert message.startswith("unknown field 'zzz'; declare it under fields:, or use one of ")
    assert "email, subscribed_at, created_at, tier" in message


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (
            {"field": "tier", "gt": "b"},
            "gt does not apply to text field 'tier'; text fields take equals, not_equals, in,",
        ),
        ({"field": "tier", "gt": "b"}, "to compare numbers, the field must be of type number"),
        ({"field": "score", "contains": "1"}, "contains does not apply to number field 'score'"),
        ({"field": "tier", "before": "2024-01-01"}, "the field must be of type date"),
        ({"field": "tier", "within_days": 3}, "within_days does not apply to text field"),
        ({"field": "joined", "gt": 3}, "gt does not apply to date field 'joined'"),
        ({"field": "joined", "in": ["2024-01-01"]}, "in does not apply to date field"),
        ({"field": "PLAN", "starts_with": "G"}, "starts_with does not apply to dropdown field"),
        ({"field": "ADDRESS", "equals": "x"}, "equals does not apply to address field"),
        ({"field": "email", "gte": 1}, "gte does not apply to email field 'email'"),
    ],
)
def test_operator_must_suit_the_field_type(data: object, says: str) -> None:
    assert says in one(data)


@pytest.mark.parametrize(
    ("data", "says"),
    [
        ({"field": "tier", "equals": 12}, 'got an integer; quote it to make it text: "12"'),
        ({"field": "tier", "in": ["a", True]}, "got true/false"),
        ({"field": "tier", "equals": dt.date(2024, 1, 2)}, '"2024-01-02"'),
        ({"field": "score", "gt": "12"}, "got the string '12'; write it without quotes"),
        ({"field": "score", "equals": "many"}, "expected a number, got a string 'many'"),
        ({"field": "score", "between": [1, "x"]}, "expected a number"),
        ({"field": "joined", "before": "yesterday"}, "expected a date as YYYY-MM-DD"),
        ({"field": "joined", "after": "2024-02-30"}, "got a string '2024-02-30'"),
        ({"field": "joined", "equals": 20240101}, "got an integer 20240101"),
        ({"field": "BDAY", "equals": "14/07"}, "expected a birthday as MM/DD"),
    ],
)
def test_value_must_suit_the_field_type(data: object, says: str) -> None:
    message = one(data)
    assert says in message
    op = next(key for key in data if key != "field")  # type: ignore[union-attr]
    field = data["field"]  # type: ignore[index]
    assert message.startswith(f"{op} on ")
    assert f"field '{field}'" in message


@pytest.mark.parametrize(
    "data",
    [
        {"field": "score", "between": [20, 10]},
        {"field": "joined", "between": ["2024-02-01", "2024-01-01"]},
        {"field": "joined", "between": ["2024-01-01 10:00:00", "2024-01-01 09:00:00"]},
    ],
)
def test_between_bounds_must_be_in_order(data: object) -> None:
    high = data["between"][1]  # type: ignore[index]
    message = one(data)
    assert "the lower bound comes first" in message
    assert str(high) in message.split("write")[1]


def test_dropdown_values_must_be_options() -> None:
    message = one({"field": "PLAN", "equals": "Platnum"})
    assert "'Platnum' is not one of the field's options (Gold, Silver, Bronze)" in message
    assert one({"field": "PLAN", "in": ["Gold", "Silvr"]}).endswith("did you mean 'Silver'?")
    radio = Catalog({"SIZE": FieldSpec("radio", ("S", "M"))})
    assert "(S, M)" in one({"field": "SIZE", "not_equals": "XL"}, radio)


@pytest.mark.parametrize(
    ("data", "says"),
    [
        ({"status": "actve"}, "unknown status 'actve'; did you mean 'active'?"),
        (
            {"status": {"in": ["active", "spam"]}},
            "unknown status 'spam'; statuses are active, unsubscribed, unconfirmed, bounced, "
            "junk, transactional, archived, subscribed, pending, cleaned",
        ),
    ],
)
def test_unknown_status_words(data: object, says: str) -> None:
    assert says in one(data)


def test_status_must_exist_on_the_provider() -> None:
    mailchimp = Catalog(provider="mailchimp")
    message = one({"status": "junk"}, mailchimp)
    assert message.startswith("status 'junk' does not exist on Mailchimp, so it would never match")
    assert "Mailchimp statuses are active, unsubscribed, unconfirmed, bounced" in message
    assert "transactional, archived" in message
    assert "does not exist on MailerLite" in one({"status": "archived"})
    assert messages({"status": "cleaned"}, mailchimp) == []
    assert messages({"status": "junk"}, Catalog()) == []  # no provider: any known word


def test_group_and_tag_names_are_checked_when_known() -> None:
    catalog = Catalog(groups=frozenset({"Partners", "Gold Partners"}), tags=frozenset())
    assert messages({"in_group": "partners"}, catalog) == []
    assert one({"in_group": "Partner"}, catalog) == (
        "unknown group 'Partner'; did you mean 'Partners'?"
    )
    assert one({"in_group": "Zebra"}, catalog) == (
        "unknown group 'Zebra'; declare it under groups: first"
    )
    assert one({"has_tag": "vip"}, catalog) == (
        "unknown tag 'vip'; this account has no tags; declare it under tags: first"
    )


def test_issues_carry_node_locations_in_written_order() -> None:
    rule = parsed(
        {
            "all": [
                {"field": "tier", "gt": 1},
                {"not": {"field": "score", "equals": "x"}},
                {"any": [{"status": "nope"}, {"field": "nope", "is_set": True}]},
            ]
        }
    )
    issues = check(rule, CATALOG)
    assert where(issues) == [
        "rule.all[0]",
        "rule.all[1].not",
        "rule.all[2].any[0]",
        "rule.all[2].any[1]",
    ]


def test_rules_built_in_code_are_checked_too() -> None:
    node = FieldPredicate("score", "lt", "low", Location("espform.yaml", 4, 7))
    (issue,) = check(node, CATALOG)
    assert str(issue).startswith("espform.yaml:4:7: lt on number field 'score': expected a number")


def test_field_spec_refuses_unknown_types() -> None:
    with pytest.raises(ValueError, match="unknown field type 'bool'"):
        FieldSpec("bool")


def test_field_status_is_a_field_and_the_hint_points_at_the_status_predicate() -> None:
    """The partner program syncs a custom field named `status`: rules must reach it."""
    assert parsed({"field": "status", "equals": "active"}) == FieldPredicate(
        "status", "equals", "active"
    )
    message = one({"field": "status", "equals": "active"})
    assert "unknown field 'status'" in message
    assert "for the subscriber's status write {status: active}" in message
    declared = Catalog({**CATALOG.fields, "status": FieldSpec("text")})
    assert messages({"field": "status", "equals": "active"}, declared) == []
