"""Safety checks on hand-built plans: protection, thresholds, their defaults and --force."""

from __future__ import annotations

from reconciler.engine import diff
from reconciler.engine.plan import Plan
from reconciler.engine.safety import Census, Rule, Violation, check, describe_scope
from reconciler.model import (
    Address,
    Audience,
    Capabilities,
    Field,
    Glob,
    Group,
    Location,
    MergeField,
    Settings,
    State,
    Threshold,
)

CAPS = Capabilities(
    kinds=frozenset({"field", "group"}),
    creatable=frozenset({"field", "group"}),
    renamable=frozenset({"group"}),
    deletable=frozenset({"field", "group"}),
)
MC_CAPS = Capabilities(
    kinds=frozenset({"audience", "merge_field"}),
    creatable=frozenset({"audience", "merge_field"}),
    renamable=frozenset({"audience", "merge_field"}),
    deletable=frozenset({"audience", "merge_field"}),
)
WHERE = Location("espform.yaml", 4, 13)


def group(name: str, id: str | None = None) -> Group:
    return Group(address=Address.of("mailerlite", "group", name), id=id)


def groups(count: int) -> list[Group]:
    return [group(f"G{n:02d}", id=str(n)) for n in range(count)]


def checked(
    desired: list, observed: list, settings: Settings, *, force: bool = False
) -> tuple[Plan, list[Violation]]:
    want, have = State("mailerlite", desired), State("mailerlite", observed)
    plan = diff(want, have, settings, CAPS)
    return plan, check(plan, Census.of(have, settings), settings, force=force)


PRUNE = Settings(prune=frozenset({"group", "field"}))


def test_deleting_more_than_30_percent_of_12_groups_is_refused_unless_forced():
    observed = groups(12)
    plan, violations = checked(observed[:7], observed, PRUNE)
    assert len(plan.changes) == 5
    (violation,) = violations
    assert violation.rule is Rule.MAX_DELETE_PERCENT
    assert (violation.count, violation.total) == (5, 12)
    assert round(violation.percent, 1) == 41.7
    assert violation.limit is not None and violation.limit.percent == 30
    assert "groups: 5 of 12 (41.7%) would be deleted" in violation.message
    assert "30% allowed by the default max_delete_percent" in violation.message
    assert "--force" in violation.message and "max_delete_percent: {groups: 50}" in (
        violation.message
    )
    assert checked(observed[:7], observed, PRUNE, force=True)[1] == []


def test_at_the_threshold_is_allowed():
    observed = groups(10)
    _, violations = checked(observed[:7], observed, PRUNE)  # 3 of 10: exactly 30%
    assert violations == []


def test_defaults_do_not_apply_below_10_objects():
    observed = groups(9)
    plan, violations = checked(observed[:1], observed, PRUNE)  # 8 of 9 deleted
    assert len(plan.changes) == 8 and violations == []


def test_threshold_min_objects_can_be_lowered():
    observed = groups(5)
    settings = Settings(prune=frozenset({"group"}), threshold_min_objects=3)
    _, violations = checked(observed[:2], observed, settings)
    assert [(v.rule, v.count, v.total) for v in violations] == [(Rule.MAX_DELETE_PERCENT, 3, 5)]


def test_ignored_objects_do_not_dilute_the_share():
    observed = groups(12) + [group(f"Imported {n}", id=f"i{n}") for n in range(50)]
    settings = Settings(prune=frozenset({"group"}), ignore=("Imported *",))
    _, violations = checked(groups(12)[:7], observed, settings)
    assert [(v.count, v.total) for v in violations] == [(5, 12)]


def test_per_kind_override_wins_over_the_global_value():
    observed = groups(12)
    lenient = Threshold("max_delete_percent", percent=10, by_kind=(("group", 50.0),))
    settings = Settings(prune=frozenset({"group"}), max_delete_percent=lenient)
    assert checked(observed[:7], observed, settings)[1] == []  # 42% <= 50% for groups

    strict = Threshold("max_delete_percent", percent=90, by_kind=(("group", 10.0),))
    settings = Settings(prune=frozenset({"group"}), max_delete_percent=strict)
    _, violations = checked(observed[:10], observed, settings)  # 2 of 12 = 17%
    (violation,) = violations
    assert violation.limit is not None
    assert violation.limit.setting == "settings.max_delete_percent.groups"
    assert "more than the 10% allowed by settings.max_delete_percent.groups" in (violation.message)


def test_change_threshold_counts_updates_and_renames_not_creates():
    observed = [
        Field(
            address=Address.of("mailerlite", "field", f"f{n}"), name=f"F{n}", type="text", id=str(n)
        )
        for n in range(10)
    ]
    desired = [
        Field(address=Address.of("mailerlite", "field", f"f{n}"), name=f"New {n}", type="text")
        for n in range(4)
    ] + [
        Field(address=Address.of("mailerlite", "field", f"extra{n}"), type="text")
        for n in range(20)
    ]
    plan, violations = checked(desired, observed, Settings())
    assert len(plan.changes) == 24
    (violation,) = violations
    assert violation.rule is Rule.MAX_CHANGE_PERCENT
    assert (violation.count, violation.total) == (4, 10)

    # Only creates: bootstrapping is never refused, however large.
    _, violations = checked(desired[4:], observed, Settings())
    assert violations == []


def test_a_replace_counts_as_a_change_and_a_delete():
    observed = [
        Field(address=Address.of("mailerlite", "field", f"f{n}"), type="text", id=str(n))
        for n in range(10)
    ]
    desired = [Field(address=Address.of("mailerlite", "field", "f0"), type="number")] + [
        Field(address=Address.of("mailerlite", "field", f"f{n}"), type="text") for n in range(1, 10)
    ]
    settings = Settings(
        max_change_percent=Threshold("max_change_percent", percent=5),
        max_delete_percent=Threshold("max_delete_percent", percent=5),
    )
    _, violations = checked(desired, observed, settings)
    assert sorted(v.rule for v in violations) == [
        Rule.MAX_CHANGE_PERCENT,
        Rule.MAX_DELETE_PERCENT,
    ]


def test_a_protected_object_removed_from_the_config_is_refused_even_when_forced():
    protect = (Glob("Partners*", WHERE),)
    settings = Settings(prune=frozenset({"group"}), protect=protect)
    observed = [group("Partners", "1"), group("Leads", "2")]
    for force in (False, True):
        plan, violations = checked([], observed, settings, force=force)
        assert len(plan.changes) == 2
        (violation,) = violations
        assert violation.rule is Rule.PROTECT and not violation.overridable
        assert violation.address == Address.of("mailerlite", "group", "Partners")
        assert violation.glob == protect[0]
        assert 'settings.protect "Partners*" (espform.yaml:4:13)' in violation.message
        assert "even with --force" in violation.message


def test_a_protected_object_that_would_be_replaced_is_refused():
    settings = Settings(protect=(Glob("tier"),))
    observed = [Field(address=Address.of("mailerlite", "field", "tier"), type="text", id="1")]
    desired = [Field(address=Address.of("mailerlite", "field", "tier"), type="number")]
    _, violations = checked(desired, observed, settings, force=True)
    (violation,) = violations
    assert "would be replaced" in violation.message


def test_protection_allows_updates_and_renames():
    settings = Settings(protect=(Glob("*"),))
    observed = [
        Field(address=Address.of("mailerlite", "field", "tier"), name="A", type="text", id="1")
    ]
    desired = [Field(address=Address.of("mailerlite", "field", "tier"), name="B", type="text")]
    plan, violations = checked(desired, observed, settings)
    assert len(plan.changes) == 1 and violations == []


def mc(*parts: tuple[str, str]) -> Address:
    return Address("mailchimp", parts)


def test_a_protected_child_of_a_deleted_parent_is_refused():
    shop = mc(("audience", "Shop"))
    observed = State(
        "mailchimp",
        [
            Audience(address=shop, id="a1"),
            MergeField(address=shop.child("merge_field", "EMAIL"), id="1"),
        ],
    )
    settings = Settings(prune=frozenset({"audience"}), protect=(Glob("EMAIL"),))
    plan = diff(State("mailchimp"), observed, settings, MC_CAPS)
    (violation,) = check(plan, Census.of(observed, settings), settings, force=True)
    assert violation.address == shop.child("merge_field", "EMAIL")
    assert f"would be deleted along with {shop}" in violation.message


def test_thresholds_count_per_parent():
    """12 merge fields in each of two audiences: 5 deleted in one is 42% of it, not 21%."""
    audiences = [mc(("audience", "A")), mc(("audience", "B"))]
    observed = State("mailchimp")
    desired = State("mailchimp")
    for n, audience in enumerate(audiences):
        observed.add(Audience(address=audience, id=f"a{n}"))
        desired.add(Audience(address=audience))
        for m in range(12):
            field = audience.child("merge_field", f"F{m}")
            observed.add(MergeField(address=field, id=f"{n}-{m}"))
            if audience.name == "B" or m < 7:
                desired.add(MergeField(address=field))
    settings = Settings(prune=frozenset({"merge_field"}))
    plan = diff(desired, observed, settings, MC_CAPS)
    (violation,) = check(plan, Census.of(observed, settings), settings)
    assert violation.scope == (audiences[0], "merge_field")
    assert (violation.count, violation.total) == (5, 12)
    assert describe_scope(violation.scope) == 'merge_fields of mailchimp.audience["A"]'
