"""The engine on hand-built states: every decision it makes, one case each."""

from __future__ import annotations

import pytest

from reconciler.engine import Action, diff
from reconciler.errors import PlanError
from reconciler.model import Address, Capabilities, Field, Group, Location, Segment, Settings, State

CAPS = Capabilities(
    kinds=frozenset({"field", "group", "segment"}),
    creatable=frozenset({"field", "group"}),
    renamable=frozenset({"group", "segment"}),
    deletable=frozenset({"field", "group", "segment"}),
    create_hints={"segment": "Declare a group with a rule instead."},
)
HERE = Location("espform.yaml", 7, 3)


def group(name: str, id: str | None = None, renamed_from: tuple[str, ...] = ()) -> Group:
    return Group(
        address=Address.of("mailerlite", "group", name),
        id=id,
        renamed_from=renamed_from,
        source=None if id else HERE,
    )


def field(
    key: str,
    type: str | None,
    name: str | None = None,
    id: str | None = None,
    builtin: bool = False,
) -> Field:
    return Field(
        address=Address.of("mailerlite", "field", key), name=name, type=type, id=id, builtin=builtin
    )


def segment(name: str, id: str | None = None, renamed_from: tuple[str, ...] = ()) -> Segment:
    return Segment(
        address=Address.of("mailerlite", "segment", name),
        id=id,
        renamed_from=renamed_from,
        source=HERE,
    )


def state(*resources) -> State:
    return State("mailerlite", list(resources))


def plan_of(desired, observed, settings: Settings | None = None):
    return diff(state(*desired), state(*observed), settings or Settings(), CAPS)


def test_creates_what_is_missing_and_nothing_else():
    plan = plan_of([group("Partners"), field("tier", "text")], [group("Partners", "11")])
    assert [(str(c.address), c.action) for c in plan.changes] == [
        ('mailerlite.field["tier"]', Action.CREATE),
    ]
    assert plan.summary() == "Plan: 1 to create, 0 to update, 0 to delete."


def test_matching_state_has_no_changes():
    plan = plan_of(
        [group("Partners"), field("tier", "text")],
        [group("Partners", "11"), field("tier", "text", "Tier", "5")],
    )
    assert not plan.has_changes
    assert plan.summary() == "No changes. The account matches the configuration."


def test_renamed_from_is_a_rename_that_keeps_the_id():
    plan = plan_of([group("Gold Partners", renamed_from=("Gold",))], [group("Gold", "42")])
    (change,) = plan.changes
    assert change.action is Action.RENAME
    assert change.remote_id == "42"
    assert change.before.key == "Gold" and change.address.name == "Gold Partners"
    assert not change.destructive


def test_current_name_wins_over_renamed_from_when_both_exist():
    plan = plan_of(
        [group("Gold Partners", renamed_from=("Gold",))],
        [group("Gold", "1"), group("Gold Partners", "2")],
    )
    assert plan.changes == []
    assert [r.id for r in plan.unmanaged] == ["1"]


def test_field_type_change_is_a_destructive_replace_with_reason():
    plan = plan_of(
        [field("total_sales", "number")], [field("total_sales", "text", "Total sales", "9")]
    )
    (change,) = plan.changes
    assert change.action is Action.REPLACE
    assert change.destructive
    assert "cannot change a field's type" in change.reason
    assert [(a.attribute, a.before, a.after) for a in change.attributes] == [
        ("type", "text", "number")
    ]


def test_field_label_change_is_an_update_and_undeclared_label_is_not_compared():
    plan = plan_of(
        [field("tier", "text", name="Partner tier"), field("status", "text")],
        [field("tier", "text", "Tier", "1"), field("status", "text", "Status", "2")],
    )
    (change,) = plan.changes
    assert change.action is Action.UPDATE and change.address.name == "tier"
    assert [(a.attribute, a.before, a.after) for a in change.attributes] == [
        ("name", "Tier", "Partner tier")
    ]


def test_undeclared_objects_are_unmanaged_without_prune():
    plan = plan_of([], [group("Old", "3"), field("legacy", "text", "Legacy", "4")])
    assert plan.changes == []
    assert sorted(str(r.address) for r in plan.unmanaged) == [
        'mailerlite.field["legacy"]',
        'mailerlite.group["Old"]',
    ]


def test_prune_deletes_undeclared_objects_of_that_kind_only():
    plan = plan_of(
        [],
        [group("Old", "3"), field("legacy", "text", "Legacy", "4")],
        Settings(prune=frozenset({"group"})),
    )
    (change,) = plan.changes
    assert (str(change.address), change.action) == ('mailerlite.group["Old"]', Action.DELETE)
    assert change.destructive and "membership" in change.reason
    assert [str(r.address) for r in plan.unmanaged] == ['mailerlite.field["legacy"]']


def test_builtin_fields_are_never_deleted_even_when_pruning():
    plan = plan_of(
        [], [field("z_i_p", "text", "Zip", "8", builtin=True)], Settings(prune=frozenset({"field"}))
    )
    assert plan.changes == [] and plan.unmanaged == []


def test_ignore_globs_protect_undeclared_objects_from_prune_and_listing():
    plan = plan_of(
        [],
        [group("Imported 2023", "1"), group("Stale", "2")],
        Settings(prune=frozenset({"group"}), ignore=("Imported *",)),
    )
    assert [str(c.address) for c in plan.changes] == ['mailerlite.group["Stale"]']
    assert [r.key for r in plan.ignored] == ["Imported 2023"]


def test_declaring_an_ignored_name_is_an_error_at_its_location():
    with pytest.raises(PlanError) as err:
        plan_of([group("Imported X")], [], Settings(ignore=("Imported *",)))
    assert str(err.value) == (
        'espform.yaml:7:3: group "Imported X" is declared but also matches the ignore '
        'pattern "Imported *"; remove it from settings.ignore or from groups'
    )


def test_ambiguous_remote_names_are_refused():
    with pytest.raises(PlanError) as err:
        plan_of([group("Partners")], [group("Partners", "1"), group("Partners", "2")])
    assert '2 groups named "Partners" exist in the account (ids 1, 2)' in str(err.value)


def test_missing_segment_cannot_be_created_and_says_what_to_do():
    with pytest.raises(PlanError) as err:
        plan_of([segment("VIP")], [])
    message = str(err.value)
    assert message.startswith('espform.yaml:7:3: segment "VIP" does not exist')
    assert "cannot create segments" in message and "group with a rule" in message


def test_segment_is_adopted_and_renamed():
    plan = plan_of([segment("Engaged", renamed_from=("Openers",))], [segment("Openers", "77")])
    (change,) = plan.changes
    assert change.action is Action.RENAME and change.remote_id == "77"


def test_order_renames_then_creates_then_deletes_last():
    plan = plan_of(
        [group("New"), group("B", renamed_from=("A",)), field("f", "text")],
        [group("A", "1"), group("Gone", "2"), field("old", "text", "Old", "3")],
        Settings(prune=frozenset({"group", "field"})),
    )
    assert [(c.kind, c.action.value, c.address.name) for c in plan.changes] == [
        ("field", "create", "f"),
        ("group", "rename", "B"),
        ("group", "create", "New"),
        ("group", "delete", "Gone"),
        ("field", "delete", "old"),
    ]
    assert plan.summary() == "Plan: 2 to create, 0 to update, 2 to delete (1 to rename)."


def test_one_remote_object_is_claimed_once():
    # Two declarations naming the same old group: only the first takes it over.
    plan = plan_of(
        [group("X", renamed_from=("Old",)), group("Y", renamed_from=("Old",))],
        [group("Old", "5")],
    )
    assert [(c.action.value, c.address.name) for c in plan.changes] == [
        ("rename", "X"),
        ("create", "Y"),
    ]


# --- Nested resources and references (Mailchimp-shaped) ---------------------------------

MC_CAPS = Capabilities(
    kinds=frozenset({"audience", "merge_field", "tag", "segment"}),
    creatable=frozenset({"audience", "merge_field", "tag", "segment"}),
    renamable=frozenset({"audience", "merge_field", "tag", "segment"}),
    deletable=frozenset({"audience", "merge_field", "tag", "segment"}),
)


def mc(*parts: tuple[str, str]) -> Address:
    return Address("mailchimp", parts)


AUD = ("audience", "Pets")


def test_children_of_a_renamed_parent_are_matched_under_its_old_name():
    from reconciler.model import Audience, MergeField

    desired = State(
        "mailchimp",
        [
            Audience(address=mc(("audience", "Pet Owners")), renamed_from=("Pets",)),
            MergeField(
                address=mc(("audience", "Pet Owners"), ("merge_field", "CTYPE")), name="Type"
            ),
        ],
    )
    observed = State(
        "mailchimp",
        [
            Audience(address=mc(AUD), id="a1"),
            MergeField(address=mc(AUD, ("merge_field", "CTYPE")), name="Type", id="3"),
        ],
    )
    plan = diff(desired, observed, Settings(), MC_CAPS)
    assert [(c.action.value, str(c.address)) for c in plan.changes] == [
        ("rename", 'mailchimp.audience["Pet Owners"]')
    ]


def test_children_of_a_pruned_parent_go_with_it():
    from reconciler.model import Audience, MergeField

    observed = State(
        "mailchimp",
        [
            Audience(address=mc(AUD), id="a1"),
            MergeField(address=mc(AUD, ("merge_field", "CTYPE")), id="3"),
        ],
    )
    plan = diff(
        State("mailchimp"),
        observed,
        Settings(prune=frozenset({"audience", "merge_field"})),
        MC_CAPS,
    )
    assert [(c.action.value, c.kind) for c in plan.changes] == [("delete", "audience")]
    assert plan.changes[0].destructive and "cannot be undone" in plan.changes[0].reason


def segment_on(tag: str):
    from reconciler.model import SavedSegment

    return SavedSegment(
        address=mc(AUD, ("segment", "Dogs")),
        match="all",
        conditions=(
            {
                "condition_type": "StaticSegment",
                "field": "static_segment",
                "op": "static_is",
                "value": {"tag": tag},
            },
        ),
        source=HERE,
    )


def test_a_reference_to_a_tag_that_exists_nowhere_is_an_error():
    from reconciler.model import Audience

    desired = State("mailchimp", [Audience(address=mc(AUD)), segment_on("Dog owner")])
    with pytest.raises(PlanError) as err:
        diff(desired, State("mailchimp", [Audience(address=mc(AUD), id="a1")]), Settings(), MC_CAPS)
    assert (
        'espform.yaml:7:3: segment "Dogs" refers to tag "Dog owner", which is neither declared'
        in str(err.value)
    )


def test_a_reference_to_an_undeclared_remote_tag_is_fine_unless_pruned():
    from reconciler.model import Audience, Tag

    desired = State("mailchimp", [Audience(address=mc(AUD)), segment_on("Dog owner")])
    observed = State(
        "mailchimp",
        [Audience(address=mc(AUD), id="a1"), Tag(address=mc(AUD, ("tag", "Dog owner")), id="7")],
    )
    plan = diff(desired, observed, Settings(), MC_CAPS)
    assert [c.kind for c in plan.changes] == ["segment"]
    with pytest.raises(PlanError, match=r"settings\.prune would delete"):
        diff(desired, observed, Settings(prune=frozenset({"tag"})), MC_CAPS)


def test_a_tag_declared_in_the_same_plan_is_created_before_the_segment():
    from reconciler.model import Audience, Tag

    desired = State(
        "mailchimp",
        [
            Audience(address=mc(AUD)),
            segment_on("Dog owner"),
            Tag(address=mc(AUD, ("tag", "Dog owner"))),
        ],
    )
    plan = diff(
        desired, State("mailchimp", [Audience(address=mc(AUD), id="a1")]), Settings(), MC_CAPS
    )
    assert [c.kind for c in plan.changes] == ["tag", "segment"]


def test_a_segment_is_created_after_the_interests_it_names():
    from reconciler.model import Audience, Interest, InterestCategory, SavedSegment

    category = mc(AUD, ("interest_category", "Pet type"))
    desired = State(
        "mailchimp",
        [
            Audience(address=mc(AUD)),
            SavedSegment(
                address=mc(AUD, ("segment", "Dog people")),
                match="any",
                conditions=(
                    {
                        "condition_type": "Interests",
                        "field": {"interest_category": "Pet type"},
                        "op": "interestcontains",
                        "value": [{"interest": "Dog"}],
                    },
                ),
            ),
            InterestCategory(address=category, type="checkboxes"),
            Interest(address=category.child("interest", "Dog")),
        ],
    )
    caps = Capabilities(
        kinds=frozenset({"audience", "interest_category", "interest", "segment"}),
        creatable=frozenset({"audience", "interest_category", "interest", "segment"}),
        renamable=frozenset(),
        deletable=frozenset(),
    )
    plan = diff(desired, State("mailchimp"), Settings(), caps)
    assert [c.kind for c in plan.changes] == [
        "audience",
        "interest_category",
        "interest",
        "segment",
    ]


CI_CAPS = Capabilities(
    kinds=MC_CAPS.kinds,
    creatable=MC_CAPS.creatable,
    renamable=MC_CAPS.renamable,
    deletable=MC_CAPS.deletable,
    case_insensitive=frozenset({"tag"}),
)


def test_case_insensitive_kinds_match_ignoring_case_without_a_rename():
    from reconciler.model import Audience, Tag

    desired = State(
        "mailchimp",
        [
            Audience(address=mc(AUD)),
            Tag(address=mc(AUD, ("tag", "Dog owner"))),
            segment_on("Dog owner"),
        ],
    )
    observed = State(
        "mailchimp",
        [Audience(address=mc(AUD), id="a1"), Tag(address=mc(AUD, ("tag", "dog OWNER")), id="7")],
    )
    plan = diff(desired, observed, Settings(prune=frozenset({"tag"})), CI_CAPS)
    assert [(c.kind, c.action.value) for c in plan.changes] == [("segment", "create")]
    # Case-sensitive kinds still see two different names.
    plan = diff(desired, observed, Settings(), MC_CAPS)
    assert [(c.kind, c.action.value) for c in plan.changes] == [
        ("tag", "create"),
        ("segment", "create"),
    ]


def test_a_reference_to_an_undeclared_tag_matches_it_ignoring_case():
    from reconciler.model import Audience, Tag

    desired = State("mailchimp", [Audience(address=mc(AUD)), segment_on("Dog owner")])
    observed = State(
        "mailchimp",
        [Audience(address=mc(AUD), id="a1"), Tag(address=mc(AUD, ("tag", "dog owner")), id="7")],
    )
    assert [c.kind for c in diff(desired, observed, Settings(), CI_CAPS).changes] == ["segment"]
    with pytest.raises(PlanError):
        diff(desired, observed, Settings(), MC_CAPS)
