"""Drift: a plan read the other way round, as what the account has that the config does not.

There is no state file, so espform cannot tell a change made by hand from a config edit
not applied yet; both are differences between account and config, and both are reported.
The classes follow what `apply` would do about each one.
"""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.engine.membership import MembershipChange
from reconciler.engine.plan import Action, Change, Plan
from reconciler.model import Resource
from reconciler.render.membership import membership_lines
from reconciler.render.text import painter, render_change

#: Plan actions that mean "the object exists but differs from its declaration".
CHANGED_ACTIONS = frozenset({Action.UPDATE, Action.RENAME, Action.REPLACE})


@dataclass(frozen=True)
class DriftReport:
    provider: str
    #: Declared and present, but different: apply would update, rename or replace them.
    changed: tuple[Change, ...] = ()
    #: Declared and absent: apply would create them.
    missing: tuple[Change, ...] = ()
    #: Undeclared objects of a kind the config prunes: apply would delete them.
    unexpected: tuple[Change, ...] = ()
    #: Undeclared objects of kinds the config does not own: apply leaves them alone.
    unmanaged: tuple[Resource, ...] = ()
    #: Whether unmanaged objects alone make the account count as drifted.
    unmanaged_is_drift: bool = False
    #: Rule-driven groups or tags whose members differ from their rules.
    membership: tuple[MembershipChange, ...] = ()

    @property
    def drifted(self) -> bool:
        owned = bool(self.changed or self.missing or self.unexpected or self.membership)
        return owned or (self.unmanaged_is_drift and bool(self.unmanaged))

    def summary(self) -> str:
        if not (
            self.changed or self.missing or self.unexpected or self.unmanaged or self.membership
        ):
            return "No drift. The account matches the configuration."
        counts = (
            f"{len(self.changed)} changed, {len(self.missing)} missing, "
            f"{len(self.unexpected)} unexpected"
        )
        if self.unmanaged:
            counted = "counted as drift" if self.unmanaged_is_drift else "not counted as drift"
            counts += f"; {len(self.unmanaged)} not managed ({counted})"
        head = "Drift" if self.drifted else "No drift"
        text = f"{head}: {counts}."
        if self.membership:
            text += " " + Plan(self.provider, membership=list(self.membership)).membership_summary()
        return text


def drift_report(plan: Plan, *, unmanaged_is_drift: bool = False) -> DriftReport:
    return DriftReport(
        provider=plan.provider,
        changed=tuple(c for c in plan.changes if c.action in CHANGED_ACTIONS),
        missing=tuple(c for c in plan.changes if c.action is Action.CREATE),
        unexpected=tuple(c for c in plan.changes if c.action is Action.DELETE),
        unmanaged=tuple(plan.unmanaged),
        unmanaged_is_drift=unmanaged_is_drift,
        membership=tuple(m for m in plan.membership if m.size),
    )


#: Section headings, shared by the text and Markdown reports.
CHANGED_TITLE = "Changed: differs from the config (apply would change it back)"
MISSING_TITLE = "Missing: declared, not in the account (apply would create it)"
UNEXPECTED_TITLE = "Unexpected: not declared, of a kind the config prunes (apply would delete it)"
UNMANAGED_TITLE = "Not managed: in the account, not declared (left alone)"
MEMBERSHIP_TITLE = "Membership: members differ from the rules (apply would add and remove them)"


def render_drift_text(report: DriftReport, *, account: str, color: bool = False) -> str:
    paint = painter(color)
    lines = [f"Drift check of {account}", ""]
    for title, changes in (
        (CHANGED_TITLE, report.changed),
        (MISSING_TITLE, report.missing),
        (UNEXPECTED_TITLE, report.unexpected),
    ):
        if not changes:
            continue
        lines.append(paint(f"{title}:", bold=True))
        lines.append("")
        for change in changes:
            lines.extend(render_change(change, paint))
            lines.append("")
    if report.membership:
        lines.append(paint(f"{MEMBERSHIP_TITLE}:", bold=True))
        lines.append("")
        lines.extend(membership_lines(report.membership, paint))
        lines.append("")
    if report.unmanaged:
        lines.append(paint(f"{UNMANAGED_TITLE}:", bold=True))
        lines.extend(f"  {r.address}" for r in report.unmanaged)
        lines.append("")
    lines.append(paint(report.summary(), bold=True))
    return "\n".join(lines)
