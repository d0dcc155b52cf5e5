"""`espform plan`: show what apply would do, and optionally save it for `apply FILE`."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import click

from reconciler import workflow
from reconciler.cli.common import (
    EXIT_CHANGES,
    Command,
    account_label,
    config_option,
    fail,
    format_option,
    load,
    run_async,
    use_color,
)
from reconciler.planfile import PlanFileError, write_plan
from reconciler.render.json_document import render_json
from reconciler.render.markdown import render_plan_markdown
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
    "out exactly these changes or refuses if the account or config changed since.",
)
def plan(config_path: str, detailed_exitcode: bool, fmt: str, out_path: str | None) -> None:
    """Read the account, compare it with the config, and show what apply would do."""
    config = load(config_path)
    result = run_async(workflow.plan(config))
    origin = result.origin
    if fmt == "json":
        click.echo(render_json(result.plan, origin))
    elif fmt == "markdown":
        account = account_label(origin.provider, origin.target, config_path)
        click.echo(render_plan_markdown(result.plan, account=account))
    else:
        click.echo(render_plan(result.plan, color=use_color()))
    if out_path is not None:
        try:
            write_plan(Path(out_path), result.plan, origin)
        except PlanFileError as err:
            fail(str(err))
        # On stderr, so that stdout stays exactly the chosen format.
        command = f"espform apply {shlex.quote(out_path)} -c {shlex.quote(config_path)}"
        click.echo(
            f"Saved the plan to {out_path}. To make exactly these changes, run: {command}",
            err=True,
        )
    if detailed_exitcode and result.plan.has_changes:
        sys.exit(EXIT_CHANGES)
