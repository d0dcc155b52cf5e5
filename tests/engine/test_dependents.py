"""Objects something depends on: deletes, replaces and renames refused unless forced."""

from __future__ import annotations

from reconciler.engine import diff
from reconciler.engine.dependents import Dependent, merged
from reconciler.engine.safety import Census, Rule, check
from reconciler.model import (
    Address,
    Audience,
    Capabilities,
    Group,
    Location,
    MergeField,
    Settings,
    State,
)
from reconciler.render.json_document import safety_document

CAPS = Capabilities(
    kinds=frozenset({"group"}),
    creatable=frozenset({"group"}),
    renamable=frozenset({"group"}),
    deletable=frozenset({"group"}),
)
PRUNE = Settings(prune=frozenset({"group", "audience", "merge_field"}))
PARTNERS = Address.of("mailerlite", "group", "Partners")
PROGRAM = Dependent("integration", "partner program", source=Location("espform.yaml", 3, 5))
WELCOME = Dependent("automation", "Welcome", "triggered when a subscriber joins the group")


def violations(desired, observed, dependents, *, force=False, provider="mailerlite", caps=CAPS):
    want, have = State(provider, desired), State(provider, observed)
    plan = diff(want, have, PRUNE, caps)
    return check(plan, Census.of(have, PRUNE), PRUNE, force=force, dependents=dependents)


def test_deleting_a_depended_group_is_refused_naming_what_breaks():
    observed = [Group(address=PARTNERS, id="1")]
    (violation,) = violations([], observed, {PARTNERS: (PROGRAM, WELCOME)})
    assert violation.rule is Rule.DEPENDED_ON and violation.overridable
    assert violation.address == PARTNERS
    assert 'integration "partner program"' in violation.message
    assert 'automation "Welcome" (triggered when' in violation.message
    assert "espform.yaml:3:5" in violation.message and "--force" in violation.message
    assert violations([], observed, {PARTNERS: (PROGRAM,)}, force=True) == []


def test_a_group_nothing_depends_on_is_deleted_freely():
    observed = [Group(address=PARTNERS, id="1")]
    other = Address.of("mailerlite", "group", "Customers")
    assert violations([], observed, {other: (PROGRAM,)}) == []


def test_a_rename_is_refused_whether_the_old_or_the_new_name_is_depended_on():
    observed = [Group(address=PARTNERS, id="1")]
    renamed = Address.of("mailerlite", "group", "Affiliates")
    desired = [Group(address=renamed, renamed_from=("Partners",))]
    (old,) = violations(desired, observed, {PARTNERS: (WELCOME,)})
    assert 'would be renamed to "Affiliates"' in old.message
    (new,) = violations(desired, observed, {renamed: (PROGRAM,)})
    assert new.by == (PROGRAM,)


def test_a_depended_merge_field_is_refused_when_its_audience_goes():
    mc_caps = Capabilities(
        kinds=frozenset({"audience", "merge_field"}),
        creatable=frozenset({"audience", "merge_field"}),
        renamable=frozenset({"audience", "merge_field"}),
        deletable=frozenset({"audience", "merge_field"}),
    )
    shop = Address.of("mailchimp", "audience", "Shop")
    ctype = shop.child("merge_field", "CTYPE")
    observed = [Audience(address=shop, id="a1"), MergeField(address=ctype, id="3")]
    (violation,) = violations([], observed, {ctype: (PROGRAM,)}, provider="mailchimp", caps=mc_caps)
    assert violation.address == ctype and f"deleted along with {shop}" in violation.message


def test_the_json_safety_block_names_the_dependents():
    observed = [Group(address=PARTNERS, id="1")]
    found = violations([], observed, {PARTNERS: (PROGRAM,)})
    document = safety_document(found, forced=False)
    (item,) = document["violations"]
    assert document["refused"] is True and item["rule"] == "depended_on"
    assert item["depended_on_by"] == [
        {"kind": "integration", "name": "partner program", "detail": ""}
    ]


def test_merged_joins_sources_without_repeats():
    both = merged({PARTNERS: (PROGRAM,)}, {PARTNERS: (WELCOME, PROGRAM)})
    assert both == {PARTNERS: (WELCOME, PROGRAM)}
