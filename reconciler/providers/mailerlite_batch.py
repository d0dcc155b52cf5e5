"""How MailerLite changes become requests, and which of them can share a batch.

`POST /api/batch` takes up to 50 sub-requests and answers 200 with one result per
sub-request, so a plan of many small writes costs a few requests instead of one each.
Consecutive changes of the same phase (creates; renames and updates; deletes) share a
batch unless one touches an object or name that an earlier one in the batch touches:
the docs promise results in request order, not that sub-requests run in that order, so a
rename chain such as A→B then B→C must not share one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from reconciler.engine.plan import Action, Change
from reconciler.providers.http import JSONObject

__all__ = ["BATCH_LIMIT", "Step", "Write", "group_steps"]

#: The documented maximum number of sub-requests in one batch.
BATCH_LIMIT = 50

#: Paths (relative to `/api/`) that MailerLite does not run inside a batch.
UNBATCHABLE = ("webhooks",)

_PHASE: dict[Action, str] = {
    Action.CREATE: "create",
    Action.RENAME: "modify",
    Action.UPDATE: "modify",
    Action.DELETE: "delete",
}


@dataclass(frozen=True)
class Write:
    """One API request; `path` is relative to `/api/` (e.g. `groups/42`)."""

    method: str
    path: str
    body: JSONObject | None
    #: What it does, for error messages: `deleting mailerlite.group["Old"] (id 42)`.
    doing: str

    def as_batch_request(self) -> JSONObject:
        request: JSONObject = {"method": self.method, "path": f"api/{self.path}"}
        if self.body is not None:
            request["body"] = self.body
        return request


@dataclass(frozen=True)
class Step:
    """The writes for one change, in order, or the reason it cannot be carried out."""

    change: Change
    writes: tuple[Write, ...] = ()
    problem: str = ""

    @property
    def batchable(self) -> bool:
        # A replace is a DELETE whose success the POST depends on: it runs on its own.
        # Webhook endpoints are not supported inside a batch (DOCS-BAT).
        return (
            not self.problem
            and len(self.writes) == 1
            and self.change.action in _PHASE
            and not self.writes[0].path.startswith(UNBATCHABLE)
        )


def group_steps(steps: Iterable[Step]) -> list[list[Step]]:
    """Split steps, in order, into units: a unit of one runs directly, a larger one as a batch."""
    units: list[list[Step]] = []
    current: list[Step] = []
    touched: set[str] = set()
    phase = ""
    for step in steps:
        keys = _touches(step.change)
        if current and (
            not step.batchable
            or _PHASE[step.change.action] != phase
            or keys & touched
            or len(current) >= BATCH_LIMIT
        ):
            units.append(current)
            current, touched = [], set()
        if not step.batchable:
            units.append([step])
            continue
        current.append(step)
        touched |= keys
        phase = _PHASE[step.change.action]
    if current:
        units.append(current)
    return units


def _touches(change: Change) -> set[str]:
    """The remote id and the names a change reads or writes."""
    keys = {str(change.address)}
    if change.before is not None:
        keys.add(str(change.before.address))
    if change.remote_id is not None:
        keys.add(f"{change.kind}#{change.remote_id}")
    return keys
