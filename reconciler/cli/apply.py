"""`espform apply`: plan, confirm, and make exactly the planned changes."""

from __future__ import annotations

import sys

import click

from reconciler import workflow
from reconciler.cli.common import PAST, config_option, fail, load, run_async, use_color
from reconciler.engine import Action, Plan
from reconciler.providers.base import Outcome
from reconciler.render.text import render_plan


@click.command()
@config_option
@click.option("--auto-approve", is_flag=True, help="Apply without asking for confirmation.")
def apply(config_path: str, auto_approve: bool) -> None:
    """Plan, ask for confirmation, then make exactly the planned changes."""
    config = load(config_path)
    color = use_color()
    if not auto_approve and not sys.stdin.isatty():
        # Decided before reading the account so that CI fails fast and clearly.
        fail(
            "apply needs confirmation, but standard input is not a terminal. "
            "Review the plan with `espform plan`, then run `espform apply --auto-approve`."
        )

    def confirm(result: Plan) -> bool:
        click.echo(render_plan(result, color=color))
        if auto_approve:
            return True
        click.echo("")
        return click.confirm("Do you want to perform these actions?", default=False)

    def progress(outcome: Outcome) -> None:
        change = outcome.change
        if outcome.ok:
            rid = outcome.result.id if outcome.result is not None else change.remote_id
            suffix = f" (id {rid})" if rid else ""
            click.echo(f"{change.address}: {PAST[change.action]}{suffix}")
        else:
            click.echo(f"{change.address}: failed: {outcome.error}", err=True)

    result = run_async(workflow.apply(config, confirm, progress))
    if not result.plan.has_changes:
        click.echo(render_plan(result.plan, color=color))
        return
    if result.applied is None:
        click.echo("Apply cancelled; nothing was changed.")
        return
    for warning in result.warnings:
        click.echo(f"Warning: {warning}", err=True)
    done = [o for o in result.applied.outcomes if o.ok]
    counts = {action: sum(1 for o in done if o.change.action is action) for action in Action}
    summary = ", ".join(f"{counts[a]} {PAST[a]}" for a in Action)
    if not result.applied.ok:
        left = len(result.plan.changes) - len(result.applied.outcomes)
        fail(
            f"apply stopped at a failed change ({summary}; {left} not attempted). "
            "Fix the cause, then run plan again: it shows what is left."
        )
    click.echo(
        click.style(f"Apply complete! {summary}.", bold=True)
        if color
        else f"Apply complete! {summary}."
    )
