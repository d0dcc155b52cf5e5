"""`groups.NAME.rule` in a MailerLite config: read with the rule language, checked
against the file's fields and groups, every problem at its `file:line:col`."""

from __future__ import annotations

from config_support import IssuesOf, Load

from reconciler.model import Group
from reconciler.rules import FieldPredicate, InGroup, StatusPredicate, to_data

HEAD = "provider: {type: mailerlite, token: '${env:MAILERLITE_API_TOKEN}'}\n"
FIELDS = "fields:\n  tier: {type: text}\n  total_sales: {type: number}\n  joined: {type: date}\n"


def test_a_rule_is_carried_on_its_group_and_groups_without_one_have_none(load: Load):
    config = load(
        HEAD
        + FIELDS
        + "groups:\n"
        + "  Partners: {}\n"
        + "  Active Partners:\n    rule: {all: [{in_group: Partners}, {status: active}]}\n"
        + "  Gold:\n    renamed_from: Gold Tier\n    rule: {field: tier, equals: gold}\n"
    )
    groups = {g.key: g for g in config.desired if isinstance(g, Group)}
    assert groups["Partners"].rule is None
    assert to_data(groups["Active Partners"].rule) == {
        "all": [{"in_group": "Partners"}, {"status": "active"}]
    }
    gold = groups["Gold"].rule
    assert isinstance(gold, FieldPredicate) and gold.value == "gold"
    assert groups["Gold"].renamed_from == ("Gold Tier",)
    # Rule nodes know where they were written.
    assert str(gold.location) == "espform.yaml:12:11"
    # The rule is not an attribute the engine compares with the account.
    assert "rule" not in groups["Gold"].attributes()


def test_the_catalog_has_declared_fields_with_their_types_and_the_builtins(load: Load):
    config = load(HEAD + FIELDS + "groups:\n  G:\n    rule: {field: city, equals: Berlin}\n")
    catalog = config.catalogs[None]
    assert catalog.lookup("total_sales").type == "number"
    assert catalog.lookup("joined").type == "date"
    # Built-in fields need no declaration, and are text.
    for key in ("name", "last_name", "company", "country", "city", "phone", "state", "z_i_p"):
        assert catalog.lookup(key).type == "text", key
    assert catalog.groups == frozenset({"G"})
    assert catalog.provider == "mailerlite"


def test_status_and_in_group_parse_into_their_nodes(load: Load):
    config = load(
        HEAD + "groups:\n  A: {}\n  B:\n    rule: {any: [{status: [active, unconfirmed]}, "
        "{in_group: a}]}\n"
    )
    (rule,) = [g.rule for g in config.desired if isinstance(g, Group) and g.rule]
    first, second = rule.items
    assert isinstance(first, StatusPredicate) and first.statuses == ("active", "unconfirmed")
    assert isinstance(second, InGroup) and second.name == "a"  # names ignore case


def test_every_rule_problem_is_reported_where_it_is_written(issues_of: IssuesOf):
    issues = issues_of(
        HEAD
        + FIELDS
        + "groups:\n"  # 6
        + "  Gold:\n"
        + "    rule:\n"
        + "      all:\n"
        + "        - {field: tier, equalz: gold}\n"  # 10: unknown operator
        + "  Silver:\n"
        + "    rule: {field: tiers, equals: silver}\n"  # 12: unknown field
        + "  Big:\n"
        + '    rule: {field: total_sales, gte: "5000"}\n'  # 14: a number in quotes
        + "  Recent:\n"
        + "    rule: {field: tier, before: 2024-01-01}\n"  # 16: a date operator on text
        + "  Lost:\n"
        + "    rule: {in_group: Nowhere}\n"  # 18: unknown group
        + "  Gone:\n"
        + "    rule: {status: archived}\n"  # 20: not a MailerLite status
    )
    assert [i.split(": ", 1)[0] for i in issues] == [
        "espform.yaml:10:25",
        "espform.yaml:12:11",
        "espform.yaml:14:11",
        "espform.yaml:16:11",
        "espform.yaml:18:11",
        "espform.yaml:20:11",
    ]
    assert "unknown operator 'equalz'; did you mean 'equals'?" in issues[0]
    assert "unknown field 'tiers'; did you mean 'tier'?" in issues[1]
    assert "write it without quotes" in issues[2]
    assert "before does not apply to text field 'tier'" in issues[3]
    assert "unknown group 'Nowhere'" in issues[4]
    assert "status 'archived' does not exist on MailerLite" in issues[5]


def test_has_tag_is_refused_on_mailerlite_with_a_hint(issues_of: IssuesOf):
    (issue,) = issues_of(HEAD + "groups:\n  VIP: {}\n  G:\n    rule: {has_tag: VIP}\n")
    assert issue.startswith("espform.yaml:5:11: ")
    assert "MailerLite has no tags" in issue
    assert "{in_group: VIP}" in issue


def test_rule_driven_groups_that_depend_on_each_other_in_a_loop_are_refused(
    issues_of: IssuesOf,
):
    (issue,) = issues_of(
        HEAD
        + "groups:\n"
        + "  A:\n    rule: {in_group: B}\n"
        + "  B:\n    rule: {not: {in_group: A}}\n"
    )
    assert issue.startswith("espform.yaml:4:11: ")
    assert "group 'A' → group 'B' → group 'A'" in issue


def test_a_rule_that_is_not_a_mapping_is_explained(issues_of: IssuesOf):
    (issue,) = issues_of(HEAD + "groups:\n  G: {rule: gold}\n")
    assert issue.startswith("espform.yaml:3:13: ")
    assert "expected a rule such as {field: tier, equals: gold}, got a string" in issue


def test_membership_safety_settings_are_read(load: Load, issues_of: IssuesOf):
    config = load(
        HEAD + "settings:\n  max_membership_change_percent: 250\n  membership_min_members: 20\n"
    )
    assert config.settings.max_membership_change_percent == 250
    assert config.settings.membership_min_members == 20
    assert load(HEAD).settings.max_membership_change_percent == 30
    assert load(HEAD).settings.membership_min_members == 100
    (issue,) = issues_of(HEAD + "settings:\n  max_membership_change_percent: -5\n")
    assert issue.startswith("espform.yaml:3:34: ")
    assert "settings.max_membership_change_percent" in issue
