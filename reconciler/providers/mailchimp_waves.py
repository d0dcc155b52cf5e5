"""Which Mailchimp changes may be sent at once.

Mailchimp has no batch endpoint for tags and segments, so each change is one request,
and a plan of a few hundred new tags spent most of its time waiting for one answer
after another while the account allows 10 requests in flight. Consecutive changes that
do not depend on each other form a *wave* and are sent together (the connection pacer
still admits at most `max_connections` at once).

Only creates of tags and segments join waves: each stands alone (a tag or segment
refers to nothing created in the same plan but its audience, which comes in an earlier
step), and the account keeps no order among them. A failed create stops the apply after
its wave; the others of the wave were sent already, and each is reported as it went,
which costs nothing worse than objects the config declares being created one apply
early. Everything else goes one at a time, as before: deletes (an object found missing
means the plan is stale, and no further destruction should follow it), audiences, merge
fields (whose order the account keeps), interest categories and interests (which depend
on each other) and renames (which may chain).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from reconciler.engine.plan import Action, Change

__all__ = ["WAVE_LIMIT", "waves"]

#: Kinds whose creates are independent of one another.
PARALLEL_KINDS = frozenset({"tag", "segment"})
PARALLEL_ACTIONS = frozenset({Action.CREATE})
#: Changes sent together at most; bounds what a failure can leave in flight after it.
WAVE_LIMIT = 50


def _wave_key(change: Change) -> tuple[str, Action] | None:
    if change.kind in PARALLEL_KINDS and change.action in PARALLEL_ACTIONS:
        return (change.kind, change.action)
    return None


def waves(changes: Sequence[Change]) -> Iterator[list[Change]]:
    """The changes in plan order, cut into waves; a change that may not run alongside
    others is a wave of its own."""
    current: list[Change] = []
    current_key: tuple[str, Action] | None = None
    for change in changes:
        key = _wave_key(change)
        if current and (key is None or key != current_key or len(current) >= WAVE_LIMIT):
            yield current
            current = []
        current.append(change)
        current_key = key
    if current:
        yield current
