"""The multi-account steps behind plan, apply and drift, on embedded sandboxes."""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace
from pathlib import Path

import pytest

from reconciler import workflow
from reconciler.config import load_config
from reconciler.config.model import Config
from reconciler.engine.safety import Rule, Violation
from reconciler.engine.target import TargetError, parse_targets
from reconciler.providers.base import Provider, ProviderError
from reconciler.providers.registry import create_provider

A = "provider: {type: mailerlite, sandbox: a.db}\ngroups:\n  Alpha: {}\n"
B = "provider: {type: mailerlite, sandbox: b.db}\ngroups:\n  Beta: {}\n"


@pytest.fixture
def configs(tmp_path: Path) -> list[Config]:
    (tmp_path / "a.yaml").write_text(A)
    (tmp_path / "b.yaml").write_text(B)
    return [load_config(tmp_path / "a.yaml"), load_config(tmp_path / "b.yaml")]


def unreachable(bad: Config) -> workflow.ProviderFactory:
    """Providers as configured, except that `bad`'s account cannot be read."""

    def factory(config: Config) -> Provider:
        provider = create_provider(config.provider)
        if config is bad:

            async def read() -> None:
                raise ProviderError("the account could not be reached")

            provider.read = read  # type: ignore[method-assign]
        return provider

    return factory


def test_plan_all_plans_every_account_and_keeps_a_failure_with_its_account(configs) -> None:
    outcomes = asyncio.run(workflow.plan_all(configs, unreachable(configs[1])))
    good, bad = outcomes
    assert isinstance(good, workflow.Run) and good.config is configs[0]
    assert [str(c.address) for c in good.plan.changes] == ['mailerlite.group["Alpha"]']
    assert isinstance(bad, workflow.Failed) and bad.config is configs[1]
    assert str(bad.error) == "the account could not be reached"


def test_plan_all_refuses_a_target_that_no_account_knows(configs) -> None:
    targets = parse_targets(['mailerlite.group["Alpah"]'])
    with pytest.raises(TargetError, match=re.escape('did you mean mailerlite.group["Alpha"]')):
        asyncio.run(workflow.plan_all(configs, targets=targets))


def test_apply_is_blocked_by_any_failed_or_refused_account(configs) -> None:
    outcomes = asyncio.run(workflow.plan_all(configs, unreachable(configs[1])))
    assert workflow.blocked(outcomes)
    good = outcomes[0]
    assert isinstance(good, workflow.Run)
    assert not workflow.blocked([good])
    refused = replace(good, violations=[Violation(Rule.PROTECT, "Alpha is protected")])
    assert workflow.blocked([refused])
    # --force lifts thresholds, never protection.
    assert workflow.blocked([replace(refused, forced=True)])


def test_drift_all_reports_each_account_and_passes_failures_through(configs) -> None:
    results = asyncio.run(
        workflow.drift_all(configs, unreachable(configs[1]), unmanaged_is_drift=True)
    )
    drift, failed = results
    assert isinstance(drift, workflow.Drift)
    assert [str(c.address) for c in drift.report.missing] == ['mailerlite.group["Alpha"]']
    assert drift.report.drifted and drift.report.unmanaged_is_drift
    assert isinstance(failed, workflow.Failed)
