"""The steps behind each command: load, read, diff, and carry out.

Kept apart from the CLI so the commands stay thin and the steps can be driven from
tests or other programs without click.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from reconciler.config.model import Config
from reconciler.engine import Plan, diff
from reconciler.providers.base import ApplyResult, Progress, Provider
from reconciler.providers.registry import create_provider

ProviderFactory = Callable[[Config], Provider]


def _default_factory(config: Config) -> Provider:
    return create_provider(config.provider)


@dataclass
class Run:
    """What one command did against one account."""

    config: Config
    plan: Plan
    applied: ApplyResult | None = None
    requests: int = 0
    warnings: list[str] = field(default_factory=list)


async def plan(config: Config, factory: ProviderFactory = _default_factory) -> Run:
    provider = factory(config)
    try:
        observed = await provider.read()
        result = diff(config.desired, observed, config.settings, provider.capabilities)
        return Run(config=config, plan=result, requests=provider.request_count)
    finally:
        await provider.aclose()


async def apply(
    config: Config,
    confirm: Callable[[Plan], bool],
    progress: Progress | None = None,
    factory: ProviderFactory = _default_factory,
) -> Run:
    """Plan, ask `confirm`, then carry the plan out with the same connection."""
    provider = factory(config)
    try:
        observed = await provider.read()
        result = diff(config.desired, observed, config.settings, provider.capabilities)
        run = Run(config=config, plan=result)
        if result.has_changes and confirm(result):
            run.applied = await provider.apply(result.changes, progress)
            run.warnings = [o.warning for o in run.applied.outcomes if o.warning]
        run.requests = provider.request_count
        return run
    finally:
        await provider.aclose()
