"""Drift: a plan read the other way round, as what the account has that the config does not.

There is no state file, so espform cannot tell a change made by hand from a config edit
not applied yet; both are differences between account and config, and both are reported.
The classes follow what `apply` would do about each one. Pure: `render.drift` and the
JSON and Markdown renderers show a `DriftReport`; they do not decide what is in it.
"""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.engine.dependents import Dependent, Dependents
from reconciler.engine.membership import MembershipChange
from reconciler.engine.plan import Action, Change, Plan
from reconciler.model import Resource

__all__ = ["CHANGED_ACTIONS", "Breakage", "DriftReport", "drift_report"]

#: Plan actions that mean "the object exists but differs from its declaration".
CHANGED_ACTIONS = frozenset({Action.UPDATE, Action.RENAME, Action.REPLACE})


@dataclass(frozen=True)
class Breakage:
    """A drifted object that an integration or automation depends on."""

    change: Change
    by: tuple[Dependent, ...]

    @property
    def what(self) -> str:
        """What happened to the object, as the integration sees it."""
        if self.change.action is Action.CREATE:
            return "missing from the account"
        if self.change.action is Action.DELETE:
            return "in the account but would be deleted by apply"
        if self.change.action is Action.RENAME:
            return "renamed in the account"
        return "changed in the account"


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
    #: Drifted objects something depends on: reported first, apart from the rest.
    breaking: tuple[Breakage, ...] = ()

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
        if self.breaking:
            counts = f"{len(self.breaking)} breaking an integration or automation; " + counts
        text = f"{head}: {counts}."
        if self.membership:
            text += " " + Plan(self.provider, membership=list(self.membership)).membership_summary()
        return text


def drift_report(
    plan: Plan, *, unmanaged_is_drift: bool = False, dependents: Dependents | None = None
) -> DriftReport:
    """Sort a full plan's changes into drift classes; membership changes of no size are
    not drift. A change to an object in `dependents` is also breaking."""
    return DriftReport(
        breaking=tuple(_breaking(plan.changes, dependents or {})),
        provider=plan.provider,
        changed=tuple(c for c in plan.changes if c.action in CHANGED_ACTIONS),
        missing=tuple(c for c in plan.changes if c.action is Action.CREATE),
        unexpected=tuple(c for c in plan.changes if c.action is Action.DELETE),
        unmanaged=tuple(plan.unmanaged),
        unmanaged_is_drift=unmanaged_is_drift,
        membership=tuple(m for m in plan.membership if m.size),
    )


def _breaking(changes: list[Change], dependents: Dependents) -> list[Breakage]:
    found: list[Breakage] = []
    for change in changes:
        at = {change.address}
        if change.before is not None:
            at.add(change.before.address)
        by = tuple(sorted({d for a in at for d in dependents.get(a, ())}))
        if by:
            found.append(Breakage(change, by))
    return found
