"""`espform drift`: report how the account differs from the config, for a schedule."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from reconciler import workflow
from reconciler.cli.common import (
    EXIT_CHANGES,
    Command,
    account_label,
    config_option,
    format_option,
    load,
    run_async,
    use_color,
    write_text,
)
from reconciler.render.drift import render_drift_text
from reconciler.render.json_document import render_drift_json
from reconciler.render.markdown import render_drift_markdown

#: Report formats by file extension; anything else is refused before the account is read.
REPORT_FORMATS = {".md": "markdown", ".json": "json"}


def _report_path(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None and Path(value).suffix.lower() not in REPORT_FORMATS:
        raise click.BadParameter(
            f"{value!r} must end in .md (Markdown) or .json (JSON); the extension "
            "chooses the report's format."
        )
    return value


@click.command(cls=Command)
@config_option
@format_option
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False),
    callback=_report_path,
    help="Also write the report to this file: Markdown for .md, JSON for .json.",
)
@click.option(
    "--unmanaged-is-drift",
    is_flag=True,
    help="Count undeclared objects of unpruned kinds as drift too (exit 2).",
)
def drift(config_path: str, fmt: str, report_path: str | None, unmanaged_is_drift: bool) -> None:
    """Report what in the account differs from the config; change nothing.

    \b
    Reported, and counted as drift:
      changed     declared objects that differ (apply would update, rename or replace)
      missing     declared objects that are absent (apply would create them)
      unexpected  undeclared objects of a kind settings.prune owns (apply would delete)
    Reported, not counted as drift unless --unmanaged-is-drift is given:
      not managed undeclared objects of kinds the config does not prune. The config
                  says espform does not own them, so their presence is not a
                  difference from it; counting them would keep a schedule failing for
                  objects other tools or people are meant to create.

    Exit codes: 0 no drift, 2 drift, 1 error.
    """
    config = load(config_path)
    result = run_async(workflow.drift(config, unmanaged_is_drift=unmanaged_is_drift))
    origin, report = result.run.origin, result.report
    account = account_label(origin.provider, origin.target, config_path)
    if fmt == "json":
        click.echo(render_drift_json(report, origin))
    elif fmt == "markdown":
        click.echo(render_drift_markdown(report, account=account))
    else:
        click.echo(render_drift_text(report, account=account, color=use_color()))
    if report_path is not None:
        if REPORT_FORMATS[Path(report_path).suffix.lower()] == "json":
            write_text(report_path, render_drift_json(report, origin))
        else:
            write_text(report_path, render_drift_markdown(report, account=account))
    if report.drifted:
        sys.exit(EXIT_CHANGES)
