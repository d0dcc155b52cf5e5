"""Drift classification: which plan changes count as changed, missing or unexpected."""

from __future__ import annotations

from reconciler.engine.drift import CHANGED_ACTIONS, DriftReport, drift_report
from reconciler.engine.membership import MemberRef, MembershipChange
from reconciler.engine.plan import Action, Change, Plan
from reconciler.model import Address, Group


def group(name: str, id: str | None = None) -> Group:
    return Group(address=Address.of("mailerlite", "group", name), id=id)


def change(action: Action, name: str) -> Change:
    before = None if action is Action.CREATE else group(name, "1")
    after = None if action is Action.DELETE else group(name)
    return Change(group(name).address, action, before, after)


def test_each_action_lands_in_the_class_apply_would_act_on() -> None:
    plan = Plan(
        "mailerlite",
        changes=[change(action, action.value) for action in Action],
        unmanaged=[group("Left alone", "9")],
    )
    report = drift_report(plan)
    assert {c.action for c in report.changed} == CHANGED_ACTIONS
    assert [c.action for c in report.missing] == [Action.CREATE]
    assert [c.action for c in report.unexpected] == [Action.DELETE]
    assert [r.key for r in report.unmanaged] == ["Left alone"]
    assert report.drifted


def test_unmanaged_objects_count_as_drift_only_when_asked() -> None:
    plan = Plan("mailerlite", unmanaged=[group("By hand", "9")])
    assert not drift_report(plan).drifted
    assert "1 not managed (not counted as drift)" in drift_report(plan).summary()
    counted = drift_report(plan, unmanaged_is_drift=True)
    assert counted.drifted
    assert counted.summary().startswith("Drift: 0 changed, 0 missing, 0 unexpected")


def test_membership_counts_only_when_members_differ() -> None:
    address = group("Active").address
    empty = MembershipChange(address)
    one = MembershipChange(address, add=[MemberRef("1", "a@example.test")])
    assert not drift_report(Plan("mailerlite", membership=[empty])).drifted
    report = drift_report(Plan("mailerlite", membership=[empty, one]))
    assert report.membership == (one,)
    assert report.drifted
    assert "Membership: +1 -0 in 1 group." in report.summary()


def test_an_account_that_matches_says_so() -> None:
    report = drift_report(Plan("mailerlite"))
    assert report == DriftReport("mailerlite")
    assert not report.drifted
    assert report.summary() == "No drift. The account matches the configuration."
