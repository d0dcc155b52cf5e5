"""Automations read from the account: what they guard, and when they are worth reading."""

from __future__ import annotations

from reconciler.engine import diff
from reconciler.engine.automations import automation_dependents, automations_matter
from reconciler.model import Address, Automation, Capabilities, Field, Group, Settings, State

CAPS = Capabilities(
    kinds=frozenset({"group", "field"}),
    creatable=frozenset({"group", "field"}),
    renamable=frozenset({"group"}),
    deletable=frozenset({"group", "field"}),
)
PRUNE = Settings(prune=frozenset({"group", "field"}))


def group(name: str) -> Address:
    return Address.of("mailerlite", "group", name)


def plan_of(desired, observed):
    return diff(State("mailerlite", desired), State("mailerlite", observed), PRUNE, CAPS)


def test_only_enabled_automations_guard_the_groups_that_start_them() -> None:
    automations = [
        Automation("1", "Welcome", True, (group("Partners"), group("Gold"))),
        Automation("2", "Gold tips", True, (group("Gold"),)),
        Automation("3", "Draft", False, (group("Newsletter"),)),
    ]

    found = automation_dependents(automations)

    assert sorted(str(a) for a in found) == [
        'mailerlite.group["Gold"]',
        'mailerlite.group["Partners"]',
    ]
    assert [d.name for d in found[group("Gold")]] == ["Gold tips", "Welcome"]


def test_automations_are_read_only_when_a_group_is_deleted_renamed_or_missing() -> None:
    partners = Group(address=group("Partners"), id="1")
    field = Field(address=Address.of("mailerlite", "field", "tier"), id="9", type="text")
    renamed = Group(address=group("Resellers"), id=None, renamed_from=("Partners",))

    deleting = plan_of([], [partners])
    renaming = plan_of([renamed], [partners])
    creating = plan_of([Group(address=group("Partners"), id=None)], [])
    fields_only = plan_of([partners], [partners, field])

    assert automations_matter(deleting) and automations_matter(renaming)
    assert not automations_matter(creating)
    assert automations_matter(creating, missing_too=True)
    assert not automations_matter(fields_only, missing_too=True)
