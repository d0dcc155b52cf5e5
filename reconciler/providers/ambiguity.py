"""Writes whose outcome is unknown: settle them by reading the account, never by guessing.

A create or rename may have been carried out although no answer said so (the
connection dropped after the request was sent, a 5xx, an answer cut short). Sending a
create again could make a second group or tag; reporting it as failed would be wrong
too. So `settle_apply` wraps a provider's own apply:

1. The plan was made from a read moments ago, so creates are sent without another
   read first: what a concurrent apply made since then is caught by 2 (names the ESP
   keeps unique: the create is refused, then the object adopted) or by 3 (names it
   does not keep unique). That costs a read only when something went wrong.
2. After a failed change it reads the account again and decides for each change that
   failed, or was never tried, whether the account now shows it carried out: if so it
   is reported done, with the object as the account holds it; if not and the failure was
   ambiguous, it is tried again (a bounded number of rounds); a definite refusal stops the
   apply, as before.
3. For kinds whose names the ESP does not keep unique (MailerLite groups, Mailchimp
   audiences), objects this apply created are checked against same-named objects; every
   apply keeps the one with the lowest id and deletes its own newer copy, so that two
   applies racing on one account end with one object whichever finishes first.

It is provider-neutral: it only uses `read`, the provider's own apply, and a delete.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from reconciler.engine.compare import attribute_changes
from reconciler.engine.plan import Action, Change
from reconciler.model import Resource, State
from reconciler.providers.base import ApplyResult, Outcome, Progress, ProviderError

__all__ = ["MAX_ROUNDS", "Settler", "carried_out", "resend_idempotent"]

#: Rounds of (apply, re-read) before an ambiguous change is reported as unknown.
MAX_ROUNDS = 4

ApplyOnce = Callable[[Sequence[Change], Progress | None], Awaitable[ApplyResult]]
Read = Callable[[], Awaitable[State]]
#: Deletes a duplicate this apply made; returns an error message, or "" when done.
DeleteDuplicate = Callable[[Resource], Awaitable[str]]


def _fold(resource_kind: str, case_insensitive: frozenset[str]) -> Callable[[str], str]:
    return str.casefold if resource_kind in case_insensitive else str


def _find(state: State, change: Change, case_insensitive: frozenset[str]) -> list[Resource]:
    """Resources of the change's kind and parent named as the change's target."""
    fold = _fold(change.kind, case_insensitive)
    wanted = fold(change.address.name)
    parent = change.address.parent
    found = [r for r in state.of_kind(change.kind, parent) if fold(r.address.name) == wanted]
    if not found and change.kind == "field" and change.after is not None:
        # A MailerLite field is keyed by the key the ESP derived; look by name too.
        name = getattr(change.after, "name", None)
        found = [
            r for r in state.of_kind("field", parent) if name and getattr(r, "name", None) == name
        ]
    return found


def carried_out(
    change: Change, observed: State, case_insensitive: frozenset[str] = frozenset()
) -> Resource | bool:
    """What the account shows of `change`: the resource it produced (or True for a
    delete) when it is done, False when it is not."""
    by_id = {r.id: r for r in observed.of_kind(change.kind, change.address.parent) if r.id}
    if change.action is Action.DELETE:
        return change.remote_id not in by_id
    if change.action is Action.CREATE:
        # Adopted by name alone: if its settings differ, the next plan shows an update,
        # which is better than a second object of the same name.
        found = _find(observed, change, case_insensitive)
        return found[0] if len(found) == 1 else False
    if change.action is Action.REPLACE:
        found = [r for r in _find(observed, change, case_insensitive) if r.id != change.remote_id]
        return found[0] if len(found) == 1 and change.remote_id not in by_id else False
    # A rename or an update keeps the id: done when that object now reads as wanted.
    have = by_id.get(change.remote_id)
    if have is None or change.after is None:
        return False
    fold = _fold(change.kind, case_insensitive)
    if fold(have.address.name) != fold(change.address.name):
        return False
    return have if not attribute_changes(have, change.after) else False


def _half_replaced(change: Change, observed: State) -> Change | None:
    """A replace whose delete went through but whose create did not: now a create."""
    if change.action is not Action.REPLACE:
        return None
    ids = {r.id for r in observed.of_kind(change.kind, change.address.parent)}
    if change.remote_id in ids:
        return None
    return dataclasses.replace(change, action=Action.CREATE, before=None)


@dataclass
class Settler:
    """Runs a provider's apply until every change is done, refused, or still unknown."""

    apply_once: ApplyOnce
    read: Read
    case_insensitive: frozenset[str] = frozenset()
    #: Kinds the ESP lets share a name, and how to delete this apply's own copy.
    duplicable: frozenset[str] = frozenset()
    delete_duplicate: DeleteDuplicate | None = None
    #: Reads only the duplicable kinds (cheaper than `read`); `read` when not given.
    read_duplicable: Read | None = None
    max_rounds: int = MAX_ROUNDS

    async def apply(self, changes: Sequence[Change], progress: Progress | None) -> ApplyResult:
        order = _order_of(changes)
        final: list[Outcome] = []
        pending = list(changes)
        for round_number in range(1, self.max_rounds + 1):
            if not pending:
                break
            relay = _Relay(progress)
            result = await self.apply_once(pending, relay)
            settled = [o for o in result.outcomes if o.ok]
            failed = [o for o in result.outcomes if not o.ok]
            tried = {id(o.change) for o in result.outcomes}
            untried = [c for c in pending if id(c) not in tried]
            pending = []
            if failed and not any(o.unknown or _conflict(o) for o in failed):
                settled += failed  # refused plainly, or never sent: nothing to read
            elif failed:
                observed = await self.read()
                done, pending, unresolved, stop = self._sort_out(failed, untried, observed)
                settled += done
                if stop or round_number == self.max_rounds:
                    settled += unresolved
                    pending = []
            relay.release(sorted(settled, key=order))
            final += settled
        final = await self._settle_duplicates(final)
        return ApplyResult(sorted(final, key=order))

    def _sort_out(
        self,
        failed: list[Outcome],
        untried: list[Change],
        observed: State,
    ) -> tuple[list[Outcome], list[Change], list[Outcome], bool]:
        """The failures the account shows done after all, the changes to try again, the
        failures it does not explain away, and whether one of them was a definite
        refusal, which ends the apply."""
        done: list[Outcome] = []
        again: list[Change] = []
        unresolved: list[Outcome] = []
        stop = False
        for outcome in failed:
            change = outcome.change
            found = carried_out(change, observed, self.case_insensitive)
            if found is not False:
                result = found if isinstance(found, Resource) else None
                done.append(Outcome(change, ok=True, result=result))
                continue
            unresolved.append(outcome)
            stop = stop or not outcome.unknown
            again.append(_half_replaced(change, observed) or change)
        return done, ([] if stop else [*again, *untried]), unresolved, stop

    async def _settle_duplicates(self, outcomes: list[Outcome]) -> list[Outcome]:
        """Delete our own newer copy of a name another apply created at the same time."""
        mine = [
            o
            for o in outcomes
            if o.ok
            and o.change.action is Action.CREATE
            and o.change.kind in self.duplicable
            and o.result is not None
            and o.result.id is not None
        ]
        if not mine or self.delete_duplicate is None:
            return outcomes
        observed = await (self.read_duplicable or self.read)()
        settled: list[Outcome] = []
        changed = False
        for outcome in outcomes:
            if outcome not in mine:
                settled.append(outcome)
                continue
            assert outcome.result is not None
            same = _find(observed, outcome.change, self.case_insensitive)
            keep = min(same, key=_id_order, default=outcome.result)
            if keep.id == outcome.result.id:
                settled.append(outcome)
                continue
            error = await self.delete_duplicate(outcome.result)
            changed = True
            settled.append(dataclasses.replace(outcome, ok=not error, error=error, result=keep))
        if changed:
            await self.read()  # the provider's ids must name the objects kept
        return settled


#: How the ESPs word refusing a name that is taken (Mailchimp's 400 "... already
#: exists." / "The merge tag X is already in use."; MailerLite's 422 "Field name must
#: be unique"): such a refusal may be a concurrent apply's doing, so the account is read.
_TAKEN = re.compile(r"already exists|already in use|must be unique|\bexists\b", re.IGNORECASE)


def _conflict(outcome: Outcome) -> bool:
    change = outcome.change
    return change.action in (Action.CREATE, Action.RENAME) and bool(_TAKEN.search(outcome.error))


def _id_order(resource: Resource) -> tuple[int, str]:
    text = resource.id or ""
    return (int(text), "") if text.isdigit() else (1 << 62, text)


class _Relay:
    """Passes a round's outcomes on to the caller's progress in plan order: successes at
    once until the first failure, the rest once the re-read has settled them."""

    def __init__(self, progress: Progress | None) -> None:
        self._progress = progress
        self._holding = False
        self._passed: set[int] = set()

    def __call__(self, outcome: Outcome) -> None:
        self._holding = self._holding or not outcome.ok
        if not self._holding:
            self._pass(outcome)

    def release(self, outcomes: Sequence[Outcome]) -> None:
        for outcome in outcomes:
            if id(outcome) not in self._passed:
                self._pass(outcome)

    def _pass(self, outcome: Outcome) -> None:
        self._passed.add(id(outcome))
        if self._progress is not None:
            self._progress(outcome)


def _order_of(changes: Sequence[Change]) -> Callable[[Outcome], int]:
    """Outcomes in plan order (a replace turned create keeps its place by address)."""
    place = {id(c): i for i, c in enumerate(changes)}
    by_address = {c.address: i for i, c in enumerate(changes)}
    return lambda o: place.get(id(o.change), by_address.get(o.change.address, len(changes)))


T = TypeVar("T")


async def resend_idempotent(send: Callable[[], Awaitable[T]]) -> tuple[T, bool]:
    """`send()`'s answer, sending again while the answer is lost; and whether it was resent.

    Only for writes whose effect does not depend on how many times they are carried out
    and whose answer reports the state reached (membership adds and removes: adding a
    member twice leaves one membership and still answers success). Reading the state
    back would cost a request per member; the resent answer tells the same.
    """
    for attempt in range(1, MAX_ROUNDS + 1):
        try:
            return await send(), attempt > 1
        except ProviderError as exc:
            if not exc.ambiguous or attempt == MAX_ROUNDS:
                raise
    raise AssertionError("unreachable")
