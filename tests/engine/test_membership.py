"""The membership planner: only differences, renamed and new targets, rules that use
other rule-driven groups, the statuses policy, and memory that grows with changes."""

from __future__ import annotations

import datetime as dt
import gc
import weakref
from collections.abc import Iterator

import pytest

from reconciler.engine import diff
from reconciler.engine.membership import (
    Member,
    MemberRef,
    MembershipChange,
    MembershipPlanner,
    RuleTarget,
)
from reconciler.engine.plan import Plan
from reconciler.engine.rule_targets import renames_in, rule_targets
from reconciler.engine.safety import Census, Rule, check
from reconciler.engine.target import select
from reconciler.model import Address, Audience, Capabilities, Group, Settings, State, Tag
from reconciler.rules import Catalog, SubscriberView, parse

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
CAPS = Capabilities(
    kinds=frozenset({"group"}),
    creatable=frozenset({"group"}),
    renamable=frozenset({"group"}),
    deletable=frozenset({"group"}),
)


def address(name: str) -> Address:
    return Address.of("mailerlite", "group", name)


def rule(data: object):
    parsed, issues = parse(data)
    assert not issues, issues
    return parsed


def target(name: str, data: object, remote: str | None = "", catalog: Catalog | None = None):
    return RuleTarget(address(name), rule(data), name if remote == "" else remote, catalog)


def member(
    n: int, status: str = "active", groups: tuple[str, ...] = (), **fields: object
) -> Member:
    return Member(str(n), SubscriberView(f"m{n}@example.test", status, fields, frozenset(groups)))


def planned(targets: list[RuleTarget], members: list[Member], **options) -> dict[str, tuple]:
    """{group name: (ids added, ids removed, current size)} for groups that change."""
    planner = MembershipPlanner(targets, NOW, **options)
    planner.feed(members)
    return {
        c.address.name: (
            sorted(r.id for r in c.add),
            sorted(r.id for r in c.remove),
            c.current_size,
        )
        for c in planner.changes()
    }


GOLD = {"field": "tier", "equals": "gold"}


def test_only_members_that_differ_are_added_or_removed():
    members = [
        member(1, groups=("Gold",), tier="gold"),  # in, matches: left alone
        member(2, groups=("Gold", "Other"), tier="silver"),  # in, no match: removed
        member(3, tier=" GOLD "),  # out, matches (text ignores case and spaces): added
        member(4, tier="bronze"),  # out, no match: left alone
        member(5, groups=("Other",)),  # no tier at all: left alone
    ]
    assert planned([target("Gold", GOLD)], members) == {"Gold": (["3"], ["2"], 2)}


def test_a_target_without_differences_is_not_listed():
    members = [member(1, groups=("Gold",), tier="gold"), member(2, tier="silver")]
    assert planned([target("Gold", GOLD)], members) == {}


def test_a_renamed_target_is_matched_under_its_old_remote_name():
    renamed = target("Gold Partners", GOLD, remote="Gold")
    members = [
        member(1, groups=("Gold",), tier="gold"),  # already in, under the old name
        member(2, groups=("Gold",), tier="silver"),
        member(3, tier="gold"),
    ]
    assert planned([renamed], members) == {"Gold Partners": (["3"], ["2"], 2)}


def test_a_new_target_has_no_members_so_every_match_is_an_addition():
    new = target("Gold", GOLD, remote=None)
    # A remote group of the same name cannot count: the target does not exist yet.
    members = [member(1, groups=("Gold",), tier="gold"), member(2, tier="gold"), member(3)]
    assert planned([new], members) == {"Gold": (["1", "2"], [], 0)}


def test_in_group_of_a_rule_driven_group_sees_its_planned_members_in_any_order():
    active = target("Active", {"status": "active"})
    gold = target("Active Gold", {"all": [{"in_group": "Active"}, GOLD]})
    members = [
        # Still in Active remotely but unsubscribed now: leaves Active, so Active Gold too.
        member(1, "unsubscribed", ("Active", "Active Gold"), tier="gold"),
        # Active now but not yet in Active: joins both in the same plan.
        member(2, "active", (), tier="gold"),
        member(3, "active", ("Active",), tier="silver"),
    ]
    expected = {"Active": (["2"], ["1"], 2), "Active Gold": (["2"], ["1"], 1)}
    # Declared after the group it refers to, or before it: the same plan.
    assert planned([active, gold], members) == expected
    assert planned([gold, active], members) == expected


def test_in_group_of_a_renamed_group_reads_members_under_the_old_name():
    vip = target("VIP Gold", {"all": [{"in_group": "VIP"}, GOLD]})
    members = [member(1, groups=("Very Important",), tier="gold"), member(2, tier="gold")]
    assert planned([vip], members, renames={"Very Important": "VIP"}) == {
        "VIP Gold": (["1"], [], 0)
    }
    # Without the rename the rule would not know the group by its new name.
    assert planned([vip], members) == {}


def test_a_loop_between_targets_is_refused():
    a = target("A", {"in_group": "B"})
    b = target("B", {"not": {"in_group": "A"}})
    with pytest.raises(ValueError, match="loop"):
        MembershipPlanner([a, b], NOW)


def test_every_status_counts_unless_the_rule_names_one():
    members = [
        member(1, "unsubscribed", tier="gold"),  # matches: added, though unsubscribed
        member(2, "bounced", ("Gold",), tier="silver"),  # no match: removed
        member(3, "junk", ("Gold",), tier="gold"),  # matches: stays
        member(4, "unconfirmed", tier="gold"),
    ]
    assert planned([target("Gold", GOLD)], members) == {"Gold": (["1", "4"], ["2"], 2)}
    active_gold = target("Gold", {"all": [{"status": "active"}, GOLD]})
    assert planned([active_gold], members) == {"Gold": ([], ["2", "3"], 2)}


def test_statuses_outside_a_narrowed_policy_are_counted_but_left_alone():
    members = [
        member(1, "archived", ("Gold",), tier="silver"),
        member(2, "archived", tier="gold"),
        member(3, "active", ("Gold",), tier="silver"),
    ]
    result = planned([target("Gold", GOLD)], members, statuses={"active", "unsubscribed"})
    assert result == {"Gold": ([], ["3"], 2)}


def test_field_types_from_the_catalog_decide_how_values_compare():
    joined = {"field": "joined", "equals": "2024-05-01"}
    members = [member(1, joined="2024-05-01 10:30:00"), member(2, joined="2024-05-02")]
    as_text = target("New", joined, remote=None)
    as_date = target("New", joined, remote=None, catalog=Catalog(fields={"joined": "date"}))
    assert planned([as_text], members) == {}  # compared as text, a timestamp is not a date
    assert planned([as_date], members) == {"New": (["1"], [], 0)}


def test_within_days_is_evaluated_against_the_given_now():
    recent = target("Recent", {"field": "joined", "within_days": 30}, remote=None)
    catalog = Catalog(fields={"joined": "date"})
    recent = RuleTarget(recent.address, recent.rule, None, catalog)
    members = [member(1, joined="2026-02-15"), member(2, joined="2026-01-15")]
    assert planned([recent], members) == {"Recent": (["1"], [], 0)}


def _stream(count: int, changed_every: int) -> Iterator[list[Member]]:
    """`count` members in pages of 1000, where two in `changed_every` differ: a gold one
    outside the group and a silver one inside it."""
    page: list[Member] = []
    for n in range(count):
        in_group = n % changed_every > 1
        tier = "gold" if n % 2 == 0 else "silver"
        groups = ("Gold",) if (tier == "gold") == in_group else ()
        page.append(member(n, groups=groups, tier=tier))
        if len(page) == 1000:
            yield page
            page = []
    if page:
        yield page


def test_memory_holds_the_changes_and_never_the_members():
    planner = MembershipPlanner([target("Gold", GOLD)], NOW)
    watched: list[weakref.ref[Member]] = []
    for number, page in enumerate(_stream(200_000, changed_every=10_000)):
        if number % 20 == 0:
            watched += [weakref.ref(m) for m in page[::100]]
        planner.feed(page)
        # What the planner holds is what differs so far, nothing more.
        assert planner.pending == 2 * ((number * 1000) // 10_000 + 1)
        del page
    gc.collect()
    assert planner.members_seen == 200_000
    assert planner.pending == 40
    assert watched and all(ref() is None for ref in watched)
    (change,) = planner.changes()
    assert {r.id for r in change.add} == {str(n) for n in range(0, 200_000, 10_000)}
    assert {r.id for r in change.remove} == {str(n + 1) for n in range(0, 200_000, 10_000)}
    assert change.current_size == 100_000


# --- From a structural plan to targets -----------------------------------------------


def test_rule_targets_follow_the_structural_plan():
    gold, silver = rule(GOLD), rule({"field": "tier", "equals": "silver"})
    desired = State(
        "mailerlite",
        [
            Group(address=address("Gold Partners"), renamed_from=("Gold",), rule=gold),
            Group(address=address("Silver"), rule=silver),
            Group(address=address("Bronze"), rule=silver),
            Group(address=address("Manual")),
        ],
    )
    observed = State(
        "mailerlite",
        [Group(address=address(n), id=str(i)) for i, n in enumerate(["Gold", "Bronze", "Manual"])],
    )
    plan = diff(desired, observed, Settings(), CAPS)
    catalog = Catalog(fields={"tier": "text"})
    targets = rule_targets(desired, plan, {None: catalog})
    assert [(t.address.name, t.remote_name) for t in targets] == [
        ("Gold Partners", "Gold"),
        ("Silver", None),
        ("Bronze", "Bronze"),
    ]
    assert all(t.catalog is catalog for t in targets)
    assert renames_in(plan, None) == {"Gold": "Gold Partners"}


def _change(name: str, add: int, remove: int, size: int) -> MembershipChange:
    refs = [MemberRef(str(n), f"m{n}@example.test") for n in range(add + remove)]
    return MembershipChange(address(name), refs[:add], refs[add:], size)


def test_summary_counts_membership_and_it_alone_is_a_change():
    plan = Plan("mailerlite", membership=[_change("A", 1200, 4, 10), _change("B", 4, 33, 50)])
    assert plan.has_changes
    assert plan.summary() == (
        "Plan: 0 to create, 0 to update, 0 to delete. Membership: +1,204 -37 in 2 groups."
    )
    assert not Plan("mailerlite").has_changes


def test_large_membership_changes_and_emptying_a_group_need_force():
    settings = Settings()
    census = Census.of(State("mailerlite"), settings)
    plan = Plan(
        "mailerlite",
        membership=[
            _change("Small", 50, 0, 20),  # under 100 members: any share goes
            _change("Steady", 20, 10, 100),  # 30%: at the limit, allowed
            _change("Typo", 0, 31, 100),  # 31%: refused
            _change("Flood", 500, 0, 1000),  # growing by half: refused
            _change("Emptied", 0, 3, 3),  # the last members leave: refused at any size
            _change("New", 80_000, 0, 0),  # a new group has nothing to lose
        ],
    )
    violations = check(plan, census, settings)
    assert [(v.rule, v.address.name) for v in violations] == [
        (Rule.MAX_MEMBERSHIP_CHANGE_PERCENT, "Typo"),
        (Rule.MAX_MEMBERSHIP_CHANGE_PERCENT, "Flood"),
        (Rule.EMPTIES_GROUP, "Emptied"),
    ]
    assert "31 of its 100 members would change (+0 -31, 31%)" in violations[0].message
    assert "--force" in violations[0].message
    assert check(plan, census, settings, force=True) == []
    relaxed = Settings(max_membership_change_percent=60, membership_min_members=10)
    assert [v.address.name for v in check(plan, census, relaxed)] == ["Small", "Emptied"]


def test_target_selects_membership_and_brings_the_group_creation_along():
    desired = State(
        "mailerlite",
        [Group(address=address("Gold"), rule=rule(GOLD)), Group(address=address("Other"))],
    )
    plan = diff(desired, State("mailerlite"), Settings(), CAPS)
    plan.membership = [_change("Gold", 3, 0, 0)]
    narrowed = select(plan, [address("Gold")])
    assert [c.address.name for c in narrowed.changes] == ["Gold"]
    assert [m.address.name for m in narrowed.membership] == ["Gold"]
    other = select(plan, [address("Other")])
    assert [c.address.name for c in other.changes] == ["Other"]
    assert other.membership == []


def test_a_tag_in_a_renamed_audience_is_scanned_under_the_audiences_old_address() -> None:
    old = Address.of("mailchimp", "audience", "Shop")
    new = Address.of("mailchimp", "audience", "Store")
    caps = Capabilities(
        kinds=frozenset({"audience", "tag"}),
        creatable=frozenset({"audience", "tag"}),
        renamable=frozenset({"audience", "tag"}),
        deletable=frozenset({"audience", "tag"}),
    )
    desired = State(
        "mailchimp",
        [
            Audience(address=new, renamed_from=("Shop",)),
            Tag(address=new.child("tag", "Regular"), rule=rule({"field": "VISITS", "gte": 5})),
            Tag(address=new.child("tag", "Fresh"), rule=rule({"field": "VISITS", "lt": 1})),
        ],
    )
    observed = State(
        "mailchimp",
        [Audience(address=old, id="L1"), Tag(address=old.child("tag", "Regular"), id="7")],
    )
    plan = diff(desired, observed, Settings(), caps)

    regular, fresh = rule_targets(desired, plan)
    assert (regular.scope, regular.scan_scope, regular.remote_name) == (new, old, "Regular")
    assert (fresh.scope, fresh.scan_scope, fresh.remote_name) == (new, old, None)
    # An audience the plan does not rename is scanned where it is.
    same = State(
        "mailchimp",
        [
            Audience(address=old),
            Tag(address=old.child("tag", "Regular"), rule=rule({"field": "VISITS", "gte": 5})),
        ],
    )
    (kept,) = rule_targets(same, diff(same, observed, Settings(), caps))
    assert (kept.scope, kept.scan_scope, kept.remote_scope) == (old, old, None)
