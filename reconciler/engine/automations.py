"""What the account's automations depend on, and when espform needs to know. Pure.

An enabled automation that starts when a subscriber joins a group stops starting once the
group is deleted, replaced or renamed away from what the automation points at. Disabled
automations send nothing, so they protect nothing: turning one on again is when its
trigger is checked, in the app.
"""

from __future__ import annotations

from collections.abc import Iterable

from reconciler.engine.dependents import Dependent, Dependents, merged
from reconciler.engine.plan import Action, Plan
from reconciler.model import Automation

__all__ = ["GROUP_JOIN_DETAIL", "automation_dependents", "automations_matter"]

GROUP_JOIN_DETAIL = "triggered when a subscriber joins the group"
#: Changes that break a trigger on the object: asked about before plan or apply.
_BREAKING = frozenset({Action.DELETE, Action.RENAME, Action.REPLACE})


def automation_dependents(automations: Iterable[Automation]) -> Dependents:
    """Each group an enabled automation is started by, with the automations it starts."""
    return merged(
        *(
            {group: (Dependent("automation", a.name, GROUP_JOIN_DETAIL),)}
            for a in automations
            if a.enabled
            for group in a.joins
        )
    )


def automations_matter(plan: Plan, *, missing_too: bool = False) -> bool:
    """Whether the plan touches a group in a way a trigger would notice, so the account's
    automations are worth a request. `missing_too` (drift): a group the account lacks may
    have been deleted by hand from under an automation."""
    actions = _BREAKING | {Action.CREATE} if missing_too else _BREAKING
    return any(c.kind == "group" and c.action in actions for c in plan.changes)
