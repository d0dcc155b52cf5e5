"""What each operator means, including its edge cases; every verdict is checked on both
`evaluate` and the compiled closure (`both`)."""

from __future__ import annotations

import datetime as dt

import pytest
from rules_support import NOW, both, parsed, person

from reconciler.rules import Catalog, Status, compile_rule, evaluate

# --- Text ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("gold", True),
        ("  GOLD ", True),  # case and surrounding whitespace do not count
        ("Gold\n", True),
        ("golden", False),
        ("go ld", False),
        ("", False),
        (None, False),
    ],
)
def test_text_equals_ignores_case_and_surrounding_whitespace(value: object, expected: bool) -> None:
    assert both(parsed({"field": "tier", "equals": " Gold"}), person({"tier": value})) is expected


def test_text_keeps_inner_whitespace() -> None:
    rule = parsed({"field": "city", "equals": "new york"})
    assert both(rule, person({"city": "New York"}))
    assert not both(rule, person({"city": "new  york"}))


def test_text_casefolds_beyond_lowercase() -> None:
    assert both(parsed({"field": "city", "equals": "STRASSE"}), person({"city": "straße"}))


def test_missing_value_matches_only_negative_operators() -> None:
    nobody = person({})
    null = person({"tier": None})
    blank = person({"tier": "   "})
    for subscriber in (nobody, null, blank):
        for op, value in [
            ("equals", "gold"),
            ("in", ["gold"]),
            ("contains", "g"),
            ("starts_with", "g"),
            ("ends_with", "d"),
            ("is_set", True),
        ]:
            assert not both(parsed({"field": "tier", op: value}), subscriber), op
        for op, value in [
            ("not_equals", "gold"),
            ("not_in", ["gold"]),
            ("not_contains", "g"),
            ("is_empty", True),
        ]:
            assert both(parsed({"field": "tier", op: value}), subscriber), op


def test_in_and_not_in_compare_each_item_as_text() -> None:
    rule = parsed({"field": "tier", "in": ["Gold", " platinum "]})
    assert both(rule, person({"tier": "PLATINUM"}))
    assert not both(rule, person({"tier": "silver"}))
    assert both(parsed({"field": "tier", "not_in": ["gold"]}), person({"tier": "silver"}))
    assert not both(parsed({"field": "tier", "not_in": ["gold"]}), person({"tier": "GOLD"}))


@pytest.mark.parametrize(
    ("op", "operand", "value", "expected"),
    [
        ("contains", "Art", "Smart Partner", True),
        ("contains", "art p", "smart partner", True),
        ("contains", "xyz", "smart partner", False),
        ("not_contains", "xyz", "smart partner", True),
        ("not_contains", "ART", "smart partner", False),
        ("starts_with", "SMA", "  smart", True),
        ("starts_with", "art", "smart", False),
        ("ends_with", "NER", "partner  ", True),
        ("ends_with", "part", "partner", False),
    ],
)
def test_substring_operators(op: str, operand: str, value: str, expected: bool) -> None:
    assert both(parsed({"field": "city", op: operand}), person({"city": value})) is expected


def test_is_set_and_is_empty() -> None:
    is_set = parsed({"field": "score", "is_set": True})
    is_empty = parsed({"field": "score", "is_empty": True})
    for value, present in [(0, True), ("0", True), ("x", True), ("", False), (None, False)]:
        assert both(is_set, person({"score": value})) is present
        assert both(is_empty, person({"score": value})) is not present
    assert not both(is_set, person({}))


def test_address_objects_read_as_their_parts() -> None:
    home = {"addr1": "1 Main St", "city": "Springfield", "state": "", "zip": "12345"}
    assert both(parsed({"field": "ADDRESS", "contains": "springfield"}), person({"ADDRESS": home}))
    assert both(parsed({"field": "ADDRESS", "is_set": True}), person({"ADDRESS": home}))
    # Mailchimp sends "" for an address nobody filled in.
    assert both(parsed({"field": "ADDRESS", "is_empty": True}), person({"ADDRESS": ""}))
    empty = {"addr1": "", "city": ""}
    assert both(parsed({"field": "ADDRESS", "is_empty": True}), person({"ADDRESS": empty}))


def test_dropdown_options_match_as_text() -> None:
    rule = parsed({"field": "PLAN", "equals": "gold"})
    assert both(rule, person({"PLAN": "Gold"}))
    assert not both(rule, person({"PLAN": "Silver"}))


def test_email_is_a_text_field_of_every_subscriber() -> None:
    rule = parsed({"field": "email", "ends_with": "@EXAMPLE.com"})
    assert both(rule, person(email="ada@example.com"))
    assert not both(rule, person(email="ada@example.org"))


# --- Numbers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("op", "operand", "value", "expected"),
    [
        ("equals", 12, 12, True),
        ("equals", 12, "12", True),
        ("equals", 12, " 12.0 ", True),  # numbers, not their spelling
        ("equals", 12.5, "12.50", True),
        ("equals", 12, "12a", False),
        ("not_equals", 12, "12.0", False),
        ("not_equals", 12, "n/a", True),
        ("gt", 12, "12.5", True),
        ("gt", 12, 12, False),
        ("gte", 12, 12, True),
        ("gte", 12, 11.99, False),
        ("lt", 0, "-0.5", True),
        ("lt", 12, 12, False),
        ("lte", 12, "12", True),
        ("lte", 12, "1e3", False),
        ("gt", 0, "", False),
        ("gt", 0, None, False),
        ("gt", 0, True, False),  # true/false are not numbers
        ("gt", 0, "nan", False),
        ("gt", 0, "inf", False),
        ("in", [1, 2, 3], "3", True),
        ("in", [1, 2, 3], 2.0, True),
        ("in", [1, 2, 3], 4, False),
        ("not_in", [1, 2, 3], 4, True),
        ("not_in", [1, 2, 3], None, True),
    ],
)
def test_number_operators(op: str, operand: object, value: object, expected: bool) -> None:
    assert both(parsed({"field": "score", op: operand}), person({"score": value})) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (9.99, False),
        (10, True),
        ("10", True),
        (15, True),
        (20, True),
        ("20.0", True),
        (20.01, False),
    ],
)
def test_between_includes_both_bounds(value: object, expected: bool) -> None:
    assert (
        both(parsed({"field": "score", "between": [10, 20]}), person({"score": value})) is expected
    )


def test_large_integers_compare_exactly() -> None:
    rule = parsed({"field": "score", "equals": 2**60 + 1})
    assert both(rule, person({"score": str(2**60 + 1)}))
    assert not both(rule, person({"score": str(2**60)}))


# --- Dates -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("op", "operand", "value", "expected"),
    [
        # A rule date is a whole day.
        ("before", "2024-03-01", "2024-02-29 23:59:59", True),
        ("before", "2024-03-01", "2024-03-01", False),
        ("before", "2024-03-01", "2024-03-01 00:00:00", False),
        ("after", "2024-03-01", "2024-03-01 23:59:59", False),
        ("after", "2024-03-01", "2024-03-02", True),
        ("after", "2024-03-01", "2024-03-02 00:00:00", True),
        ("equals", "2024-03-01", "2024-03-01 18:30:00", True),
        ("equals", "2024-03-01", "2024-03-02", False),
        ("not_equals", "2024-03-01", "2024-03-02", True),
        # A rule timestamp is an instant; a subscriber date starts at midnight.
        ("before", "2024-03-01 12:00:00", "2024-03-01 11:59:59", True),
        ("before", "2024-03-01 12:00:00", "2024-03-01", True),
        ("after", "2024-03-01 12:00:00", "2024-03-01 12:00:00", False),
        ("after", "2024-03-01 12:00:00", "2024-03-01 12:00:01", True),
        ("equals", "2024-03-01 12:00:00", "2024-03-01T12:00:00Z", True),
        # Zones convert to UTC; no zone means UTC.
        ("before", "2024-03-01 12:00:00", "2024-03-01T13:30:00+02:00", True),
        # YAML dates work like strings.
        ("before", dt.date(2024, 3, 1), "2024-02-29", True),
        ("after", dt.datetime(2024, 3, 1, 12), "2024-03-01 12:00:01", True),
        # Not a date: nothing positive matches.
        ("before", "2024-03-01", "2024-02-30", False),
        ("after", "2024-03-01", "tomorrow", False),
        ("after", "2024-03-01", None, False),
        ("not_equals", "2024-03-01", "soon", True),
    ],
)
def test_date_operators(op: str, operand: object, value: object, expected: bool) -> None:
    assert both(parsed({"field": "joined", op: operand}), person({"joined": value})) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-02-29", False),
        ("2024-03-01", True),
        ("2024-03-01 00:00:00", True),
        ("2024-03-31 23:59:59", True),
        ("2024-04-01", False),
    ],
)
def test_date_between_includes_both_days(value: str, expected: bool) -> None:
    rule = parsed({"field": "joined", "between": ["2024-03-01", "2024-03-31"]})
    assert both(rule, person({"joined": value})) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # NOW is 2024-03-15 12:00; seven days earlier is 2024-03-08 12:00.
        ("2024-03-08 12:00:00", True),
        ("2024-03-08 11:59:59", False),
        ("2024-03-08", True),  # a plain date counts for the whole day
        ("2024-03-07", False),
        ("2024-03-07 23:59:59", False),
        ("2024-03-15 12:00:00", True),
        ("2024-04-30", True),  # the future is on or after the start too
        ("", False),
        (None, False),
    ],
)
def test_within_days_boundaries(value: object, expected: bool) -> None:
    rule = parsed({"field": "joined", "within_days": 7})
    assert both(rule, person({"joined": value})) is expected


def test_within_days_uses_now_in_utc() -> None:
    rule = parsed({"field": "joined", "within_days": 1})
    subscriber = person({"joined": "2024-03-14 10:30:00"})
    paris = dt.timezone(dt.timedelta(hours=1))
    # 11:00 in Paris is 10:00 UTC: the window starts at 10:00 UTC the day before.
    assert evaluate(rule, subscriber, dt.datetime(2024, 3, 15, 11, 0, tzinfo=paris))
    assert not evaluate(rule, subscriber, dt.datetime(2024, 3, 15, 12, 0, tzinfo=paris))


def test_subscribed_and_created_dates() -> None:
    subscriber = person(
        subscribed_at=dt.datetime(2024, 3, 10, 9, 0), created_at=dt.datetime(2023, 1, 5, 8, 0)
    )
    assert both(parsed({"field": "subscribed_at", "within_days": 7}), subscriber)
    assert not both(parsed({"field": "created_at", "within_days": 7}), subscriber)
    assert both(parsed({"field": "created_at", "before": "2023-02-01"}), subscriber)
    utc = dt.datetime(2024, 3, 10, 9, 0, tzinfo=dt.UTC)
    assert both(
        parsed({"field": "subscribed_at", "equals": "2024-03-10"}), person(subscribed_at=utc)
    )
    never = person()
    assert not both(parsed({"field": "subscribed_at", "after": "2000-01-01"}), never)
    assert both(parsed({"field": "subscribed_at", "is_empty": True}), never)


def test_within_days_needs_now() -> None:
    rule = parsed({"field": "joined", "within_days": 7})
    with pytest.raises(ValueError, match="needs `now`"):
        evaluate(rule, person())
    with pytest.raises(ValueError, match="needs `now`"):
        compile_rule(rule)
    # Rules without relative dates need no clock at all.
    assert compile_rule(parsed({"field": "tier", "is_set": True}))(person({"tier": "x"}))


# --- Status, groups, tags, combinators --------------------------------------------------


@pytest.mark.parametrize(
    ("data", "status", "expected"),
    [
        ({"status": "active"}, Status.ACTIVE, True),
        ({"status": "active"}, Status.UNSUBSCRIBED, False),
        ({"status": " Active "}, Status.ACTIVE, True),
        ({"status": "subscribed"}, Status.ACTIVE, True),  # Mailchimp's word
        ({"status": "pending"}, Status.UNCONFIRMED, True),
        ({"status": "cleaned"}, Status.BOUNCED, True),
        ({"status": "active"}, "active", True),  # a plain string works too
        ({"status": {"in": ["bounced", "junk"]}}, Status.JUNK, True),
        ({"status": {"not_in": ["bounced", "junk"]}}, Status.ACTIVE, True),
        ({"status": {"not_equals": "active"}}, Status.ACTIVE, False),
        ({"status": "actve"}, Status.ACTIVE, False),  # unknown words never match
        ({"status": {"not_equals": "actve"}}, Status.ACTIVE, True),
    ],
)
def test_status(data: object, status: Status | str, expected: bool) -> None:
    assert both(parsed(data), person(status=status)) is expected


def test_groups_and_tags_match_names_as_text() -> None:
    subscriber = person(groups=frozenset({"Gold Partners"}), tags=frozenset({"vip"}))
    assert both(parsed({"in_group": "gold partners "}), subscriber)
    assert not both(parsed({"in_group": "Gold"}), subscriber)
    assert both(parsed({"has_tag": "VIP"}), subscriber)
    assert not both(parsed({"has_tag": "vip2"}), subscriber)


def test_combinators() -> None:
    gold = {"field": "tier", "equals": "gold"}
    big = {"field": "score", "gte": 100}
    rich_gold = person({"tier": "gold", "score": 150})
    poor_gold = person({"tier": "gold", "score": 5})
    assert both(parsed({"all": [gold, big]}), rich_gold)
    assert not both(parsed({"all": [gold, big]}), poor_gold)
    assert both(parsed({"any": [big, gold]}), poor_gold)
    assert not both(parsed({"any": [big]}), poor_gold)
    assert both(parsed({"not": big}), poor_gold)
    assert both(parsed({"all": [gold]}), poor_gold)


# --- Without a catalog -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "value", "expected"),
    [
        ({"field": "score", "equals": 12}, "12.0", True),  # a YAML number: numeric
        ({"field": "score", "gt": 5}, "7", True),
        ({"field": "code", "equals": "12"}, "12.0", False),  # a string: text
        ({"field": "day", "equals": dt.date(2024, 1, 2)}, "2024-01-02 10:00:00", True),
        ({"field": "day", "between": ["2024-01-01", "2024-01-31"]}, "2024-01-15", True),
        ({"field": "day", "before": "2024-01-01"}, "2023-12-31", True),
    ],
)
def test_comparison_kind_is_inferred_without_catalog(
    data: object, value: object, expected: bool
) -> None:
    field = data["field"]  # type: ignore[index]
    assert both(parsed(data), person({field: value}), catalog=None) is expected


def test_catalog_type_decides_over_the_value() -> None:
    # A quoted number on a number field still compares numerically (check reports it).
    rule = parsed({"field": "score", "equals": "12.50"})
    catalog = Catalog({"score": "number"})
    assert both(rule, person({"score": 12.5}), catalog=catalog)
    assert not both(rule, person({"score": 12.5}), catalog=None)


def test_an_operator_of_another_kind_never_matches() -> None:
    # gt on a text field is reported by check; evaluating it anyway is safe and false.
    catalog = Catalog({"tier": "text", "joined": "date"})
    assert not both(parsed({"field": "joined", "in": ["x"]}), person({"joined": "x"}), catalog)
    assert not both(
        parsed({"field": "tier", "before": "2024-01-01"}), person({"tier": "a"}), catalog
    )


def test_reference_time_is_not_read_from_the_clock() -> None:
    rule = parsed({"field": "joined", "within_days": 3})
    subscriber = person({"joined": "2001-01-01"})
    assert evaluate(rule, subscriber, dt.datetime(2001, 1, 2))
    assert not evaluate(rule, subscriber, NOW)
