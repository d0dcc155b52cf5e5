"""The pure core: compare desired and observed state, produce an ordered Plan. No I/O."""

from reconciler.engine.diff import diff
from reconciler.engine.plan import Action, AttributeChange, Change, Plan

__all__ = ["Action", "AttributeChange", "Change", "Plan", "diff"]
