"""Loops among rule-driven groups and tags are refused, once each, where they start."""

from __future__ import annotations

from rules_support import parsed

from reconciler.model import Location
from reconciler.rules import HasTag, InGroup, Not, find_cycles


def test_no_loop_no_issue() -> None:
    groups = {
        "Active": parsed({"status": "active"}),
        "Gold": parsed({"all": [{"in_group": "Active"}, {"in_group": "Partners"}]}),
        "Gold VIP": parsed({"all": [{"in_group": "Gold"}, {"has_tag": "vip"}]}),
    }
    # Partners is not rule-driven, and no tag is: references to them end the chain.
    assert find_cycles(groups) == []


def test_two_groups_referring_to_each_other() -> None:
    here = Location("espform.yaml", 7, 9)
    groups = {
        "B": Not(InGroup("A", Location("espform.yaml", 12, 9))),
        "A": InGroup("B", here),
    }
    (issue,) = find_cycles(groups)
    assert issue.location == here  # the reference that leaves the first group by name
    assert issue.message == (
        "rule-driven memberships depend on each other in a loop: "
        "group 'A' → group 'B' → group 'A'; membership would never settle, "
        "remove one of these references"
    )


def test_a_group_referring_to_itself() -> None:
    (issue,) = find_cycles({"Gold": parsed({"not": {"in_group": "gold"}})})
    assert issue.location == Location("rule.not", 1, 1)
    assert "the rule of group 'Gold' refers to group 'Gold' itself" in issue.message


def test_longer_loop_reported_once_across_groups_and_tags() -> None:
    groups = {
        "C": parsed({"has_tag": "t"}),
        "A": parsed({"any": [{"in_group": "B"}, {"status": "active"}]}),
        "B": parsed({"in_group": "C"}),
    }
    tags = {"t": parsed({"all": [{"in_group": "A"}]}), "other": parsed({"in_group": "A"})}
    (issue,) = find_cycles(groups, tags)
    assert "group 'A' → group 'B' → group 'C' → tag 't' → group 'A'" in issue.message
    assert issue.location == Location("rule.any[0]", 1, 1)


def test_groups_and_tags_of_the_same_name_are_different() -> None:
    assert find_cycles({"vip": HasTag("vip")}, {"vip": InGroup("other")}) == []
    (issue,) = find_cycles({"vip": HasTag("vip")}, {"vip": InGroup("VIP")})
    assert "group 'vip' → tag 'vip' → group 'vip'" in issue.message


def test_separate_loops_are_each_reported() -> None:
    groups = {
        "A": InGroup("B"),
        "B": InGroup("A"),
        "C": InGroup("C"),
        "D": InGroup("A"),  # leads into a loop without being part of one
    }
    issues = find_cycles(groups)
    assert len(issues) == 2
    assert "group 'A' → group 'B' → group 'A'" in issues[0].message
    assert "group 'C'" in issues[1].message


def test_long_chains_do_not_exhaust_the_stack() -> None:
    groups = {f"g{i}": InGroup(f"g{i + 1}") for i in range(5000)}
    assert find_cycles(groups) == []
    groups["g5000"] = InGroup("g0")
    (issue,) = find_cycles(groups)
    assert issue.message.count("→") == 5001
