"""The membership step of plan, apply and drift, and what each step costs in requests.

Planning: after `diff`, when the config has rule-driven groups or tags, each scope
(the account on MailerLite, an audience on Mailchimp) is scanned once through the
provider and its members fed to a `MembershipPlanner`; only the differences are kept.
Applying: after every structural change succeeded, the provider adds and removes them.

Requests are the cost, so every step records how many it used (`RequestStep`), and a
scan how many pages it read: `--verbose` prints them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

from reconciler.config.model import Config
from reconciler.engine.membership import MembershipChange, MembershipPlanner
from reconciler.engine.plan import Plan
from reconciler.engine.rule_targets import by_scope, renames_in, rule_targets
from reconciler.model import Address
from reconciler.providers.base import (
    MembershipOutcome,
    MembershipProgress,
    MembershipProvider,
    Provider,
    ProviderError,
)


@dataclass(frozen=True)
class RequestStep:
    """The API requests one step of a run used."""

    #: "read", "scan of the account", "changes", "membership".
    what: str
    requests: int
    #: Pages read, for a scan.
    pages: int | None = None
    #: Subscribers seen, for a scan.
    members: int | None = None

    def __str__(self) -> str:
        text = f"{self.what}: {self.requests:,} request{'s' if self.requests != 1 else ''}"
        if self.pages is not None:
            text += f" ({self.pages:,} page{'s' if self.pages != 1 else ''}"
            if self.members is not None:
                text += f", {self.members:,} subscribers"
            text += ")"
        return text


def accounting_text(steps: Sequence[RequestStep]) -> str:
    """`API requests: 104 (read: 3 requests; scan of the account: 100 requests (...))`."""
    total = sum(step.requests for step in steps)
    return f"API requests: {total:,} ({'; '.join(str(step) for step in steps)})"


def membership_provider(provider: Provider) -> MembershipProvider:
    if not hasattr(provider, "scan_members") or not hasattr(provider, "apply_membership"):
        raise ProviderError(
            f"the {provider.name} provider cannot keep rule-driven membership; remove the "
            "`rule:` entries from the configuration"
        )
    return cast(MembershipProvider, provider)


async def plan_membership(
    config: Config, provider: Provider, full: Plan, steps: list[RequestStep]
) -> list[MembershipChange]:
    """The membership changes of `full` (the whole structural plan, before --target),
    scanning each scope once; nothing is read when the config has no rule."""
    targets = rule_targets(config.desired, full, config.catalogs)
    if not targets:
        return []
    members = membership_provider(provider)
    now = dt.datetime.now(dt.UTC)
    changes: list[MembershipChange] = []
    for scope, scoped in by_scope(targets).items():
        planner = MembershipPlanner(scoped, now, renames=renames_in(full, scope))
        before, pages = provider.request_count, 0
        # Targets of one scope share its remote address: the old one if it is renamed.
        async for page in members.scan_members(scoped[0].scan_scope):
            pages += 1
            planner.feed(page)
        steps.append(
            RequestStep(
                f"scan of {_scope_name(scope)}",
                provider.request_count - before,
                pages=pages,
                members=planner.members_seen,
            )
        )
        changes += planner.changes()
    return changes


async def apply_membership(
    provider: Provider,
    changes: Sequence[MembershipChange],
    steps: list[RequestStep],
    progress: MembershipProgress | None = None,
) -> list[MembershipOutcome]:
    if not changes:
        return []
    before = provider.request_count
    outcomes = await membership_provider(provider).apply_membership(changes, progress)
    steps.append(RequestStep("membership", provider.request_count - before))
    return outcomes


def _scope_name(scope: Address | None) -> str:
    return "the account" if scope is None else str(scope)
