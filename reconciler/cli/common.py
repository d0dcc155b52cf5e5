"""What every command shares: options, loading, error reporting, color."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Coroutine, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from reconciler.cli.progress import WaitLine
from reconciler.config import load_config
from reconciler.config.model import Config
from reconciler.engine import Action
from reconciler.engine.target import TargetError, parse_targets
from reconciler.errors import ConfigError, IssuesError
from reconciler.membership_step import RequestStep, accounting_text
from reconciler.model import Address
from reconciler.planfile import PlanFileError, StalePlanError
from reconciler.providers.base import ProviderError
from reconciler.providers.pacing import reporting_waits

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


def load(path: str, *, resolve_credentials: bool = True) -> Config:
    try:
        return load_config(path, resolve_credentials=resolve_credentials)
    except IssuesError as err:
        for issue in err.issues:
            click.echo(str(issue), err=True)
        n = len(err.issues)
        fail(f"{n} problem{'s' if n != 1 else ''} in {path}; nothing was sent to the ESP.")


@dataclass(frozen=True)
class ConfigSelection:
    """The config files a command runs on, one account each."""

    paths: tuple[str, ...]
    #: Asked for as a folder or several files: reports are grouped per account even if
    #: the folder holds one file, so a CI script sees one shape whatever the folder holds.
    many: bool


def select_configs(values: Sequence[str]) -> ConfigSelection:
    """Expand `-c` values: a folder stands for its `*.yaml` and `*.yml` files, sorted."""
    paths: list[str] = []
    folders = 0
    for value in values:
        folder = Path(value)
        if folder.is_dir():
            folders += 1
            found = sorted(
                f.name
                for f in folder.iterdir()
                if f.suffix.lower() in (".yaml", ".yml") and f.is_file()
            )
            if not found:
                fail(f"{value} is a folder with no *.yaml or *.yml config file in it.")
            paths += [str(folder / name) for name in found]
        else:
            paths.append(value)
    # The same file named twice (directly and through its folder) is one account.
    kept: dict[Path, str] = {}
    for path in paths:
        kept.setdefault(Path(path).resolve(), path)
    return ConfigSelection(tuple(kept.values()), many=len(values) > 1 or folders > 0)


def load_all(selection: ConfigSelection, *, resolve_credentials: bool = True) -> list[Config]:
    """Load every config; if any is invalid, report the problems of all of them and
    exit 1 before a single request is sent to any account."""
    if not selection.many:
        return [load(selection.paths[0], resolve_credentials=resolve_credentials)]
    configs: list[Config] = []
    issues = 0
    broken = 0
    for path in selection.paths:
        try:
            configs.append(load_config(path, resolve_credentials=resolve_credentials))
        except ConfigError as err:
            broken += 1
            issues += len(err.issues)
            for issue in err.issues:
                click.echo(str(issue), err=True)
    if broken:
        fail(
            f"{issues} problem{'s' if issues != 1 else ''} in {broken} of "
            f"{len(selection.paths)} config files; nothing was sent to any account."
        )
    return configs


def targets_from(values: Iterable[str]) -> tuple[Address, ...]:
    try:
        return parse_targets(values)
    except TargetError as err:
        fail(str(err))


def failure_lines(error: Exception) -> list[str]:
    """An account's failure as the lines a user reads, last the one that says what now."""
    if isinstance(error, IssuesError):
        return [
            *(str(issue) for issue in error.issues),
            "the configuration cannot be planned against this account; nothing was changed.",
        ]
    return str(error).splitlines() or [type(error).__name__]


def echo_error(lines: Sequence[str]) -> None:
    """Print an error without exiting (other accounts still report)."""
    prefix = click.style("Error: ", fg="red", bold=True) if use_color(sys.stderr) else "Error: "
    for line in lines[:-1]:
        click.echo(line, err=True)
    if lines:
        click.echo(prefix + lines[-1], err=True)


def worst(codes: Iterable[int]) -> int:
    """The exit code of several accounts: an error beats changes, changes beat none."""
    found = set(codes)
    for code in (EXIT_ERROR, EXIT_CHANGES):
        if code in found:
            return code
    return EXIT_OK


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    """Run a workflow step, turning expected failures into messages and exit code 1;
    pauses for the ESP's rate limits are shown as they happen."""
    try:
        with reporting_waits(WaitLine()):
            return asyncio.run(coro)
    except IssuesError as err:
        for issue in err.issues:
            click.echo(str(issue), err=True)
        fail("the configuration cannot be planned against this account; nothing was changed.")
    except (ProviderError, PlanFileError, StalePlanError, TargetError) as err:
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
    "config_paths",
    multiple=True,
    default=["espform.yaml"],
    show_default=True,
    type=click.Path(),
    help="Config file, or a folder whose *.yaml/*.yml files are each one account. "
    "Repeat for several accounts; their reports are grouped per config file and the "
    "exit code is the worst (1, then 2, then 0).",
)

target_option = click.option(
    "--target",
    "target_texts",
    multiple=True,
    metavar="ADDRESS",
    help="Plan only the changes at this address, e.g. 'mailerlite.group[\"Partners\"]', "
    "and under it; repeatable. The creates and renames they need come along.",
)

verbose_option = click.option(
    "-v",
    "--verbose",
    is_flag=True,
    help="Also print, on stderr, how many API requests the run used and on what "
    "(reading, each subscriber scan with its pages, changes, membership batches).",
)


def echo_requests(steps: Sequence[RequestStep], config_path: str | None = None) -> None:
    """The run's request accounting, on stderr so that stdout keeps its format."""
    prefix = f"{config_path}: " if config_path else ""
    click.echo(prefix + accounting_text(steps), err=True)


force_option = click.option(
    "--force",
    is_flag=True,
    help="Go ahead although the plan exceeds settings.max_change_percent, "
    "max_delete_percent or max_membership_change_percent, or empties a rule-driven "
    "group. Never lifts settings.protect.",
)
