"""Malformed Mailchimp config files: each reports exactly these issues, at these places.

Every case lists its expected issues in order as (`line:col`, key words of the message).
BASE holds a valid audience "Shop" on lines 1 to 9; `segment(...)` adds a segment "S"
whose first condition is on line 14 and starts at column 13.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from config_support import IssuesOf
from mailchimp_support import BASE, HEAD, segment


@dataclass(frozen=True)
class Case:
    id: str
    text: str
    expected: list[tuple[str, list[str]]]
    environ: dict[str, str] | None = field(default=None)


PETS = "    interest_categories:\n      Pets: {type: checkboxes, interests: [Dog, Cat]}\n"
GOLD = "    tags:\n      Gold: {}\n"

CASES = [
    # --- provider -------------------------------------------------------------------------
    Case(
        "key-in-clear",
        "provider:\n  type: mailchimp\n  api_key: 5e8b1c0d9a7f4e3b2c1d0e9f8a7b6c5d-us21\n",
        [
            (
                "3:12",
                [
                    "provider.api_key must not be written in clear",
                    "api_key: ${env:MAILCHIMP_API_KEY}",
                ],
            )
        ],
    ),
    Case(
        "key-without-data-center",
        HEAD,
        [
            (
                "3:12",
                [
                    "API key in environment variable MAILCHIMP_API_KEY",
                    "does not end with a data center such as -us6",
                    "provider.base_url",
                ],
            )
        ],
        environ={"MAILCHIMP_API_KEY": "5e8b1c0d9a7f4e3b2c1d0e9f8a7b6c5d"},
    ),
    Case(
        "missing-key-without-sandbox",
        "provider:\n  type: mailchimp\n",
        [("1:1", ["an api_key is required unless `sandbox` is set", "${env:MAILCHIMP_API_KEY}"])],
    ),
    Case(
        "empty-key",
        HEAD,
        [("3:12", ["provider.api_key is empty", "MAILCHIMP_API_KEY is set but empty"])],
        environ={"MAILCHIMP_API_KEY": ""},
    ),
    Case(
        "too-many-connections",
        HEAD + "  max_connections: 12\n",
        [("4:20", ["provider.max_connections: 12 is out of range", "at most 10"])],
    ),
    Case(
        "base-url-with-api-path",
        HEAD + "  base_url: https://us6.api.mailchimp.com/3.0/\n",
        [("4:13", ["provider.base_url must not end with /3.0", "appends /3.0/..."])],
    ),
    # --- audience settings ----------------------------------------------------------------
    Case(
        "missing-audience-settings",
        HEAD + "audiences:\n  Shop:\n    permission_reminder: You bought from us.\n",
        [
            ("5:3", ["audiences.Shop: missing required key 'contact'"]),
            ("5:3", ["audiences.Shop: missing required key 'campaign_defaults'"]),
            ("5:3", ["audiences.Shop: missing required key 'email_type_option'"]),
        ],
    ),
    Case(
        "bad-country-code",
        BASE.replace("country: US", "country: usa"),
        [("6:83", ["audiences.Shop.contact.country: country code 'usa' is invalid", "2-letter"])],
    ),
    Case(
        "bad-visibility",
        BASE + "    visibility: public\n",
        [("10:17", ["visibility: 'public' is not valid", "expected one of pub, prv"])],
    ),
    Case(
        "same-old-name-in-two-audiences",
        BASE.replace("  Shop:\n", "  Shop:\n    renamed_from: Store\n")
        + BASE.replace(HEAD + "audiences:\n", "").replace("  Shop:\n", "  Outlet:\n")
        + "    renamed_from: [Store]\n",
        [
            (
                "16:20",
                [
                    "'Store' is in renamed_from of both audience 'Shop' (line 5)",
                    "and audience 'Outlet'",
                ],
            )
        ],
    ),
    # --- merge fields ---------------------------------------------------------------------
    Case(
        "eleven-character-merge-tag",
        BASE + "    merge_fields:\n      CUSTOMERTYP: {name: Customer type, type: text}\n",
        [("11:7", ["merge tag is too long (11 characters)", "at most 10"])],
    ),
    Case(
        "lowercase-merge-tag",
        BASE + "    merge_fields:\n      ctype: {name: Customer type, type: text}\n",
        [("11:7", ["merge tag 'ctype' is invalid", "uppercase letters, digits and underscores"])],
    ),
    Case(
        "bad-merge-type",
        BASE + "    merge_fields:\n      CTYPE: {name: Customer type, type: dropdwn}\n",
        [("11:42", ["type: 'dropdwn' is not valid", "imageurl", "did you mean 'dropdown'?"])],
    ),
    Case(
        "choices-on-a-text-field",
        BASE
        + "    merge_fields:\n      CTYPE:\n        name: Customer type\n        type: text\n"
        + "        options: {choices: [Dog owner]}\n",
        [("14:19", ["options.choices does not apply to merge field 'CTYPE' of type text"])],
    ),
    Case(
        "missing-choices-for-dropdown",
        BASE + "    merge_fields:\n      CTYPE: {name: Customer type, type: dropdown}\n",
        [("11:7", ["merge field 'CTYPE' of type dropdown needs options.choices"])],
    ),
    Case(
        "custom-merge-field-without-type",
        BASE + "    merge_fields:\n      CTYPE: {name: Customer type}\n",
        [("11:7", ["merge field 'CTYPE' needs a type", "only the default fields"])],
    ),
    Case(
        "email-declared-as-merge-field",
        BASE + "    merge_fields:\n      EMAIL: {name: Email}\n",
        [("11:7", ["EMAIL is the contact's email address", "not a merge field"])],
    ),
    Case(
        "renamed-tag-is-declared-too",
        BASE
        + "    merge_fields:\n      CTYPE: {name: Type, type: text}\n"
        + "      KIND: {name: Kind, type: text, renamed_from: CTYPE}\n",
        [
            (
                "12:52",
                [
                    "'CTYPE' in renamed_from of merge field 'KIND' is also declared as a merge "
                    "field (line 11)"
                ],
            )
        ],
    ),
    # --- interests ------------------------------------------------------------------------
    Case(
        "duplicate-interest",
        BASE + "    interest_categories:\n      Pets:\n        type: checkboxes\n"
        "        interests: [Dog, Cat, Dog]\n",
        [("13:31", ["interest 'Dog' is listed twice in category 'Pets' (first as item 1)"])],
    ),
    Case(
        "interest-renamed-from-a-declared-interest",
        BASE
        + "    interest_categories:\n      Pets:\n        type: checkboxes\n        interests:\n"
        + "          - Dog\n          - Hound: {renamed_from: [Dog]}\n",
        [("15:36", ["'Dog' in renamed_from of interest 'Hound' is also declared as an interest"])],
    ),
    Case(
        "bad-category-type",
        BASE + "    interest_categories:\n      Pets: {type: checkbox, interests: [Dog]}\n",
        [("11:20", ["'checkbox' is not valid", "did you mean 'checkboxes'?"])],
    ),
    # --- tags and segments ----------------------------------------------------------------
    Case(
        "segment-named-like-a-tag",
        BASE + GOLD + "    segments:\n      gold: {match: any, conditions: [{condition_type: VIP, "
        "op: member}]}\n",
        [("13:7", ["segment 'gold' has the name of tag 'Gold' (line 11)", "one namespace"])],
    ),
    Case(
        "tags-differing-only-by-case",
        BASE + GOLD + "      GOLD: {}\n",
        [("12:7", ["tag 'GOLD' differs from tag 'Gold' (line 11) only by case"])],
    ),
    Case(
        "tag-renamed-from-itself",
        BASE + "    tags:\n      Gold: {renamed_from: [Silver, Gold]}\n",
        [("11:37", ["tag 'Gold' lists its own name in renamed_from"])],
    ),
    Case(
        "bad-match",
        BASE + segment("{condition_type: VIP, op: member}", match="every"),
        [("12:16", ["segments.S.match: 'every' is not valid", "expected one of any, all"])],
    ),
    Case(
        "segment-without-conditions",
        BASE + "    segments:\n      S: {match: all, conditions: []}\n",
        [("11:35", ["segment 'S' needs at least one condition"])],
    ),
    # --- conditions -----------------------------------------------------------------------
    Case(
        "unknown-condition-type",
        BASE + segment("{condition_type: TextMerg, field: FNAME, op: is, value: Ann}"),
        [
            (
                "14:30",
                ["condition 1: unknown condition_type 'TextMerg'", "did you mean 'TextMerge'?"],
            )
        ],
    ),
    Case(
        "op-not-allowed-for-type",
        BASE + segment("{condition_type: StaticSegment, field: static_segment, op: is, value: 5}"),
        [("14:72", ["op 'is' is not allowed for StaticSegment", "allowed: static_is, static_not"])],
    ),
    Case(
        "unknown-merge-tag",
        BASE + segment("{condition_type: TextMerge, field: FNAM, op: is, value: Ann}"),
        [("14:48", ["unknown merge tag 'FNAM' in audience 'Shop'", "did you mean 'FNAME'?"])],
    ),
    Case(
        "merge-field-of-the-wrong-type",
        BASE + segment("{condition_type: SelectMerge, field: FNAME, op: is, value: a}"),
        [
            (
                "14:50",
                ["SelectMerge needs a radio or dropdown merge field", "'FNAME' is of type text"],
            )
        ],
    ),
    Case(
        "value-of-the-wrong-kind",
        BASE + segment("{condition_type: MemberRating, op: greater, value: [3]}"),
        [("14:64", ["the value of MemberRating must be a number, got a list"])],
    ),
    Case(
        "missing-required-keys",
        BASE + segment("{condition_type: StaticSegment}"),
        [("14:13", ["condition 1: StaticSegment needs the keys op, value"])],
    ),
    Case(
        "email-condition-on-another-field",
        BASE + segment("{condition_type: EmailAddress, field: email, op: contains, value: a}"),
        [("14:51", ["EmailAddress conditions test field EMAIL (or merge0), not 'email'"])],
    ),
    Case(
        "key-the-type-does-not-use",
        BASE + segment("{condition_type: TextMerge, field: FNAME, op: is, value: a, extra: b}"),
        [("14:73", ["key 'extra' is not used by TextMerge conditions"])],
    ),
    Case(
        "unknown-category-in-interests-condition",
        BASE
        + PETS
        + segment("{condition_type: Interests, field: Pet, op: interestcontains, value: [Dog]}"),
        [("16:48", ["unknown interest category 'Pet' in audience 'Shop'", "did you mean 'Pets'?"])],
    ),
    Case(
        "unknown-interest-in-interests-condition",
        BASE
        + PETS
        + segment("{condition_type: Interests, field: Pets, op: interestcontains, value: [Dgo]}"),
        [("16:84", ["unknown interest 'Dgo' in category 'Pets'", "did you mean 'Dog'?"])],
    ),
    Case(
        "unknown-tag-in-static-segment-condition",
        BASE + GOLD + segment("{condition_type: StaticSegment, op: static_is, value: Gld}"),
        [("16:67", ["unknown tag 'Gld' in audience 'Shop'", "did you mean 'Gold'?"])],
    ),
    Case(
        "misspelt-condition-key",
        BASE + segment("{condition_type: TextMerge, field: FNAME, op: is, valeu: a}"),
        [("14:63", ["unknown key 'valeu'", "conditions[0]", "did you mean 'value'?"])],
    ),
    Case(
        "birthday-not-mm-dd",
        BASE + segment("{condition_type: BirthdayMerge, field: BIRTHDAY, op: is, value: 25.12.}"),
        [("14:77", ["the value of BirthdayMerge must be month/day as mm/dd"])],
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_malformed_config_reports_each_issue_where_it_is(issues_of: IssuesOf, case: Case) -> None:
    issues = issues_of(case.text, case.environ)

    assert len(issues) == len(case.expected), "\n".join(issues)
    for issue, (where, words) in zip(issues, case.expected, strict=True):
        assert issue.startswith(f"espform.yaml:{where}: "), issue
        for word in words:
            assert word in issue, f"{word!r} not in {issue!r}"


def test_at_least_twenty_malformed_cases() -> None:
    assert len(CASES) >= 20


def test_every_problem_of_every_audience_is_reported_at_once(issues_of: IssuesOf) -> None:
    issues = issues_of(
        BASE
        + GOLD
        + segment(
            "{condition_type: StaticSegment, op: static_is, value: Gld}",
            "{condition_type: TextMerg, field: FNAME, op: is, value: Ann}",
        )
        + "  Other:\n    contact: 5\n"
    )

    assert [i.split(": ", 1)[0] for i in issues] == [
        "espform.yaml:16:67",
        "espform.yaml:17:30",
        "espform.yaml:18:3",
        "espform.yaml:18:3",
        "espform.yaml:18:3",
        "espform.yaml:19:14",
    ]
    assert "unknown tag 'Gld'" in issues[0]
    assert "unknown condition_type 'TextMerg'" in issues[1]
    assert "audiences.Other.contact: expected a mapping" in issues[5]
