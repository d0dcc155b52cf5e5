"""`espform plan`: show what apply would do."""

from __future__ import annotations

import sys

import click

from reconciler import workflow
from reconciler.cli.common import EXIT_CHANGES, config_option, load, run_async, use_color
from reconciler.render.json_document import render_json
from reconciler.render.text import render_plan


@click.command()
@config_option
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 2 when there are changes, 0 when there are none.",
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def plan(config_path: str, detailed_exitcode: bool, fmt: str) -> None:
    """Read the account, compare it with the config, and show what apply would do."""
    config = load(config_path)
    result = run_async(workflow.plan(config))
    if fmt == "json":
        click.echo(render_json(result.plan))
    else:
        click.echo(render_plan(result.plan, color=use_color()))
    if detailed_exitcode and result.plan.has_changes:
        sys.exit(EXIT_CHANGES)
