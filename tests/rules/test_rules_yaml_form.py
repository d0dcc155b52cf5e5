"""`to_data` writes rules back in the form `parse` reads."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from rules_support import parsed

from reconciler.rules import FieldPredicate, StatusPredicate, to_data

CANONICAL = [
    {"field": "tier", "equals": "gold"},
    {"status": "active"},
    {"status": {"in": ["active", "unconfirmed"]}},
    {"status": {"not_in": ["junk"]}},
    {"status": {"not_equals": "bounced"}},
    {"in_group": "Partners"},
    {"has_tag": "vip"},
    {"field": "score", "between": [10, 20.5]},
    {"field": "tier", "not_in": ["a", "b"]},
    {"field": "joined", "within_days": 30},
    {"field": "joined", "before": "2024-03-01"},
    {"field": "joined", "after": "2024-03-01 09:30:00"},
    {"field": "tier", "is_set": True},
    {
        "all": [
            {"status": "active"},
            {"not": {"any": [{"in_group": "Churned"}, {"field": "score", "lt": 0}]}},
            {"any": [{"has_tag": "vip"}, {"field": "city", "contains": "york"}]},
        ]
    },
]


@pytest.mark.parametrize("data", CANONICAL)
def test_canonical_forms_round_trip_exactly(data: object) -> None:
    assert to_data(parsed(data)) == data


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ({"status": {"equals": "active"}}, {"status": "active"}),
        ({"status": ["active", "pending"]}, {"status": {"in": ["active", "pending"]}}),
        (
            {"field": "joined", "before": dt.date(2024, 3, 1)},
            {"field": "joined", "before": "2024-03-01"},
        ),
        (
            {"field": "joined", "after": dt.datetime(2024, 3, 1, 9, 30)},
            {"field": "joined", "after": "2024-03-01 09:30:00"},
        ),
    ],
)
def test_other_spellings_come_back_canonical(written: object, canonical: object) -> None:
    assert to_data(parsed(written)) == canonical
    assert to_data(parsed(canonical)) == canonical


def test_output_is_plain_json() -> None:
    rule = FieldPredicate("joined", "between", (dt.date(2024, 1, 1), dt.datetime(2024, 2, 1, 8)))
    assert json.loads(json.dumps(to_data(rule))) == {
        "field": "joined",
        "between": ["2024-01-01", "2024-02-01 08:00:00"],
    }


def test_rules_built_in_code_render_too() -> None:
    assert to_data(StatusPredicate("in", ["active"])) == {"status": {"in": ["active"]}}
    assert to_data(FieldPredicate("score", "in", [1, 2])) == {"field": "score", "in": [1, 2]}
