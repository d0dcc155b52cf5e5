"""Reading the account's automations during a plan, only when they could matter.

One more list request, so it is made only when the plan deletes, renames or replaces a
group (or, for drift, finds one missing); providers without automations skip it.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from reconciler.engine.automations import automations_matter
from reconciler.engine.plan import Plan
from reconciler.membership_step import RequestStep
from reconciler.model import Automation, State
from reconciler.providers.base import Provider

__all__ = ["AutomationReader", "read_automations"]


@runtime_checkable
class AutomationReader(Protocol):
    async def read_automations(self) -> tuple[Automation, ...]: ...


async def read_automations(
    provider: Provider, plan: Plan, observed: State, steps: list[RequestStep], *, drift: bool
) -> None:
    """Set `observed.automations` when the plan touches a group a trigger would miss."""
    if not isinstance(provider, AutomationReader):
        return
    if not automations_matter(plan, missing_too=drift):
        return
    before = provider.request_count
    observed.automations = await provider.read_automations()
    steps.append(RequestStep("automations", provider.request_count - before))
