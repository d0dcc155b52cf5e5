"""A provider that returns fewer outcomes than changes, none failed: the rest are unknown.

Providers stop at the first failure, so only a failure may leave changes without an
outcome. An outcome missing otherwise (a provider bug) must not pass for success: the
changes without one are reported as in an unknown state, the apply fails, and the
members of rule-driven groups, which may need those changes, are left alone.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

import pytest

from reconciler import workflow
from reconciler.config import load_config
from reconciler.engine import Change
from reconciler.providers.base import ApplyResult, Outcome, Progress, Provider
from reconciler.providers.registry import create_provider
from tests.cli.test_rules_mailerlite import api as _account

CONFIG = """\
provider: {type: mailerlite, sandbox: sb.db}
groups:
  Alpha: {}
  Active: {rule: {status: active}}
"""


def losing_last_outcome(provider: Provider) -> Provider:
    """The provider, except that it never returns the last change's outcome."""
    real = provider.apply

    async def apply(changes: Sequence[Change], progress: Progress | None = None) -> ApplyResult:
        last = changes[-1].address

        def report(outcome: Outcome) -> None:
            if progress is not None and outcome.change.address != last:
                progress(outcome)

        result = await real(changes, report)
        return ApplyResult([o for o in result.outcomes if o.change.address != last])

    provider.apply = apply  # type: ignore[method-assign]
    return provider


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    path = tmp_path / "espform.yaml"
    path.write_text(CONFIG)
    with _account(tmp_path / "sb.db") as account:
        body = {"email": "ann@example.com", "status": "active"}
        assert account.post("/api/subscribers", json=body).status_code == 201
    return path


def _members(db: Path, name: str) -> int:
    with _account(db) as account:
        groups = account.get("/api/groups", params={"limit": 1000}).json()["data"]
        (group,) = [g for g in groups if g["name"] == name]
        listed = account.get(f"/api/groups/{group['id']}/subscribers").json()["data"]
        return len(listed)


def test_a_change_without_an_outcome_is_unknown_and_stops_the_members(config_path) -> None:
    config = load_config(config_path)

    async def go() -> workflow.Run:
        factory = lambda c: losing_last_outcome(create_provider(c.provider))  # noqa: E731
        async with workflow.Accounts([config], factory) as accounts:
            (run,) = await accounts.plan()
            assert isinstance(run, workflow.Run) and run.plan.membership
            await accounts.execute(run)
            return run

    run = asyncio.run(go())
    assert run.applied is not None and not run.applied.ok
    (unknown,) = run.applied.unknown
    assert unknown.change.address == run.plan.changes[-1].address
    assert unknown.error == workflow.NO_OUTCOME
    assert len(run.applied.outcomes) == len(run.plan.changes)
    assert run.membership_applied is None


def test_apply_exits_1_naming_the_change_and_touches_no_member(
    config_path, espform, monkeypatch
) -> None:
    monkeypatch.setattr(
        workflow, "create_provider", lambda settings: losing_last_outcome(create_provider(settings))
    )
    result = espform("apply", "-c", config_path, "--auto-approve")

    assert result.exit_code == 1, result.output
    assert f'mailerlite.group["Active"]: state unknown: {workflow.NO_OUTCOME}' in result.output
    assert (
        "1 change may or may not have been made (the provider returned no outcome): "
        'mailerlite.group["Active"]' in result.output
    )
    assert "apply stopped at a change without an outcome" in result.output
    assert "No member of a rule-driven group was changed." in result.output
    assert "Traceback" not in result.output
    # The group was made all the same; its member was not added.
    assert _members(config_path.parent / "sb.db", "Active") == 0
