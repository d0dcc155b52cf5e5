"""Malformed config files: each reports exactly these issues, at these places.

Every case lists its expected issues in order as (`line:col`, key words of the message).
Lines and columns are 1-based, as editors show them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from config_support import IssuesOf

HEAD = """\
provider:
  type: mailerlite
  token: ${env:MAILERLITE_API_TOKEN}
"""


@dataclass(frozen=True)
class Case:
    id: str
    text: str
    expected: list[tuple[str, list[str]]]
    environ: dict[str, str] | None = field(default=None)


CASES = [
    Case(
        "yaml-syntax-error",
        HEAD + "groups:\n  Partners: {renamed_from: [Gold, Silver}\n",
        [("5:41", ["YAML syntax error", "expected ',' or ']'"])],
    ),
    Case(
        "yaml-mapping-value-not-allowed",
        "provider:\n  type: mailerlite: x\n",
        [("2:19", ["YAML syntax error", "mapping values are not allowed here"])],
    ),
    Case(
        "several-documents",
        HEAD + "---\ngroups: {}\n",
        [("4:1", ["YAML syntax error", "another document"])],
    ),
    Case(
        "duplicate-key",
        HEAD + "groups:\n  Partners: {}\n  Active Partners: {}\n  Partners: {renamed_from: Old}\n",
        [("7:3", ["duplicate key 'Partners'", "first defined at line 5"])],
    ),
    Case(
        "unknown-top-level-key",
        HEAD + "group:\n  Partners: {}\n",
        [
            (
                "4:1",
                [
                    "unknown top-level key 'group'",
                    "allowed keys: provider, settings, fields, groups, segments",
                    "did you mean 'groups'?",
                ],
            )
        ],
    ),
    Case(
        "unknown-provider-type",
        "provider:\n  type: mailerlight\n  token: ${env:MAILERLITE_API_TOKEN}\n",
        [
            (
                "2:9",
                [
                    "unknown provider type 'mailerlight'",
                    "expected one of mailchimp, mailerlite",
                    "did you mean 'mailerlite'?",
                ],
            )
        ],
    ),
    Case(
        "missing-provider-section",
        "groups:\n  Partners: {}\n",
        [("1:1", ["missing required section 'provider'", "type: mailerlite"])],
    ),
    Case(
        "missing-provider-type",
        "provider:\n  token: ${env:MAILERLITE_API_TOKEN}\n",
        [("1:1", ["provider: missing required key 'type'", "mailerlite"])],
    ),
    Case(
        "provider-not-a-mapping",
        "provider: mailerlite\n",
        [("1:11", ["provider: expected a mapping", "got a string"])],
    ),
    Case(
        "missing-token-without-sandbox",
        "provider:\n  type: mailerlite\ngroups:\n  Partners: {}\n",
        [
            (
                "1:1",
                [
                    "a token is required unless `sandbox` is set",
                    "token: ${env:MAILERLITE_API_TOKEN}",
                ],
            )
        ],
    ),
    Case(
        "literal-token-in-clear",
        "provider:\n  type: mailerlite\n  token: mlsk_live_7f3a9c2e1b8d4f60\n",
        [
            (
                "3:10",
                [
                    "provider.token must not be written in clear",
                    "token: ${env:MAILERLITE_API_TOKEN}",
                ],
            )
        ],
    ),
    Case(
        "literal-token-around-reference",
        "provider:\n  type: mailerlite\n  token: Bearer ${env:MAILERLITE_API_TOKEN}\n",
        [("3:10", ["provider.token must not be written in clear"])],
    ),
    Case(
        "missing-env-var",
        HEAD,
        [("3:10", ["environment variable MAILERLITE_API_TOKEN is not set"])],
        environ={},
    ),
    Case(
        "empty-env-var",
        HEAD,
        [("3:10", ["provider.token is empty", "MAILERLITE_API_TOKEN is set but empty"])],
        environ={"MAILERLITE_API_TOKEN": ""},
    ),
    Case(
        "empty-literal-token",
        "provider:\n  type: mailerlite\n  token: ''\n",
        [("3:10", ["provider.token is empty", "token: ${env:MAILERLITE_API_TOKEN}"])],
    ),
    Case(
        "unquoted-reference-in-flow-mapping",
        "provider: {type: mailerlite, token: ${env:MAILERLITE_API_TOKEN}}\n",
        [("1:38", ["YAML syntax error", "quote references inside { } or [ ]"])],
    ),
    Case(
        "missing-secret-file",
        "provider:\n  type: mailerlite\n  token: ${file:secrets/token.txt}\n",
        [("3:10", ["secret file 'secrets/token.txt' not found"])],
    ),
    Case(
        "unknown-reference-scheme",
        HEAD + "fields:\n  tier:\n    type: text\n    name: ${vault:tier}\n",
        [("7:11", ["unknown reference '${vault:tier}'", "${env:NAME} or ${file:PATH}"])],
    ),
    Case(
        "unterminated-reference",
        HEAD + "fields:\n  tier: {type: text, name: '${env:TIER'}\n",
        [("5:28", ["unterminated '${'"])],
    ),
    Case(
        "bad-base-url",
        HEAD + "  base_url: connect.mailerlite.com\n",
        [("4:13", ["provider.base_url", "'connect.mailerlite.com' is invalid", "http(s) URL"])],
    ),
    Case(
        "bad-field-type",
        HEAD + "fields:\n  status: {type: txt}\n",
        [
            (
                "5:18",
                [
                    "fields.status.type: 'txt' is not valid",
                    "expected one of text, number, date",
                    "did you mean 'text'?",
                ],
            )
        ],
    ),
    Case(
        "missing-field-type",
        HEAD + "fields:\n  partner_key: {name: Partner key}\n  tier:\n",
        [
            ("5:3", ["custom field 'partner_key' needs a type: text, number or date"]),
            ("6:3", ["custom field 'tier' needs a type"]),
        ],
    ),
    Case(
        "invalid-field-key",
        HEAD + "fields:\n  Partner Key: {type: text}\n",
        [
            (
                "5:3",
                ["field key 'Partner Key' is invalid", "lowercase letters, digits and underscores"],
            )
        ],
    ),
    Case(
        "builtin-field-non-text",
        HEAD + "fields:\n  country: {name: Country of residence, type: number}\n",
        [("5:47", ["built-in field 'country' is always of type text"])],
    ),
    Case(
        "duplicate-field-names",
        HEAD
        + "fields:\n  tier: {name: Partner tier, type: text}\n"
        + "  level: {name: Partner tier, type: text}\n",
        [
            (
                "6:17",
                [
                    "field name 'Partner tier' is already used by field 'tier' (line 5)",
                    "unique field names",
                ],
            )
        ],
    ),
    Case(
        "over-long-group-name",
        HEAD + "groups:\n  " + "x" * 256 + ": {}\n",
        [("5:3", ["group name is too long (256 characters)", "at most 255"])],
    ),
    Case(
        "empty-group-name",
        HEAD + 'groups:\n  "": {}\n',
        [("5:3", ["group name must not be empty"])],
    ),
    Case(
        "non-string-group-name",
        HEAD + "groups:\n  2024: {}\n",
        [
            (
                "5:3",
                ["group name must be a string, got an integer", 'quote it to make it text: "2024"'],
            )
        ],
    ),
    Case(
        "renamed-from-is-declared-group",
        HEAD + "groups:\n  Gold: {}\n  Gold Partners: {renamed_from: [Gold]}\n",
        [
            (
                "6:34",
                [
                    "'Gold' in renamed_from of group 'Gold Partners' is also declared as a group",
                    "(line 5)",
                ],
            )
        ],
    ),
    Case(
        "same-old-name-in-two-groups",
        HEAD
        + "groups:\n  Gold Partners: {renamed_from: [Gold]}\n"
        + "  Premium Partners:\n    renamed_from: Gold\n",
        [
            (
                "7:19",
                [
                    "'Gold' is in renamed_from of both group 'Gold Partners' (line 5)",
                    "and group 'Premium Partners'",
                ],
            )
        ],
    ),
    Case(
        "same-old-name-twice-in-one-segment",
        HEAD + "segments:\n  Engaged: {renamed_from: [Openers, Openers]}\n",
        [("5:37", ["'Openers' is listed twice in renamed_from of segment 'Engaged'"])],
    ),
    Case(
        "renamed-from-own-name",
        HEAD + "segments:\n  Engaged: {renamed_from: Engaged}\n",
        [("5:27", ["segment 'Engaged' lists its own name in renamed_from"])],
    ),
    Case(
        "renamed-from-not-a-string",
        HEAD + "groups:\n  Partners: {renamed_from: [1]}\n",
        [("5:29", ["groups.Partners.renamed_from[0]: expected a string, got an integer"])],
    ),
    Case(
        "list-where-mapping-expected",
        HEAD + "groups:\n  - Partners\n  - Active Partners\n",
        [("5:3", ["groups: expected a mapping keyed by group name, got a list"])],
    ),
    Case(
        "list-as-group-entry",
        HEAD + "groups:\n  Partners: [Gold]\n",
        [("5:13", ["groups.Partners: expected a mapping with the keys renamed_from", "a list"])],
    ),
    Case(
        "int-where-bool-expected",
        HEAD + "settings:\n  prune: {groups: 1}\n",
        [("5:19", ["settings.prune.groups: expected true or false, got an integer"])],
    ),
    Case(
        "unknown-key-inside-group",
        HEAD + "groups:\n  Gold Partners: {renamed_form: [Gold]}\n",
        [
            (
                "5:19",
                [
                    """unknown key 'renamed_form' in groups["Gold Partners"]""",
                    "allowed keys: renamed_from",
                    "did you mean 'renamed_from'?",
                ],
            )
        ],
    ),
    Case(
        "bad-ignore-type",
        HEAD + "settings:\n  ignore: Imported *\n",
        [("5:11", ["settings.ignore: expected a list of ignore patterns, got a string"])],
    ),
    Case(
        "prune-unknown-kind",
        HEAD + "settings:\n  prune:\n    groups: true\n    tags: true\n",
        [
            (
                "7:5",
                ["unknown key 'tags' in settings.prune", "allowed keys: fields, groups, segments"],
            )
        ],
    ),
    Case(
        "unsupported-tag",
        HEAD + "fields:\n  tier: {type: text, name: !secret Tier}\n",
        [("5:28", ["unsupported YAML tag !secret"])],
    ),
    Case(
        "empty-file",
        "",
        [("1:1", ["the config file is empty", "provider"])],
    ),
    Case(
        "comments-only-file",
        "# espform config\n# nothing yet\n",
        [("1:1", ["the config file is empty"])],
    ),
    Case(
        "root-is-a-list",
        "- provider\n- groups\n",
        [("1:1", ["the config must be a mapping of sections", "got a list"])],
    ),
    Case(
        "several-errors-sorted",
        HEAD
        + "segments:\n  Engaged: {renamed_from: [Engaged]}\n"
        + "groups:\n  Partners: {rules: x}\n"
        + "fields:\n  total_sales: {type: numbr}\n"
        + "settings:\n  prune: {groups: yes}\n",
        [
            ("3:10", ["environment variable MAILERLITE_API_TOKEN is not set"]),
            ("5:28", ["segment 'Engaged' lists its own name in renamed_from"]),
            ("7:14", ["unknown key 'rules' in groups.Partners", "did you mean 'rule'?"]),
            ("9:23", ["'numbr' is not valid", "did you mean 'number'?"]),
            ("11:19", ["settings.prune.groups: expected true or false, got a string"]),
        ],
        environ={},
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


def test_duplicates_are_all_reported_with_other_errors(issues_of: IssuesOf) -> None:
    issues = issues_of(
        HEAD
        + "groups:\n  A: {}\n  A: {}\n"
        + "fields:\n  tier: {type: txt}\n  tier: {type: text}\n"
    )

    assert issues == [
        "espform.yaml:6:3: duplicate key 'A' (first defined at line 5); "
        "a key may appear only once in a mapping",
        "espform.yaml:8:16: fields.tier.type: 'txt' is not valid; "
        "expected one of text, number, date; did you mean 'text'?",
        "espform.yaml:9:3: duplicate key 'tier' (first defined at line 8); "
        "a key may appear only once in a mapping",
    ]


def test_one_bad_section_does_not_hide_checks_of_the_others(issues_of: IssuesOf) -> None:
    issues = issues_of(
        HEAD
        + "settings: {prune: {tags: true}}\n"
        + "fields:\n  a: {name: Tier, type: text}\n  b: {name: Tier, type: text}\n"
    )

    assert [i.split(": ", 1)[0] for i in issues] == ["espform.yaml:4:20", "espform.yaml:7:13"]
    assert "unknown key 'tags'" in issues[0]
    assert "field name 'Tier' is already used by field 'a'" in issues[1]


def test_one_bad_entry_does_not_hide_checks_of_its_siblings(issues_of: IssuesOf) -> None:
    issues = issues_of(
        HEAD
        + "groups:\n  Partners: {rules: x}\n  Gold: {}\n  Gold Partners: {renamed_from: Gold}\n"
    )

    assert [i.split(": ", 1)[0] for i in issues] == ["espform.yaml:5:14", "espform.yaml:7:33"]
    assert "unknown key 'rules'" in issues[0]
    assert "'Gold' in renamed_from of group 'Gold Partners' is also declared" in issues[1]
