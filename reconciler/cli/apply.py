"""`espform apply`: plan, confirm, and make exactly the planned changes.

With a saved plan (`espform apply FILE`) it makes exactly the saved changes without
asking, as Terraform does: the review happened when the plan was saved. It refuses if
the config or the account changed since.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from reconciler import workflow
from reconciler.cli.common import PAST, Command, config_option, fail, load, run_async, use_color
from reconciler.engine import Action, Plan
from reconciler.planfile import PlanFileError, read_plan
from reconciler.providers.base import Outcome
from reconciler.render.text import render_plan


@click.command(cls=Command)
@click.argument("plan_file", required=False, type=click.Path(dir_okay=False))
@config_option
@click.option(
    "--auto-approve",
    is_flag=True,
    help="Apply without asking for confirmation (not needed with a saved plan).",
)
def apply(plan_file: str | None, config_path: str, auto_approve: bool) -> None:
    """Make the changes the config needs; with PLAN_FILE, exactly the saved ones.

    PLAN_FILE is written by `espform plan --out PLAN_FILE`. It is applied only if the
    config file is unchanged and the objects it touches are as they were when it was
    planned; otherwise nothing is changed and apply exits 1.
    """
    if plan_file is not None:
        _apply_saved(Path(plan_file), config_path)
        return
    config = load(config_path)
    color = use_color()
    if not auto_approve and not sys.stdin.isatty():
        # Decided before reading the account so that CI fails fast and clearly.
        fail(
            "apply needs confirmation, but standard input is not a terminal. "
            "Review the plan with `espform plan`, then run `espform apply --auto-approve`, "
            "or save it with `espform plan --out FILE` and run `espform apply FILE`."
        )

    def confirm(result: Plan) -> bool:
        click.echo(render_plan(result, color=color))
        if auto_approve:
            return True
        click.echo("")
        return click.confirm("Do you want to perform these actions?", default=False)

    result = run_async(workflow.apply(config, confirm, _progress))
    if not result.plan.has_changes:
        click.echo(render_plan(result.plan, color=color))
        return
    if result.applied is None:
        click.echo("Apply cancelled; nothing was changed.")
        return
    _report(result, color)


def _apply_saved(path: Path, config_path: str) -> None:
    try:
        saved = read_plan(path)
    except PlanFileError as err:
        fail(str(err))
    config = load(config_path)
    result = run_async(workflow.apply_saved(config, saved, _progress))
    if not result.plan.has_changes:
        click.echo(f"The saved plan {path} has no changes; nothing was changed.")
        return
    _report(result, use_color())


def _progress(outcome: Outcome) -> None:
    change = outcome.change
    if outcome.ok:
        rid = outcome.result.id if outcome.result is not None else change.remote_id
        suffix = f" (id {rid})" if rid else ""
        click.echo(f"{change.address}: {PAST[change.action]}{suffix}")
    else:
        click.echo(f"{change.address}: failed: {outcome.error}", err=True)


def _report(result: workflow.Run, color: bool) -> None:
    applied = result.applied
    if applied is None:
        return
    for warning in result.warnings:
        click.echo(f"Warning: {warning}", err=True)
    done = [o for o in applied.outcomes if o.ok]
    counts = {action: sum(1 for o in done if o.change.action is action) for action in Action}
    summary = ", ".join(f"{counts[a]} {PAST[a]}" for a in Action)
    if not applied.ok:
        left = len(result.plan.changes) - len(applied.outcomes)
        fail(
            f"apply stopped at a failed change ({summary}; {left} not attempted). "
            "Fix the cause, then run plan again: it shows what is left."
        )
    message = f"Apply complete! {summary}."
    click.echo(click.style(message, bold=True) if color else message)
