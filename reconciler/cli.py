"""The `espform` command. It only wires: config -> provider -> engine -> render."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import NoReturn

import click

from reconciler import __version__, workflow
from reconciler.config import load_config
from reconciler.config.model import Config
from reconciler.engine import Action, Plan
from reconciler.errors import IssuesError
from reconciler.providers.base import Outcome, ProviderError
from reconciler.render.json_document import render_json
from reconciler.render.text import render_plan

EXIT_OK, EXIT_ERROR, EXIT_CHANGES = 0, 1, 2

_PAST = {
    Action.CREATE: "created",
    Action.UPDATE: "updated",
    Action.RENAME: "renamed",
    Action.REPLACE: "replaced",
    Action.DELETE: "deleted",
}


def _use_color(stream: object = None) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    stream = stream or sys.stdout
    return bool(getattr(stream, "isatty", lambda: False)())


def _fail(message: str) -> NoReturn:
    click.echo(
        click.style("Error: ", fg="red", bold=True) if _use_color(sys.stderr) else "Error: ",
        err=True,
        nl=False,
    )
    click.echo(message, err=True)
    sys.exit(EXIT_ERROR)


def _load(path: str) -> Config:
    try:
        return load_config(path)
    except IssuesError as err:
        for issue in err.issues:
            click.echo(str(issue), err=True)
        n = len(err.issues)
        _fail(f"{n} problem{'s' if n != 1 else ''} in {path}; nothing was sent to the ESP.")


def _run(coro):  # type: ignore[no-untyped-def]
    """Run a workflow step, turning expected failures into messages and exit code 1."""
    try:
        return asyncio.run(coro)
    except IssuesError as err:
        for issue in err.issues:
            click.echo(str(issue), err=True)
        _fail("the configuration cannot be planned against this account; nothing was changed.")
    except ProviderError as err:
        _fail(str(err))


config_option = click.option(
    "-c",
    "--config",
    "config_path",
    default="espform.yaml",
    show_default=True,
    type=click.Path(dir_okay=False),
    help="Config file to use.",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="espform")
def main() -> None:
    """Manage an email service provider account (MailerLite, Mailchimp) as code.

    Exit codes: 0 success or no changes, 1 error, 2 changes present (plan
    --detailed-exitcode).
    """


@main.command()
@config_option
def validate(config_path: str) -> None:
    """Check the config file offline; sends no request."""
    config = _load(config_path)
    counts: dict[str, int] = {}
    for resource in config.desired:
        counts[resource.kind] = counts.get(resource.kind, 0) + 1
    detail = ", ".join(f"{n} {kind}{'s' if n != 1 else ''}" for kind, n in counts.items())
    click.echo(f"The configuration is valid ({detail or 'nothing declared'}).")


@main.command()
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
    config = _load(config_path)
    run = _run(workflow.plan(config))
    if fmt == "json":
        click.echo(render_json(run.plan))
    else:
        click.echo(render_plan(run.plan, color=_use_color()))
    if detailed_exitcode and run.plan.has_changes:
        sys.exit(EXIT_CHANGES)


@main.command()
@config_option
@click.option("--auto-approve", is_flag=True, help="Apply without asking for confirmation.")
def apply(config_path: str, auto_approve: bool) -> None:
    """Plan, ask for confirmation, then make exactly the planned changes."""
    config = _load(config_path)
    color = _use_color()
    if not auto_approve and not sys.stdin.isatty():
        # Decided before reading the account so that CI fails fast and clearly.
        _fail(
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
            click.echo(f"{change.address}: {_PAST[change.action]}{suffix}")
        else:
            click.echo(f"{change.address}: failed: {outcome.error}", err=True)

    run = _run(workflow.apply(config, confirm, progress))
    if not run.plan.has_changes:
        click.echo(render_plan(run.plan, color=color))
        return
    if run.applied is None:
        click.echo("Apply cancelled; nothing was changed.")
        return
    for warning in run.warnings:
        click.echo(f"Warning: {warning}", err=True)
    done = [o for o in run.applied.outcomes if o.ok]
    counts = {action: sum(1 for o in done if o.change.action is action) for action in Action}
    summary = ", ".join(f"{counts[a]} {_PAST[a]}" for a in Action)
    if not run.applied.ok:
        left = len(run.plan.changes) - len(run.applied.outcomes)
        _fail(
            f"apply stopped at a failed change ({summary}; {left} not attempted). "
            "Fix the cause, then run plan again: it shows what is left."
        )
    click.echo(
        click.style(f"Apply complete! {summary}.", bold=True)
        if color
        else f"Apply complete! {summary}."
    )


@main.group()
def sandbox() -> None:
    """The local ESP used by the examples and tests."""


@sandbox.command()
@click.option(
    "--flavor",
    type=click.Choice(["mailerlite", "mailchimp"]),
    default="mailerlite",
    show_default=True,
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8025, show_default=True, type=int, help="0 picks a free port.")
@click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False),
    help="SQLite file [default: .espform/sandbox-FLAVOR.db].",
)
@click.option("--rate-limit", type=int, help="Requests per minute before 429 (MailerLite).")
@click.option("--token", help="Accept only this token/API key (default: any non-empty one).")
def serve(
    flavor: str,
    host: str,
    port: int,
    db_path: str | None,
    rate_limit: int | None,
    token: str | None,
) -> None:
    """Serve the sandbox over HTTP so curl and the ESPs' SDKs can use it."""
    from reconciler.sandbox import open_app
    from reconciler.sandbox.server import make_server

    path = Path(db_path or f".espform/sandbox-{flavor}.db")
    path.parent.mkdir(parents=True, exist_ok=True)
    options: dict[str, object] = {}
    if flavor == "mailerlite":
        options = {"token": token, "rate_limit": rate_limit}
    else:
        if rate_limit is not None:
            _fail(
                "--rate-limit applies to the mailerlite flavor; "
                "Mailchimp limits connections instead."
            )
        options = {"api_key": token}
    app = open_app(flavor, path, **options)
    server = make_server(app, host, port)
    bound_host, bound_port = server.server_address[:2]
    root = "/api" if flavor == "mailerlite" else "/3.0"
    click.echo(
        f"espform sandbox ({flavor}) serving {path} at http://{bound_host}:{bound_port}{root}",
        nl=True,
    )
    click.echo("Admin API at /_sandbox. Press Ctrl-C to stop.")
    sys.stdout.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        app.close()
