"""The steps behind each command: load, read, diff, check, and carry out.

Kept apart from the CLI so the commands stay thin and the steps can be driven from
tests or other programs without click.

Several accounts (one config file each) are read and planned concurrently: each has
its own provider, connection and rate limit, so one slow ESP does not hold up the
others. They are then applied one at a time, so that output, confirmation and a
failure each belong to one account.

With rule-driven groups or tags, planning also scans the subscribers (see
`membership_step`), and applying adds and removes members after every structural
change succeeded.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from reconciler.config.model import Config
from reconciler.engine import Change, Plan, diff
from reconciler.engine.dependents import Dependents, merged
from reconciler.engine.drift import DriftReport, drift_report
from reconciler.engine.fingerprint import (
    PlanOrigin,
    compare_fingerprints,
    fingerprints_at,
    plan_fingerprints,
)
from reconciler.engine.safety import Census, Violation, standing
from reconciler.engine.safety import check as safety_check
from reconciler.engine.target import (
    TargetError,
    known_addresses,
    select,
    unknown_message,
    unknown_targets,
)
from reconciler.errors import IssuesError
from reconciler.membership_step import RequestStep, apply_membership, plan_membership
from reconciler.model import Address, State
from reconciler.planfile import (
    SavedPlan,
    StalePlanError,
    check_account,
    config_digest,
    merge_items,
    replan_hint,
    stale_items,
)
from reconciler.providers.base import (
    ApplyResult,
    MembershipOutcome,
    MembershipProgress,
    Progress,
    Provider,
    ProviderError,
)
from reconciler.providers.base import (
    Outcome as ChangeOutcome,
)
from reconciler.providers.registry import create_provider

ProviderFactory = Callable[[Config], Provider]

#: Failures that belong to one account and are reported with it; anything else is a bug.
ACCOUNT_ERRORS = (IssuesError, ProviderError, StalePlanError)


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
    #: Every safety violation of the plan, those --force lifts included.
    violations: list[Violation] = field(default_factory=list)
    #: Thresholds are lifted (--force, or a saved plan made with it); protection never is.
    forced: bool = False
    #: Addresses declared or present in the account: what a --target may name.
    known: frozenset[Address] = frozenset()
    #: What apply did to the members of rule-driven groups or tags; None if not tried.
    membership_applied: list[MembershipOutcome] | None = None
    #: The API requests each step used, in order (for --verbose).
    steps: list[RequestStep] = field(default_factory=list)

    @property
    def membership_ok(self) -> bool:
        return all(o.ok for o in self.membership_applied or ())

    @property
    def refusals(self) -> list[Violation]:
        """The violations that stop this plan from being applied."""
        return standing(self.violations, force=self.forced)

    @property
    def overridden(self) -> list[Violation]:
        """The violations --force lifted: still shown, so nobody forces blindly."""
        refused = self.refusals
        return [v for v in self.violations if v not in refused]


@dataclass
class Failed:
    """An account that could not be planned; the error says why."""

    config: Config
    error: Exception


Outcome = Run | Failed


@dataclass
class Drift:
    run: Run
    report: DriftReport


class Accounts:
    """Connections to one or more accounts, planned together and applied one by one.

    Use as `async with Accounts(configs) as accounts:`; every connection is closed on
    the way out, whatever happened.
    """

    def __init__(
        self, configs: Sequence[Config], factory: ProviderFactory = _default_factory
    ) -> None:
        self.configs = list(configs)
        self._factory = factory
        self._providers: list[Provider] = []

    async def __aenter__(self) -> Accounts:
        try:
            for config in self.configs:
                self._providers.append(self._factory(config))
        except BaseException:
            await self.__aexit__(None, None, None)
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await asyncio.gather(*(p.aclose() for p in self._providers), return_exceptions=True)

    async def plan(self, *, targets: Sequence[Address] = (), force: bool = False) -> list[Outcome]:
        """Read and plan every account at once; raises TargetError when a target names
        nothing in any account."""
        outcomes = await asyncio.gather(
            *(
                _captured(config, _prepare(config, provider, targets, force))
                for config, provider in zip(self.configs, self._providers, strict=True)
            )
        )
        for outcome, provider in zip(outcomes, self._providers, strict=True):
            if isinstance(outcome, Run):
                outcome.requests = provider.request_count
        _check_targets(outcomes, targets)
        return list(outcomes)

    async def execute(
        self,
        run: Run,
        progress: Progress | None = None,
        membership_progress: MembershipProgress | None = None,
    ) -> None:
        """Carry out one account's plan, unless a safety check refuses it."""
        if run.refusals or not run.plan.has_changes:
            return
        provider = self._providers[self._index(run)]
        await _carry_out(provider, run, progress, membership_progress)

    def _index(self, run: Run) -> int:
        return next(i for i, config in enumerate(self.configs) if config is run.config)


async def _captured(config: Config, step: Coroutine[Any, Any, Run]) -> Outcome:
    try:
        return await step
    except ACCOUNT_ERRORS as err:
        return Failed(config, err)


async def _carry_out(
    provider: Provider,
    run: Run,
    progress: Progress | None,
    membership_progress: MembershipProgress | None,
) -> None:
    """Structural changes first, then members, which need the groups to exist; members
    are not touched after a failed change."""
    before = provider.request_count
    run.applied = ApplyResult()
    if run.plan.changes:
        run.applied = await provider.apply(run.plan.changes, progress)
        _account_for_every_change(run.plan.changes, run.applied, progress)
        run.warnings = [o.warning for o in run.applied.outcomes if o.warning]
        run.steps.append(RequestStep("changes", provider.request_count - before))
    if run.applied.ok and run.plan.membership:
        run.membership_applied = await apply_membership(
            provider, run.plan.membership, run.steps, membership_progress
        )
    run.requests = provider.request_count


#: The error of a change the provider returned no outcome for, though none failed.
NO_OUTCOME = (
    "the provider returned no outcome for this change, so it may or may not have been "
    "made; run plan to see what is left"
)


def _account_for_every_change(
    changes: Sequence[Change], applied: ApplyResult, progress: Progress | None
) -> None:
    """A provider stops at the first failure, so only then may changes lack an outcome.
    Otherwise a change without one is in an unknown state, never taken as done: the
    apply fails and the members that may need it are not touched."""
    if not applied.ok:
        return
    answered = {outcome.change.address for outcome in applied.outcomes}
    for change in changes:
        if change.address not in answered:
            outcome = ChangeOutcome(change, ok=False, error=NO_OUTCOME, unknown=True)
            applied.outcomes.append(outcome)
            if progress is not None:
                progress(outcome)


def dependents_of(config: Config, observed: State | None) -> Dependents:
    """What depends on the account's objects from outside the declarations: the
    integrations the config names and the automations the account holds."""
    return merged(config.dependents)


async def _observe(
    config: Config, provider: Provider, steps: list[RequestStep]
) -> tuple[State, Plan]:
    """Read the account and plan all of it, membership included."""
    before = provider.request_count
    observed = await provider.read()
    steps.append(RequestStep("read", provider.request_count - before))
    full = diff(config.desired, observed, config.settings, provider.capabilities)
    full.membership = await plan_membership(config, provider, full, steps)
    return observed, full


async def _prepare(
    config: Config, provider: Provider, targets: Sequence[Address], force: bool
) -> Run:
    steps: list[RequestStep] = []
    observed, full = await _observe(config, provider, steps)
    result = select(full, targets)
    return Run(
        config=config,
        plan=result,
        origin=origin_of(config, result, observed),
        violations=safety_check(
            result,
            Census.of(observed, config.settings),
            config.settings,
            dependents=dependents_of(config, observed),
        ),
        forced=force,
        known=known_addresses(config.desired, observed),
        steps=steps,
    )


def _check_targets(outcomes: Sequence[Outcome], targets: Sequence[Address]) -> None:
    """A target must name something in at least one account. Skipped when an account
    failed: the target may be in it, and the command fails anyway."""
    if not targets or any(isinstance(o, Failed) for o in outcomes):
        return
    known: frozenset[Address] = frozenset()
    for outcome in outcomes:
        if isinstance(outcome, Run):
            known |= outcome.known
    unknown = unknown_targets(targets, known)
    if unknown:
        raise TargetError(unknown_message(unknown, known))


async def plan_all(
    configs: Sequence[Config],
    factory: ProviderFactory = _default_factory,
    *,
    targets: Sequence[Address] = (),
    force: bool = False,
) -> list[Outcome]:
    """Read and plan every account at once, for a command that changes nothing; every
    connection is closed before it returns."""
    async with Accounts(configs, factory) as accounts:
        return await accounts.plan(targets=targets, force=force)


def blocked(outcomes: Sequence[Outcome]) -> bool:
    """Whether apply must change no account at all: one could not be planned, or a
    safety check refuses its plan. Every account is checked before any is changed, so
    that a set of accounts is never left half applied by a plan that was bad anyway."""
    return any(isinstance(o, Failed) or o.refusals for o in outcomes)


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
    *,
    force: bool = False,
    membership_progress: MembershipProgress | None = None,
) -> Run:
    """Carry out a saved plan, exactly, or refuse with StalePlanError and change nothing.

    The config must point at the account the plan was made for (same provider, same
    host or the sandbox; WrongAccountError otherwise). The config file must be byte for
    byte the one planned with; the objects the plan
    touches must still have their fingerprints; and planning again (narrowed to the
    saved targets) must give the very same changes, which also catches changes to
    objects the plan did not touch, and the very same members to add and remove. The
    safety checks run again on that fresh plan: thresholds are lifted if the plan was
    saved with --force or `force` is given, protection never. A refused plan is
    returned unapplied.
    """
    check_account(saved, config.provider.type, describe_target(config), config.path)
    current = config_digest(config.path)
    if current != saved.config_digest:
        raise StalePlanError(
            f"the config file {config.path} changed since the plan {saved.path} was made "
            f"(planned with {saved.config_digest[:19]}…, now {current[:19]}…); nothing "
            f"was changed. {replan_hint(saved.path)}"
        )
    if not saved.has_changes:
        # Nothing to carry out, so nothing to check against the account either.
        empty = Plan(provider=saved.provider, targets=saved.targets)
        origin = PlanOrigin(saved.provider, saved.target, current, {})
        return Run(config=config, plan=empty, origin=origin, applied=ApplyResult())
    provider = factory(config)
    try:
        steps: list[RequestStep] = []
        observed, full = await _observe(config, provider, steps)
        fresh = select(full, saved.targets)
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
        run = Run(
            config=config,
            plan=fresh,
            origin=origin_of(config, fresh, observed),
            violations=safety_check(
                fresh,
                Census.of(observed, config.settings),
                config.settings,
                dependents=dependents_of(config, observed),
            ),
            forced=force or saved.forced,
            steps=steps,
        )
        if not run.refusals:
            # The fresh changes equal the saved ones and carry the ids just read.
            await _carry_out(provider, run, progress, membership_progress)
        run.requests = provider.request_count
        return run
    finally:
        await provider.aclose()


async def drift_all(
    configs: Sequence[Config],
    factory: ProviderFactory = _default_factory,
    *,
    unmanaged_is_drift: bool = False,
) -> list[Drift | Failed]:
    """Drift reports differences; it changes nothing, so no threshold applies to it."""
    return [
        o
        if isinstance(o, Failed)
        else Drift(
            o,
            drift_report(
                o.plan,
                unmanaged_is_drift=unmanaged_is_drift,
                dependents=dependents_of(o.config, None),
            ),
        )
        for o in await plan_all(configs, factory)
    ]
