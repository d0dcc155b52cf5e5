"""--target on hand-built plans: selection, children, what comes along, and bad targets."""

from __future__ import annotations

import pytest

from reconciler.engine import diff
from reconciler.engine.plan import Plan
from reconciler.engine.target import (
    TargetError,
    known_addresses,
    parse_targets,
    select,
    unknown_message,
    unknown_targets,
)
from reconciler.model import (
    Address,
    Audience,
    Capabilities,
    Group,
    MergeField,
    SavedSegment,
    Settings,
    State,
    Tag,
)

CAPS = Capabilities(
    kinds=frozenset({"audience", "merge_field", "tag", "segment", "group"}),
    creatable=frozenset({"audience", "merge_field", "tag", "segment", "group"}),
    renamable=frozenset({"audience", "merge_field", "tag", "segment", "group"}),
    deletable=frozenset({"audience", "merge_field", "tag", "segment", "group"}),
)
SHOP = Address("mailchimp", (("audience", "Shop"),))
BLOG = Address("mailchimp", (("audience", "Blog"),))


def planned(plan: Plan) -> list[tuple[str, str]]:
    return [(c.action.value, str(c.address)) for c in plan.changes]


def two_audiences() -> tuple[State, State, Plan]:
    desired = State(
        "mailchimp",
        [
            Audience(address=SHOP),
            MergeField(address=SHOP.child("merge_field", "TIER"), name="Tier"),
            Audience(address=BLOG),
            MergeField(address=BLOG.child("merge_field", "TOPIC"), name="Topic"),
        ],
    )
    observed = State(
        "mailchimp",
        [
            Audience(address=SHOP, id="s"),
            MergeField(address=SHOP.child("merge_field", "TIER"), name="Level", id="1"),
            MergeField(address=SHOP.child("merge_field", "OLD"), id="2"),
            Audience(address=BLOG, id="b"),
        ],
    )
    plan = diff(desired, observed, Settings(prune=frozenset({"merge_field"})), CAPS)
    return desired, observed, plan


def test_only_the_targeted_change_is_kept():
    _, _, plan = two_audiences()
    assert len(plan.changes) == 3
    narrowed = select(plan, [SHOP.child("merge_field", "TIER")])
    assert planned(narrowed) == [("update", str(SHOP.child("merge_field", "TIER")))]
    assert narrowed.targets == (SHOP.child("merge_field", "TIER"),)


def test_a_parent_target_includes_its_children_and_nothing_else():
    _, _, plan = two_audiences()
    narrowed = select(plan, [SHOP])
    assert sorted(planned(narrowed)) == [
        ("delete", str(SHOP.child("merge_field", "OLD"))),
        ("update", str(SHOP.child("merge_field", "TIER"))),
    ]


def test_no_target_keeps_the_whole_plan():
    _, _, plan = two_audiences()
    assert select(plan, []) is plan


def test_a_target_of_another_provider_selects_nothing():
    _, _, plan = two_audiences()
    assert select(plan, [Address.of("mailerlite", "group", "Shop")]).changes == []


def test_a_child_brings_along_the_creation_of_its_parent_and_what_it_refers_to():
    new = Address("mailchimp", (("audience", "New"),))
    segment = SavedSegment(
        address=new.child("segment", "VIPs"),
        match="all",
        conditions=(
            {
                "condition_type": "StaticSegment",
                "field": "static_segment",
                "op": "static_is",
                "value": {"tag": "VIP"},
            },
        ),
    )
    desired = State(
        "mailchimp",
        [Audience(address=new), Tag(address=new.child("tag", "VIP")), segment,
         Tag(address=new.child("tag", "Other"))],
    )  # fmt: skip
    plan = diff(desired, State("mailchimp"), Settings(), CAPS)
    narrowed = select(plan, [segment.address])
    assert planned(narrowed) == [
        ("create", str(new)),
        ("create", str(new.child("tag", "VIP"))),
        ("create", str(segment.address)),
    ]


def test_a_rename_is_selected_by_its_old_or_new_address():
    desired = State(
        "mailerlite",
        [Group(address=Address.of("mailerlite", "group", "Gold Partners"), renamed_from=("Gold",))],
    )
    observed = State(
        "mailerlite", [Group(address=Address.of("mailerlite", "group", "Gold"), id="1")]
    )
    plan = diff(desired, observed, Settings(), CAPS)
    for target in ('mailerlite.group["Gold"]', 'mailerlite.group["Gold Partners"]'):
        assert planned(select(plan, parse_targets([target]))) == [
            ("rename", 'mailerlite.group["Gold Partners"]')
        ]


def test_unknown_targets_are_found_with_a_hint():
    desired, observed, _ = two_audiences()
    known = known_addresses(desired, observed)
    targets = parse_targets(
        ['mailchimp.audience["Shop"]', 'mailchimp.audience["Shopp"]', 'mailchimp.audience["Zz"]']
    )
    unknown = unknown_targets(targets, known)
    assert unknown == list(targets[1:])
    message = unknown_message(unknown, known)
    assert 'audience["Shopp"] names nothing declared' in message
    assert 'did you mean mailchimp.audience["Shop"]?' in message
    assert message.count("did you mean") == 1


def test_invalid_targets_are_all_reported_with_an_example():
    with pytest.raises(TargetError) as err:
        parse_targets(["group.Partners", 'mailerlite.group["A"]', "mailerlite"])
    text = str(err.value)
    assert "'group.Partners' is not a resource address" in text
    assert "'mailerlite' is not a resource address" in text
    assert 'mailerlite.group["Partners"]' in text


def test_duplicate_targets_are_kept_once():
    assert parse_targets(['mailerlite.group["A"]', ' mailerlite.group["A"] ']) == (
        Address.of("mailerlite", "group", "A"),
    )


def test_a_mistyped_kind_is_hinted_by_the_same_name():
    desired, observed, _ = two_audiences()
    message = unknown_message(
        parse_targets(['mailchimp.audence["Shop"]']), known_addresses(desired, observed)
    )
    assert 'did you mean mailchimp.audience["Shop"]?' in message


def test_an_update_of_the_parent_does_not_come_along():
    desired = State(
        "mailchimp",
        [
            Audience(address=SHOP, permission_reminder="New wording"),
            MergeField(address=SHOP.child("merge_field", "TIER"), name="Tier"),
        ],
    )
    observed = State("mailchimp", [Audience(address=SHOP, id="s", permission_reminder="Old")])
    plan = diff(desired, observed, Settings(), CAPS)
    assert len(plan.changes) == 2
    narrowed = select(plan, [SHOP.child("merge_field", "TIER")])
    assert planned(narrowed) == [("create", str(SHOP.child("merge_field", "TIER")))]
