"""`espform plan`: show what apply would do, and optionally save it for `apply FILE`.

Like Terraform with `prevent_destroy`, a plan that a safety check refuses is still
shown in full, followed by the refusal, and exits 1: the reviewer sees both what was
planned and why it will not be applied.
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

import click

from reconciler import workflow
from reconciler.cli.common import (
    EXIT_CHANGES,
    EXIT_ERROR,
    EXIT_OK,
    Command,
    ConfigSelection,
    account_label,
    config_option,
    echo_error,
    echo_requests,
    fail,
    failure_lines,
    force_option,
    format_option,
    load_all,
    run_async,
    select_configs,
    target_option,
    targets_from,
    use_color,
    verbose_option,
    worst,
)
from reconciler.planfile import PlanFileError, write_plan
from reconciler.render import accounts as grouped
from reconciler.render.json_document import plan_document, render_json
from reconciler.render.markdown import PLAN_MARKER, render_plan_markdown
from reconciler.render.safety import overridden_text, refusal_text
from reconciler.render.text import render_plan


@click.command(cls=Command)
@config_option
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 2 when there are changes, 0 when there are none.",
)
@format_option
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False),
    help="Also save the plan (JSON, no secrets) for `espform apply FILE`, which carries "
    "out exactly these changes or refuses if the account or config changed since. "
    "One account only.",
)
@target_option
@force_option
@verbose_option
def plan(
    config_paths: tuple[str, ...],
    detailed_exitcode: bool,
    fmt: str,
    out_path: str | None,
    target_texts: tuple[str, ...],
    force: bool,
    verbose: bool,
) -> None:
    """Read the account, compare it with the config, and show what apply would do.

    Rule-driven groups (`rule:`) are planned by reading every subscriber once; the
    plan lists how many members each group gains and loses, with a few examples
    (--format json lists them all).

    Exit codes: 0 success (no changes, with --detailed-exitcode), 2 changes present
    (with --detailed-exitcode), 1 error or a plan refused by settings.protect or a
    threshold (max_change_percent, max_delete_percent, max_membership_change_percent;
    --force lifts thresholds).

    With several accounts (-c FOLDER, or -c repeated) each plan is shown under a
    heading naming its config file, and the exit code is the worst of them. JSON is
    then one document, {"document": "espform-plans", "accounts": {CONFIG: plan}},
    where an account that could not be planned has an "espform-error" document.
    """
    selection = select_configs(config_paths)
    if out_path is not None and selection.many:
        fail(
            "--out saves the plan of one account, but -c names a folder or several "
            "files; run `espform plan -c FILE --out PLAN` once per config file."
        )
    targets = targets_from(target_texts)
    configs = load_all(selection)
    outcomes = run_async(workflow.plan_all(configs, targets=targets, force=force))
    if selection.many:
        code = _report_many(selection, outcomes, fmt, detailed_exitcode)
    else:
        code = _report_one(selection.paths[0], outcomes[0], fmt, out_path, detailed_exitcode)
    if verbose:
        for path, outcome in zip(selection.paths, outcomes, strict=True):
            if isinstance(outcome, workflow.Run):
                echo_requests(outcome.steps, path if selection.many else None)
    if code != EXIT_OK:
        sys.exit(code)


def _code(outcome: workflow.Outcome, detailed: bool) -> int:
    if isinstance(outcome, workflow.Failed) or outcome.refusals:
        return EXIT_ERROR
    return EXIT_CHANGES if detailed and outcome.plan.has_changes else EXIT_OK


def _echo_safety(run: workflow.Run) -> None:
    """On stderr, so that stdout stays exactly the chosen format."""
    if run.overridden:
        click.echo(f"Warning: {overridden_text(run.overridden)}", err=True)
    if run.refusals:
        echo_error([refusal_text(run.refusals)])


def _report_one(
    config_path: str,
    outcome: workflow.Outcome,
    fmt: str,
    out_path: str | None,
    detailed: bool,
) -> int:
    if isinstance(outcome, workflow.Failed):
        echo_error(failure_lines(outcome.error))
        return EXIT_ERROR
    run, origin = outcome, outcome.origin
    if fmt == "json":
        click.echo(render_json(run.plan, origin, run.violations, forced=run.forced))
    elif fmt == "markdown":
        account = account_label(origin.provider, origin.target, config_path)
        click.echo(
            render_plan_markdown(
                run.plan, account=account, refusals=run.refusals, overridden=run.overridden
            )
        )
    else:
        click.echo(render_plan(run.plan, color=use_color()))
    _echo_safety(run)
    if out_path is not None:
        _save(run, config_path, out_path)
    return _code(run, detailed)


def _save(run: workflow.Run, config_path: str, out_path: str) -> None:
    if run.refusals:
        click.echo(f"The plan was not saved to {out_path}: it is refused.", err=True)
        return
    try:
        write_plan(Path(out_path), run.plan, run.origin, run.violations, forced=run.forced)
    except PlanFileError as err:
        fail(str(err))
    command = f"espform apply {shlex.quote(out_path)} -c {shlex.quote(config_path)}"
    click.echo(
        f"Saved the plan to {out_path}. To make exactly these changes, run: {command}",
        err=True,
    )


def _outcome_line(outcome: workflow.Outcome) -> str:
    if isinstance(outcome, workflow.Failed):
        return "failed: could not be planned (see its section)"
    summary = outcome.plan.summary()
    return summary + (" Refused by safety checks." if outcome.refusals else "")


def _report_many(
    selection: ConfigSelection, outcomes: Sequence[workflow.Outcome], fmt: str, detailed: bool
) -> int:
    pairs = list(zip(selection.paths, outcomes, strict=True))
    if fmt == "json":
        entries = {
            path: (
                grouped.error_document(path, failure_lines(o.error))
                if isinstance(o, workflow.Failed)
                else plan_document(o.plan, o.origin, o.violations, forced=o.forced)
            )
            for path, o in pairs
        }
        click.echo(grouped.accounts_json(grouped.PLANS_DOCUMENT, entries))
        for _path, o in pairs:
            if isinstance(o, workflow.Failed):
                echo_error(failure_lines(o.error))
            else:
                _echo_safety(o)
    elif fmt == "markdown":
        room = grouped.room_per_account(len(pairs))
        sections = []
        for path, o in pairs:
            if isinstance(o, workflow.Failed):
                body = grouped.error_markdown(path, failure_lines(o.error))
            else:
                body = render_plan_markdown(
                    o.plan,
                    account=account_label(o.origin.provider, o.origin.target, path),
                    limit=room,
                    refusals=o.refusals,
                    overridden=o.overridden,
                    marker=False,
                )
            sections.append(grouped.Section(path, _outcome_line(o), body))
        title = f"espform plan for {len(pairs)} accounts"
        click.echo(grouped.render_markdown(PLAN_MARKER, title, sections))
    else:
        color = use_color()
        for path, o in pairs:
            if isinstance(o, workflow.Failed):
                click.echo(grouped.heading(path))
                echo_error(failure_lines(o.error))
            else:
                click.echo(grouped.heading(path, f"{o.origin.provider} ({o.origin.target})"))
                click.echo(render_plan(o.plan, color=color))
                _echo_safety(o)
            click.echo("")
        click.echo(grouped.overview_text([grouped.Section(p, _outcome_line(o)) for p, o in pairs]))
    return worst(_code(o, detailed) for o in outcomes)
