"""The steps behind each command: load, read, diff, and carry out.

Kept apart from the CLI so the commands stay thin and the steps can be driven from
tests or other programs without click.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from reconciler.config.model import Config
from reconciler.engine import Plan, diff
from reconciler.engine.fingerprint import (
    PlanOrigin,
    compare_fingerprints,
    fingerprints_at,
    plan_fingerprints,
)
from reconciler.model import State
from reconciler.planfile import (
    SavedPlan,
    StalePlanError,
    config_digest,
    merge_items,
    replan_hint,
    stale_items,
)
from reconciler.providers.base import ApplyResult, Progress, Provider
from reconciler.providers.registry import create_provider
from reconciler.render.drift import DriftReport, drift_report

ProviderFactory = Callable[[Config], Provider]


def _default_factory(config: Config) -> Provider:
    return create_provider(config.provider)


@dataclass
class Run:
    """What one command did against one account."""

    config: Config
    plan: Plan
    #: What the plan was computed against; saved with it by `plan --out`.
    origin: PlanOrigin
    applied: ApplyResult | None = None
    requests: int = 0
    warnings: list[str] = field(default_factory=list)


@dataclass
class Drift:
    run: Run
    report: DriftReport


async def plan(config: Config, factory: ProviderFactory = _default_factory) -> Run:
    provider = factory(config)
    try:
        observed = await provider.read()
        result = diff(config.desired, observed, config.settings, provider.capabilities)
        origin = origin_of(config, result, observed)
        return Run(config=config, plan=result, origin=origin, requests=provider.request_count)
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
        run = Run(config=config, plan=result, origin=origin_of(config, result, observed))
        if result.has_changes and confirm(result):
            run.applied = await provider.apply(result.changes, progress)
            run.warnings = [o.warning for o in run.applied.outcomes if o.warning]
        run.requests = provider.request_count
        return run
    finally:
        await provider.aclose()


def describe_target(config: Config) -> str:
    """Where the account lives, for reports: never a credential, path or query string."""
    provider = config.provider
    if provider.sandbox is not None:
        return "embedded sandbox"
    if provider.base_url:
        host = urlsplit(provider.base_url).hostname
        if host:
            return host
    return "default API"


def origin_of(config: Config, plan: Plan, observed: State) -> PlanOrigin:
    return PlanOrigin(
        provider=plan.provider,
        target=describe_target(config),
        config_digest=config_digest(config.path),
        fingerprints=plan_fingerprints(plan, observed),
    )


async def apply_saved(
    config: Config,
    saved: SavedPlan,
    progress: Progress | None = None,
    factory: ProviderFactory = _default_factory,
) -> Run:
    """Carry out a saved plan, exactly, or refuse with StalePlanError and change nothing.

    The config file must be byte for byte the one planned with; the objects the plan
    touches must still have their fingerprints; and planning again must give the very
    same changes (which also catches changes to objects the plan did not touch).
    """
    current = config_digest(config.path)
    if current != saved.config_digest:
        raise StalePlanError(
            f"the config file {config.path} changed since the plan {saved.path} was made "
            f"(planned with {saved.config_digest[:19]}…, now {current[:19]}…); nothing "
            f"was changed. {replan_hint(saved.path)}"
        )
    if not saved.has_changes:
        # Nothing to carry out, so nothing to check against the account either.
        empty = Plan(provider=saved.provider)
        origin = PlanOrigin(saved.provider, saved.target, current, {})
        return Run(config=config, plan=empty, origin=origin, applied=ApplyResult())
    provider = factory(config)
    try:
        observed = await provider.read()
        fresh = diff(config.desired, observed, config.settings, provider.capabilities)
        mismatches = compare_fingerprints(
            saved.fingerprints, fingerprints_at(saved.fingerprints, observed)
        )
        items = stale_items(saved, mismatches, fresh)
        if items:
            raise StalePlanError(
                f"the saved plan {saved.path} is stale: the account no longer matches what "
                f"was planned; nothing was changed. {replan_hint(saved.path)}",
                merge_items(items),
            )
        run = Run(config=config, plan=fresh, origin=origin_of(config, fresh, observed))
        # The fresh changes equal the saved ones and carry the ids just read.
        run.applied = await provider.apply(fresh.changes, progress)
        run.warnings = [o.warning for o in run.applied.outcomes if o.warning]
        run.requests = provider.request_count
        return run
    finally:
        await provider.aclose()


async def drift(
    config: Config,
    *,
    unmanaged_is_drift: bool = False,
    factory: ProviderFactory = _default_factory,
) -> Drift:
    run = await plan(config, factory)
    return Drift(run, drift_report(run.plan, unmanaged_is_drift=unmanaged_is_drift))
