"""Ctrl-C and SIGTERM during `espform apply`: stop cleanly, say what was done, exit 130/143.

The first signal cancels the running apply: no further change is started, and the
requests in flight are cancelled (their connections closed). A cancelled request may
still have been carried out by the ESP; apply reports it as not done, and the next
`espform plan` reads the account and shows the truth. A second signal ends the process
at once, without waiting for anything.

SIGTERM (what CI runners send on cancel) is handled the same way and exits 143
(128 + 15), as shells report a process ended by SIGTERM; SIGINT exits 130 (128 + 2).
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import FrameType, TracebackType
from typing import Any

from reconciler.engine import Plan
from reconciler.model import Address
from reconciler.planfile import SavedPlan
from reconciler.providers.base import MembershipOutcome, Outcome

#: What a process stopped by each signal exits with, by the shell's convention.
EXIT_CODES = {signal.SIGINT: 130, signal.SIGTERM: 143}


class Interrupts:
    """Signal handlers for the time of one apply: `with Interrupts() as stop:`.

    `watch(task)` names the task the first signal cancels; `stop.signum` tells, after a
    CancelledError, whether a signal caused it. During a blocking prompt (`prompting`)
    the signal raises KeyboardInterrupt instead, since no event loop runs then to see
    a cancellation.
    """

    def __init__(self) -> None:
        self.signum: int | None = None
        self.prompting = False
        self._task: asyncio.Task[Any] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> Interrupts:
        for signum in EXIT_CODES:
            self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.signum is not None:
            # Interrupted: the process is on its way out with its summary. A second
            # signal that Python runs only now must still end it with our exit code,
            # not with the default action restored here (a kill by SIGINT, -2).
            return
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)

    def watch(self) -> None:
        """Make the current task the one the first signal cancels (call from inside it)."""
        self._task = asyncio.current_task()
        self._loop = asyncio.get_running_loop()

    def caused(self, error: asyncio.CancelledError) -> bool:
        """Whether a signal caused this cancellation; if so, it is taken back, so that
        the task can still close its connections on the way out."""
        if self.signum is None:
            return False
        if self._task is not None:
            self._task.uncancel()
        return True

    @property
    def code(self) -> int:
        return EXIT_CODES.get(signal.Signals(self.signum or signal.SIGINT), 130)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.signum is not None:
            # The second signal: whoever sends it does not want to wait for a clean stop.
            sys.stderr.write(
                "\nAborted. Changes in flight may or may not have been made; "
                "run `espform plan` to see what remains.\n"
            )
            sys.stderr.flush()
            os._exit(self.code)
        self.signum = signum
        if self.prompting or self._task is None or self._task.done():
            raise KeyboardInterrupt
        # As asyncio.Runner does for Ctrl-C: cancel the task, then wake the loop up.
        self._task.cancel()
        if self._loop is not None:
            self._loop.call_soon_threadsafe(lambda: None)


#: Addresses listed in full before the rest is counted, so a large plan stays readable.
LISTED = 20


def _listed(addresses: Sequence[str]) -> str:
    shown = ", ".join(addresses[:LISTED])
    more = len(addresses) - LISTED
    return f"{shown}, … and {more} more" if more > 0 else shown


@dataclass(frozen=True)
class Planned:
    """What the interrupted apply was to do: change addresses, members to add and remove."""

    changes: Sequence[str]
    add: int = 0
    remove: int = 0

    @classmethod
    def of(cls, plan: Plan) -> Planned:
        return cls(
            [str(c.address) for c in plan.changes],
            sum(len(m.add) for m in plan.membership),
            sum(len(m.remove) for m in plan.membership),
        )

    @classmethod
    def saved(cls, plan: SavedPlan) -> Planned:
        return cls(
            [c.address for c in plan.changes],
            sum(len(m.add) for m in plan.membership),
            sum(len(m.remove) for m in plan.membership),
        )


def summary(
    planned: Planned,
    outcomes: Iterable[Outcome],
    members_done: Mapping[Address, MembershipOutcome] | None = None,
) -> list[str]:
    """What an interrupted apply did and did not do, from the outcomes it reported.

    A change whose request was in flight has no outcome, so it is listed as not done:
    it may have been carried out all the same, which the next plan shows.
    """
    done = [str(o.change.address) for o in outcomes if o.ok]
    finished = set(done)
    left = [a for a in planned.changes if a not in finished]
    noun = "change" if len(done) == 1 else "changes"
    lines = [f"Interrupted. Done: {len(done)} {noun}" + (f" ({_listed(done)})." if done else ".")]
    lines.append(f"Not done: {len(left)}" + (f" ({_listed(left)})." if left else "."))
    members = planned.add + planned.remove
    if members:
        outcomes_by_target = (members_done or {}).values()
        added = sum(o.added for o in outcomes_by_target)
        removed = sum(o.removed for o in outcomes_by_target)
        lines.append(
            f"Members of rule-driven groups and tags: +{added:,} -{removed:,} done "
            f"of +{planned.add:,} -{planned.remove:,} planned."
        )
    if left or members:
        lines.append(
            "Requests in flight were cancelled; the ESP may have carried some of them out."
        )
    lines.append("Run `espform plan` to see what remains.")
    return lines
