"""`espform apply`: plan, confirm, and make exactly the planned changes.

With a saved plan (`espform apply FILE`) it makes exactly the saved changes without
asking, as Terraform does: the review happened when the plan was saved. It refuses if
the config or the account changed since.

With several accounts, every account is planned first; if any cannot be planned or
is refused by a safety check, nothing is applied anywhere. Then the accounts are
applied one after the other, each confirmed on its own (unless --auto-approve), and
the first failed or declined account stops the rest. Answering no exits 1, as
Terraform does: nothing that was asked for was done.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from enum import Enum
from pathlib import Path

import click

from reconciler import workflow
from reconciler.cli.common import (
    EXIT_ERROR,
    EXIT_OK,
    PAST,
    Command,
    ConfigSelection,
    config_option,
    echo_error,
    echo_requests,
    fail,
    failure_lines,
    force_option,
    load,
    load_all,
    run_async,
    select_configs,
    target_option,
    targets_from,
    use_color,
    verbose_option,
)
from reconciler.cli.interrupt import Interrupts, Planned, summary
from reconciler.cli.progress import MembershipMeter, membership_totals, report_membership
from reconciler.config.model import Config
from reconciler.engine import Action
from reconciler.model import Address
from reconciler.planfile import PlanFileError, read_plan
from reconciler.providers.base import Outcome
from reconciler.render import accounts as grouped
from reconciler.render.safety import overridden_text, refusal_text
from reconciler.render.text import render_plan


@click.command(cls=Command)
@click.argument("plan_file", required=False, type=click.Path())
@config_option
@click.option(
    "--auto-approve",
    is_flag=True,
    help="Apply without asking for confirmation (not needed with a saved plan).",
)
@target_option
@force_option
@verbose_option
def apply(
    plan_file: str | None,
    config_paths: tuple[str, ...],
    auto_approve: bool,
    target_texts: tuple[str, ...],
    force: bool,
    verbose: bool,
) -> None:
    """Make the changes the config needs; with PLAN_FILE, exactly the saved ones.

    PLAN_FILE is written by `espform plan --out PLAN_FILE`. It is applied only if the
    config points at the account it was planned for, the config file is unchanged and
    the objects it touches are as they were when it was planned; otherwise nothing is
    changed and apply exits 1. A plan refused by settings.protect or a threshold changes
    nothing and exits 1; --force lifts the thresholds, never protection. Answering no at
    the prompt exits 1 too.

    Members of rule-driven groups are added and removed after every other change
    succeeded (on a terminal, a progress line counts them); with a saved plan, only if
    planning again gives exactly the saved members.

    Ctrl-C (or SIGTERM) stops starting changes, cancels the requests in flight, prints
    what was done and what was not, and exits 130 (143 for SIGTERM); a cancelled
    request may still have been carried out, so run `espform plan` to see what remains.
    A second Ctrl-C ends it at once.
    """
    selection = select_configs(config_paths)
    if plan_file is not None:
        if selection.many:
            fail(
                "a saved plan belongs to one account: give the config it was planned "
                "with as a single file, `espform apply PLAN_FILE -c FILE`."
            )
        if target_texts:
            fail(
                "a saved plan keeps the targets it was planned with; --target cannot "
                "change them. Plan again with the --target you want and apply that plan."
            )
        with Interrupts() as stop:
            _apply_saved(Path(plan_file), selection.paths[0], force, verbose, stop)
        return
    targets = targets_from(target_texts)
    configs = load_all(selection)
    if not auto_approve and not _interactive():
        # Decided before reading the account so that CI fails fast and clearly.
        fail(
            "apply needs confirmation, but standard input is not a terminal. "
            "Review the plan with `espform plan`, then run `espform apply --auto-approve`, "
            "or save it with `espform plan --out FILE` and run `espform apply FILE`."
        )
    with Interrupts() as stop:
        try:
            code = run_async(
                _apply_all(selection, configs, targets, force, auto_approve, verbose, stop)
            )
        except KeyboardInterrupt:
            # Before the apply started to watch for it, or between accounts.
            echo_error(["interrupted before any change was made; nothing was changed."])
            code = stop.code
    if code != EXIT_OK:
        sys.exit(code)


def _interactive() -> bool:
    """Whether someone can answer the confirmation prompt."""
    return sys.stdin.isatty()


async def _apply_all(
    selection: ConfigSelection,
    configs: Sequence[Config],
    targets: Sequence[Address],
    force: bool,
    auto_approve: bool,
    verbose: bool,
    stop: Interrupts,
) -> int:
    color = use_color()
    stop.watch()
    async with workflow.Accounts(configs) as accounts:
        try:
            outcomes = await accounts.plan(targets=targets, force=force)
        except asyncio.CancelledError as cancelled:
            if not stop.caused(cancelled):
                raise
            echo_error(["interrupted while reading the account; nothing was changed."])
            return stop.code
        pairs = list(zip(selection.paths, outcomes, strict=True))
        if workflow.blocked(outcomes):
            _show_blocked(pairs, selection.many, color)
            return EXIT_ERROR
        for number, (path, outcome) in enumerate(pairs):
            assert isinstance(outcome, workflow.Run)  # failures returned above
            if selection.many:
                where = f"{outcome.origin.provider} ({outcome.origin.target})"
                click.echo(grouped.heading(path, where))
            result = await _apply_one(accounts, outcome, auto_approve, color, stop)
            if verbose:
                echo_requests(outcome.steps, path if selection.many else None)
            if result is not _Result.APPLIED:
                rest = [p for p, _ in pairs[number + 1 :]]
                if rest:
                    after = _AFTER[result]
                    echo_error([f"not attempted, after the {after} above: {', '.join(rest)}"])
                return stop.code if result is _Result.INTERRUPTED else EXIT_ERROR
            if selection.many:
                click.echo("")
    return EXIT_OK


def _show_blocked(pairs: Sequence[tuple[str, workflow.Outcome]], many: bool, color: bool) -> None:
    for path, outcome in pairs:
        if many:
            click.echo(grouped.heading(path))
        if isinstance(outcome, workflow.Failed):
            echo_error(failure_lines(outcome.error))
            continue
        click.echo(render_plan(outcome.plan, color=color))
        if outcome.refusals:
            echo_error([refusal_text(outcome.refusals)])
        if many:
            click.echo("")
    if many:
        echo_error(["nothing was applied to any account; fix the errors above, then apply again."])


def _confirm(run: workflow.Run, auto_approve: bool, color: bool, stop: Interrupts) -> bool:
    """Whether to go on; raises KeyboardInterrupt on Ctrl-C at the prompt."""
    click.echo(render_plan(run.plan, color=color))
    if run.overridden:
        click.echo(f"Warning: {overridden_text(run.overridden)}", err=True)
    if auto_approve:
        return True
    click.echo("")
    stop.prompting = True
    try:
        return click.confirm("Do you want to perform these actions?", default=False)
    except click.Abort:
        if stop.signum is not None:
            raise KeyboardInterrupt from None
        return False  # end of input: no answer is no
    finally:
        stop.prompting = False


class _Result(Enum):
    """How one account's apply ended; anything but APPLIED stops the accounts after it."""

    APPLIED = "applied"
    FAILED = "failed"
    #: The user answered no: as in Terraform, that is not success (exit 1), so that a
    #: script or a person reading the exit code never takes it for an applied plan.
    CANCELLED = "cancelled"
    #: Ctrl-C or SIGTERM: exits 130 or 143, after saying what was done.
    INTERRUPTED = "interrupted"


_AFTER = {
    _Result.FAILED: "failure",
    _Result.CANCELLED: "cancellation",
    _Result.INTERRUPTED: "interruption",
}


async def _apply_one(
    accounts: workflow.Accounts,
    run: workflow.Run,
    auto_approve: bool,
    color: bool,
    stop: Interrupts,
) -> _Result:
    """Confirm and apply one account."""
    if not run.plan.has_changes:
        click.echo(render_plan(run.plan, color=color))
        return _Result.APPLIED
    try:
        if not _confirm(run, auto_approve, color, stop):
            click.echo("Apply cancelled.", err=True)
            return _Result.CANCELLED
    except KeyboardInterrupt:
        click.echo("", err=True)  # the prompt's line is still open
        echo_error(["interrupted at the prompt; nothing was changed."])
        return _Result.INTERRUPTED
    meter = MembershipMeter(sum(change.size for change in run.plan.membership))
    progress = _Progress()
    try:
        await accounts.execute(run, progress, meter)
    except asyncio.CancelledError as cancelled:
        if not stop.caused(cancelled):
            raise
        meter.finish()
        _report_interrupted(Planned.of(run.plan), progress, meter)
        return _Result.INTERRUPTED
    finally:
        meter.finish()
    return _Result.APPLIED if _report(run, color) else _Result.FAILED


def _report_interrupted(planned: Planned, progress: _Progress, meter: MembershipMeter) -> None:
    lines = summary(planned, progress.outcomes, meter.outcomes)
    click.echo("\n".join(lines), err=True)


def _apply_saved(
    path: Path, config_path: str, force: bool, verbose: bool, stop: Interrupts
) -> None:
    try:
        saved = read_plan(path)
    except PlanFileError as err:
        fail(str(err))
    config = load(config_path)
    # Applied only if planning again gives exactly the saved members: the same total.
    meter = MembershipMeter(sum(len(m.add) + len(m.remove) for m in saved.membership))
    progress = _Progress()

    async def carry_out() -> workflow.Run | None:
        stop.watch()
        try:
            return await workflow.apply_saved(
                config, saved, progress, force=force, membership_progress=meter
            )
        except asyncio.CancelledError as cancelled:
            if not stop.caused(cancelled):
                raise
            return None

    try:
        result = run_async(carry_out())
    except KeyboardInterrupt:
        result = None
    finally:
        meter.finish()
    if result is None:
        _report_interrupted(Planned.saved(saved), progress, meter)
        sys.exit(stop.code)
    if verbose:
        echo_requests(result.steps)
    if result.refusals:
        click.echo(render_plan(result.plan, color=use_color()))
        fail(refusal_text(result.refusals))
    if not result.plan.has_changes:
        click.echo(f"The saved plan {path} has no changes; nothing was changed.")
        return
    if result.overridden:
        click.echo(f"Warning: {overridden_text(result.overridden)}", err=True)
    if not _report(result, use_color()):
        sys.exit(EXIT_ERROR)


class _Progress:
    """Prints one line per change as the provider reports it.

    The changes of a batch that failed as a whole share one error: it is printed with
    the first of them, and the others refer to it, so that 50 changes do not repeat it.
    """

    def __init__(self) -> None:
        self._last_unknown = ""
        #: Every outcome reported so far, for a report of an interrupted apply.
        self.outcomes: list[Outcome] = []

    def __call__(self, outcome: Outcome) -> None:
        self.outcomes.append(outcome)
        change = outcome.change
        if outcome.ok:
            rid = outcome.result.id if outcome.result is not None else change.remote_id
            suffix = f" (id {rid})" if rid else ""
            click.echo(f"{change.address}: {PAST[change.action]}{suffix}")
        elif outcome.unknown and outcome.error == self._last_unknown:
            click.echo(f"{change.address}: state unknown, sent in the same batch", err=True)
        elif outcome.unknown:
            self._last_unknown = outcome.error
            click.echo(f"{change.address}: state unknown: {outcome.error}", err=True)
        else:
            click.echo(f"{change.address}: failed: {outcome.error}", err=True)


def _report(result: workflow.Run, color: bool) -> bool:
    """Print what an apply did; False (after saying so) when a change failed."""
    applied = result.applied
    if applied is None:
        return True
    for warning in result.warnings:
        click.echo(f"Warning: {warning}", err=True)
    done = [o for o in applied.outcomes if o.ok]
    counts = {action: sum(1 for o in done if o.change.action is action) for action in Action}
    summary = ", ".join(f"{counts[a]} {PAST[a]}" for a in Action)
    if not applied.ok:
        # Every change sent has an outcome, so only the rest were never attempted.
        left = len(result.plan.changes) - len(applied.outcomes)
        unknown = applied.unknown
        stopped = "a failed change" if len(unknown) < len(applied.failed) else "a failed batch"
        why = "sent, but the batch failed as a whole"
        if any(o.error == workflow.NO_OUTCOME for o in unknown):
            stopped, why = "a change without an outcome", "the provider returned no outcome"
        if unknown:
            summary += f"; {len(unknown)} in an unknown state"
        members = " No member of a rule-driven group was changed." if result.plan.membership else ""
        lines = []
        if unknown:
            lines.append(
                f"{len(unknown)} change{'s' if len(unknown) != 1 else ''} may or may not have "
                f"been made ({why}): " + ", ".join(str(o.change.address) for o in unknown)
            )
        lines.append(
            f"apply stopped at {stopped} ({summary}; {left} not attempted).{members} "
            "Fix the cause, then run plan again: it shows what is left."
        )
        echo_error(lines)
        return False
    if result.membership_applied:
        report_membership(result.membership_applied)
        summary += ". " + membership_totals(result.membership_applied).removesuffix(".")
        if not result.membership_ok:
            echo_error(
                [
                    f"some members could not be added or removed ({summary}). Fix the "
                    "cause, then run plan again: it shows what is left."
                ]
            )
            return False
    message = f"Apply complete! {summary}."
    click.echo(click.style(message, bold=True) if color else message)
    return True
