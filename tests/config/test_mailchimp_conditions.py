"""The condition catalog and the canonical form, from the config side and the API side."""

from __future__ import annotations

from typing import Any

import pytest
from config_support import Load
from mailchimp_support import BASE, segment

from reconciler.conditions import (
    CATALOG,
    ValueKindError,
    canonical,
    canonical_from_api,
    normalise,
)
from reconciler.model import SavedSegment

# What the provider knows after reading the audience: ids to names.
TAG_NAMES = {13506128: "Dog owner", 13506132: "Cat owner"}
CATEGORIES = {"0121a84f9a": "Newsletters"}
INTERESTS = {"f4da55c9ed": "Care tips", "9c8b7a6d5e": "Offers"}

DECLARED = (
    "    merge_fields:\n"
    "      CTYPE:\n"
    "        {name: Customer type, type: dropdown, options: {choices: [Dog owner, Cat owner]}}\n"
    "      SINCE: {name: Customer since, type: date}\n"
    "    interest_categories:\n"
    "      Newsletters: {type: checkboxes, interests: [Care tips, Offers]}\n"
    "    tags: {Dog owner: {}, Cat owner: {}}\n"
)


def _conditions(load: Load, *conditions: str) -> tuple[dict[str, Any], ...]:
    config = load(BASE + DECLARED + segment(*conditions))
    (saved,) = [r for r in config.desired if isinstance(r, SavedSegment)]
    assert saved.conditions is not None
    return saved.conditions


def test_catalog_holds_every_condition_type_of_the_api() -> None:
    # The rows of the fact sheet's table (2.4), in its order.
    assert list(CATALOG) == [
        "TextMerge", "SelectMerge", "DateMerge", "BirthdayMerge", "AddressMerge", "ZipMerge",
        "EmailAddress", "Interests", "StaticSegment", "Date", "NewSubscribers", "Aim",
        "Automation", "CampaignPoll", "Conversation", "EmailClient", "Language", "MemberRating",
        "SignupSource", "SurveyMonkey", "VIP", "EcommCategory", "EcommNumber", "EcommPurchased",
        "EcommSpent", "EcommStore", "GoalActivity", "GoalTimestamp", "FuzzySegment",
        "IPGeoCountryState", "IPGeoIn", "IPGeoInZip", "IPGeoZip", "IPGeoUnknown", "SocialAge",
        "SocialGender", "SocialInfluence", "SocialNetworkMember", "SocialNetworkFollow",
        "PredictedGender", "PredictedAge",
    ]  # fmt: skip
    assert CATALOG["StaticSegment"].ops == ("static_is", "static_not")
    assert CATALOG["SelectMerge"].merge_types == ("radio", "dropdown")
    assert CATALOG["IPGeoIn"].required == ("field", "op", "value", "addr", "lat", "lng")
    assert CATALOG["SignupSource"].required == ("field", "condition_type", "op")
    assert CATALOG["PredictedAge"].choices[-1] == "65+"
    for name, spec in CATALOG.items():
        assert spec.ops, name
        assert spec.field_kind != "fixed" or spec.fields, name
        assert set(spec.required) <= set(spec.keys), name


def test_numeric_strings_and_numbers_are_the_same_condition(load: Load) -> None:
    as_text = _conditions(load, "{condition_type: MemberRating, op: greater, value: '5'}")
    as_number = _conditions(load, "{condition_type: MemberRating, op: greater, value: 5}")
    as_float = _conditions(load, "{condition_type: MemberRating, op: greater, value: 5.0}")

    assert as_text == as_number == as_float
    assert as_number[0]["value"] == 5


def test_condition_order_does_not_matter(load: Load) -> None:
    first = "{condition_type: StaticSegment, op: static_is, value: Dog owner}"
    second = "{condition_type: SelectMerge, field: CTYPE, op: is, value: Dog owner}"
    third = "{condition_type: Interests, field: Newsletters, op: interestcontains, value: [Offers, Care tips]}"  # noqa: E501
    reordered = third.replace("[Offers, Care tips]", "[Care tips, Offers]")

    assert _conditions(load, first, second, third) == _conditions(load, reordered, first, second)


def test_config_and_api_conditions_meet_in_the_canonical_form(load: Load) -> None:
    from_config = _conditions(
        load,
        "{condition_type: StaticSegment, op: static_is, value: Dog owner}",
        "{condition_type: Interests, field: Newsletters, op: interestcontains,"
        " value: [Offers, Care tips]}",
        "{condition_type: SelectMerge, field: CTYPE, op: is, value: Cat owner}",
        "{condition_type: DateMerge, field: SINCE, op: greater, value: 2024-05-01}",
        "{condition_type: EmailAddress, field: merge0, op: ends, value: '@example.com'}",
        "{condition_type: TextMerge, field: FNAME, op: blank}",
        "{condition_type: EcommSpent, field: ecomm_spent_all, op: greater, value: 100}",
        "{condition_type: IPGeoIn, field: ipgeo, op: ipgeoin, value: 25, addr: Portland,"
        " lat: 45.5, lng: '-122.6'}",
    )
    # The same conditions as the API returns them: ids, loose types, another order.
    from_api = canonical_from_api(
        [
            {"condition_type": "IPGeoIn", "field": "ipgeo", "op": "ipgeoin", "value": "25",
             "addr": "Portland", "lat": "45.5", "lng": "-122.6"},
            {"condition_type": "EcommSpent", "field": "ecomm_spent_all", "op": "greater",
             "value": "100"},
            {"condition_type": "TextMerge", "field": "FNAME", "op": "blank", "value": ""},
            {"condition_type": "EmailAddress", "field": "EMAIL", "op": "ends",
             "value": "@example.com"},
            {"condition_type": "DateMerge", "field": "SINCE", "op": "greater",
             "value": "2024-05-01"},
            {"condition_type": "SelectMerge", "field": "CTYPE", "op": "is", "value": "Cat owner"},
            {"condition_type": "Interests", "field": "interests-0121a84f9a",
             "op": "interestcontains", "value": ["9c8b7a6d5e", "f4da55c9ed"]},
            {"condition_type": "StaticSegment", "field": "static_segment", "op": "static_is",
             "value": "13506128", "extra": None},
        ],
        TAG_NAMES,
        CATEGORIES,
        INTERESTS,
    )  # fmt: skip

    assert from_api == from_config


def test_ids_the_provider_cannot_name_stay_raw() -> None:
    conditions = canonical_from_api(
        [
            {"condition_type": "StaticSegment", "field": "static_segment", "op": "static_not",
             "value": 999},
            {"condition_type": "Interests", "field": "interests-aaaaaaaaaa",
             "op": "interestnotcontains", "value": "f4da55c9ed,bbbbbbbbbb"},
        ],
        TAG_NAMES,
        CATEGORIES,
        INTERESTS,
    )  # fmt: skip

    assert conditions == (
        {
            "condition_type": "Interests",
            "field": "interests-aaaaaaaaaa",
            "op": "interestnotcontains",
            "value": [{"interest": "Care tips"}, "bbbbbbbbbb"],
        },
        {"condition_type": "StaticSegment", "field": "static_segment", "op": "static_not",
         "value": 999},
    )  # fmt: skip


def test_api_values_that_do_not_fit_are_kept_as_sent() -> None:
    odd = {"condition_type": "MemberRating", "field": "rating", "op": "is", "value": "high"}
    unknown = {"condition_type": "Brandnew", "field": "x", "op": "y", "value": None}

    assert canonical_from_api([odd, unknown], {}, {}, {}) == (
        {"condition_type": "Brandnew", "field": "x", "op": "y"},
        odd,
    )


def test_canonical_round_trips(load: Load) -> None:
    from_config = _conditions(
        load,
        "{condition_type: StaticSegment, op: static_is, value: Cat owner}",
        "{condition_type: VIP, op: notmember}",
        "{condition_type: SocialAge, field: social_age, op: is, value: 55+}",
    )

    social_age, static_segment, vip = from_config
    assert canonical(reversed(from_config)) == from_config
    assert (
        canonical_from_api(
            [
                {**vip, "value": None},  # the API may echo a null value
                {**static_segment, "value": 13506132},
                social_age,
            ],
            TAG_NAMES,
            CATEGORIES,
            INTERESTS,
        )
        == from_config
    )


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        ("number", "5", 5),
        ("number", " 2.5 ", 2.5),
        ("number", 7.0, 7),
        ("integer", "12", 12),
        ("tag", "13506128", 13506128),
        ("text", 97201, "97201"),
        ("interest_ids", ["b", "a", "b"], ["a", "b"]),
        ("interest_ids", "b, a", ["a", "b"]),
    ],
)
def test_normalise_accepts_loose_api_types(kind: Any, value: Any, expected: Any) -> None:
    assert normalise(kind, value) == expected


@pytest.mark.parametrize(
    ("kind", "value"),
    [("number", True), ("number", "nan"), ("integer", 2.5), ("text", [1]), ("none", 1)],
)
def test_normalise_refuses_what_does_not_fit(kind: Any, value: Any) -> None:
    with pytest.raises(ValueKindError):
        normalise(kind, value)
