"""What every command shares: options, loading, error reporting, color."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Coroutine
from typing import Any, NoReturn, TypeVar

import click

from reconciler.config import load_config
from reconciler.config.model import Config
from reconciler.engine import Action
from reconciler.errors import IssuesError
from reconciler.planfile import PlanFileError, StalePlanError
from reconciler.providers.base import ProviderError

T = TypeVar("T")

EXIT_OK, EXIT_ERROR, EXIT_CHANGES = 0, 1, 2

PAST = {
    Action.CREATE: "created",
    Action.UPDATE: "updated",
    Action.RENAME: "renamed",
    Action.REPLACE: "replaced",
    Action.DELETE: "deleted",
}


def use_color(stream: object = None) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    stream = stream or sys.stdout
    return bool(getattr(stream, "isatty", lambda: False)())


def fail(message: str) -> NoReturn:
    click.echo(
        click.style("Error: ", fg="red", bold=True) if use_color(sys.stderr) else "Error: ",
        err=True,
        nl=False,
    )
    click.echo(message, err=True)
    sys.exit(EXIT_ERROR)


def load(path: str) -> Config:
    try:
        return load_config(path)
    except IssuesError as err:
        for issue in err.issues:
            click.echo(str(issue), err=True)
        n = len(err.issues)
        fail(f"{n} problem{'s' if n != 1 else ''} in {path}; nothing was sent to the ESP.")


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    """Run a workflow step, turning expected failures into messages and exit code 1."""
    try:
        return asyncio.run(coro)
    except IssuesError as err:
        for issue in err.issues:
            click.echo(str(issue), err=True)
        fail("the configuration cannot be planned against this account; nothing was changed.")
    except (ProviderError, PlanFileError, StalePlanError) as err:
        fail(str(err))


class Command(click.Command):
    """A command whose usage errors exit 1, not click's 2.

    2 means "changes present" or "drift found"; a cron job must not read a mistyped
    option as drift.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as err:
            err.exit_code = EXIT_ERROR
            raise


def account_label(provider: str, target: str, config_path: str) -> str:
    """How reports name the account: provider, where it lives, and which config."""
    return f"{provider} ({target}), config {config_path}"


def write_text(path: str, text: str) -> None:
    """Write a report file, or fail with a message that names it."""
    try:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text if text.endswith("\n") else text + "\n")
    except OSError as err:
        fail(f"cannot write {path}: {err.strerror}")


format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "markdown", "json"]),
    default="text",
    show_default=True,
    help="text for people, markdown for a pull-request comment, json for machines.",
)


config_option = click.option(
    "-c",
    "--config",
    "config_path",
    default="espform.yaml",
    show_default=True,
    type=click.Path(dir_okay=False),
    help="Config file to use.",
)
