"""What apply shows while it runs: membership progress, and pauses for rate limits.

On a terminal, one line rewritten in place: members done out of the total. Elsewhere
(CI logs, pipes) nothing while it runs, as a line per batch would flood a log. Either
way each group gets one line when it is done.

A pause for an ESP's request limit (`waiting 58 s: MailerLite rate limit`) is one line
on stderr wherever it goes, at most one per pause however many requests wait through
it, so that a long run never looks stuck; a refused request (429) says so.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TextIO

import click

from reconciler.model import Address
from reconciler.providers.base import MembershipOutcome
from reconciler.providers.pacing import Wait


class MembershipMeter:
    """A `MembershipProgress` callback that shows `members done / total`."""

    def __init__(self, total: int, stream: TextIO | None = None) -> None:
        self._stream = stream or sys.stderr
        self._live = bool(getattr(self._stream, "isatty", lambda: False)())
        self._done: dict[Address, int] = {}
        #: The latest outcome of each group or tag, for a report of an interrupted apply.
        self.outcomes: dict[Address, MembershipOutcome] = {}
        self._total = total
        self._shown = False

    def __call__(self, outcome: MembershipOutcome) -> None:
        self._done[outcome.change.address] = outcome.added + outcome.removed + outcome.failed
        self.outcomes[outcome.change.address] = outcome
        if self._live:
            done = sum(self._done.values())
            self._stream.write(f"\rMembership: {done:,} / {self._total:,} members")
            self._stream.flush()
            self._shown = True

    def finish(self) -> None:
        """End the live line, so that what follows starts on a line of its own."""
        if self._shown:
            self._stream.write("\n")
            self._stream.flush()
            self._shown = False


class WaitLine:
    """A `WaitReporter` that writes each pause as a line of its own on stderr."""

    #: Wide enough to cover a live membership line being rewritten on a terminal.
    WIDTH = 60

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream

    def __call__(self, wait: Wait) -> None:
        stream = self._stream or sys.stderr
        text = wait.describe() + (" (the server answered 429)" if wait.throttled else "")
        if getattr(stream, "isatty", lambda: False)():
            text = "\r" + text.ljust(self.WIDTH)
        stream.write(text + "\n")
        stream.flush()


def report_membership(outcomes: Sequence[MembershipOutcome]) -> None:
    """One line per group or tag: what was done, and what failed (on stderr)."""
    for outcome in outcomes:
        done = f"{outcome.change.address}: members +{outcome.added:,} -{outcome.removed:,}"
        if outcome.ok:
            click.echo(done)
        else:
            click.echo(f"{done}; failed: {outcome.error}", err=True)


def membership_totals(outcomes: Sequence[MembershipOutcome]) -> str:
    """`Membership: +1,204 -37 in 5 groups.` as it was carried out."""
    added = sum(o.added for o in outcomes)
    removed = sum(o.removed for o in outcomes)
    kinds: dict[str, int] = {}
    for outcome in outcomes:
        kind = outcome.change.address.kind
        kinds[kind] = kinds.get(kind, 0) + 1
    where = " and ".join(f"{n} {kind}{'s' if n != 1 else ''}" for kind, n in sorted(kinds.items()))
    return f"Membership: +{added:,} -{removed:,} in {where}."
