"""`espform drift`: report how the account differs from the config, for a schedule."""

from __future__ import annotations

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
    account_label,
    config_option,
    echo_error,
    echo_requests,
    failure_lines,
    format_option,
    load_all,
    run_async,
    select_configs,
    use_color,
    verbose_option,
    worst,
    write_text,
)
from reconciler.render import accounts as grouped
from reconciler.render.drift import render_drift_text
from reconciler.render.json_document import drift_document, render_drift_json
from reconciler.render.markdown import DRIFT_MARKER, render_drift_markdown

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
@verbose_option
def drift(
    config_paths: tuple[str, ...],
    fmt: str,
    report_path: str | None,
    unmanaged_is_drift: bool,
    verbose: bool,
) -> None:
    """Report what in the account differs from the config; change nothing.

    \b
    Reported, and counted as drift:
      changed     declared objects that differ (apply would update, rename or replace)
      missing     declared objects that are absent (apply would create them)
      unexpected  undeclared objects of a kind settings.prune owns (apply would delete)
      membership  members of rule-driven groups that the rules would add or remove
    Reported, not counted as drift unless --unmanaged-is-drift is given:
      not managed undeclared objects of kinds the config does not prune. The config
                  says espform does not own them, so their presence is not a
                  difference from it; counting them would keep a schedule failing for
                  objects other tools or people are meant to create.

    Safety thresholds do not apply: drift changes nothing.

    Exit codes: 0 no drift, 2 drift, 1 error (with several accounts, the worst).
    """
    selection = select_configs(config_paths)
    configs = load_all(selection)
    results = run_async(workflow.drift_all(configs, unmanaged_is_drift=unmanaged_is_drift))
    pairs = list(zip(selection.paths, results, strict=True))
    if selection.many:
        _report_many(pairs, fmt, report_path)
    else:
        _report_one(*pairs[0], fmt, report_path)
    if verbose:
        for path, result in pairs:
            if isinstance(result, workflow.Drift):
                echo_requests(result.run.steps, path if selection.many else None)
    code = worst(_code(r) for r in results)
    if code != EXIT_OK:
        sys.exit(code)


def _code(result: workflow.Drift | workflow.Failed) -> int:
    if isinstance(result, workflow.Failed):
        return EXIT_ERROR
    return EXIT_CHANGES if result.report.drifted else EXIT_OK


def _account(result: workflow.Drift, config_path: str) -> str:
    origin = result.run.origin
    return account_label(origin.provider, origin.target, config_path)


def _report_one(
    config_path: str, result: workflow.Drift | workflow.Failed, fmt: str, report_path: str | None
) -> None:
    if isinstance(result, workflow.Failed):
        echo_error(failure_lines(result.error))
        return
    origin, report = result.run.origin, result.report
    account = _account(result, config_path)
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


def _report_many(
    pairs: Sequence[tuple[str, workflow.Drift | workflow.Failed]],
    fmt: str,
    report_path: str | None,
) -> None:
    if fmt in ("json", "markdown"):
        click.echo(_json(pairs) if fmt == "json" else _markdown(pairs))
        for _path, result in pairs:
            if isinstance(result, workflow.Failed):
                echo_error(failure_lines(result.error))
    else:
        color = use_color()
        for path, result in pairs:
            click.echo(grouped.heading(path))
            if isinstance(result, workflow.Failed):
                echo_error(failure_lines(result.error))
            else:
                click.echo(
                    render_drift_text(result.report, account=_account(result, path), color=color)
                )
            click.echo("")
        click.echo(grouped.overview_text([grouped.Section(p, _outcome(r)) for p, r in pairs]))
    if report_path is not None:
        is_json = REPORT_FORMATS[Path(report_path).suffix.lower()] == "json"
        write_text(report_path, _json(pairs) if is_json else _markdown(pairs))


def _outcome(result: workflow.Drift | workflow.Failed) -> str:
    if isinstance(result, workflow.Failed):
        return "failed: could not be checked"
    return result.report.summary()


def _json(pairs: Sequence[tuple[str, workflow.Drift | workflow.Failed]]) -> str:
    entries = {
        path: (
            grouped.error_document(path, failure_lines(r.error))
            if isinstance(r, workflow.Failed)
            else drift_document(r.report, r.run.origin)
        )
        for path, r in pairs
    }
    return grouped.accounts_json(grouped.DRIFTS_DOCUMENT, entries)


def _markdown(pairs: Sequence[tuple[str, workflow.Drift | workflow.Failed]]) -> str:
    room = grouped.room_per_account(len(pairs))
    sections = []
    for path, r in pairs:
        if isinstance(r, workflow.Failed):
            body = grouped.error_markdown(path, failure_lines(r.error))
        else:
            body = render_drift_markdown(
                r.report, account=_account(r, path), limit=room, marker=False
            )
        sections.append(grouped.Section(path, _outcome(r), body))
    return grouped.render_markdown(
        DRIFT_MARKER, f"espform drift check of {len(pairs)} accounts", sections
    )
