"""Adding and removing the members of MailerLite's rule-driven groups, in batches.

One `POST /api/subscribers/{id}/groups/{group id}` (assign) or `DELETE` of
the same path (unassign) per membership, 50 to a `POST /api/batch`. Every membership
write is independent of the others, so batches run concurrently (up to the client's
limit of requests in flight) and a failed sub-request does not stop the rest; the
outcome of each group counts what was done and says what failed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from reconciler.engine.membership import MemberRef, MembershipChange
from reconciler.model import Address
from reconciler.providers.ambiguity import resend_idempotent
from reconciler.providers.base import MembershipOutcome, MembershipProgress, ProviderError
from reconciler.providers.http import HttpClient, JSONObject
from reconciler.providers.mailerlite_batch import BATCH_LIMIT
from reconciler.providers.mailerlite_errors import MailerLiteErrors

#: Failed members named in one outcome's message; the rest are counted.
SHOWN_FAILURES = 3


@dataclass(frozen=True)
class _Op:
    """One membership write."""

    change: int  # index of its MembershipChange
    ref: MemberRef
    adding: bool


@dataclass
class _Tally:
    """How one change is going."""

    added: int = 0
    removed: int = 0
    failed: int = 0
    failures: list[str] = field(default_factory=list)


class MembershipWriter:
    """Carries out membership changes through `POST /api/batch`."""

    def __init__(
        self,
        http: HttpClient,
        errors: MailerLiteErrors,
        group_ids: Mapping[Address, str],
        concurrency: int = 4,
    ) -> None:
        self._http = http
        self._errors = errors
        self._group_ids = group_ids
        self._concurrency = concurrency

    async def run(
        self, changes: Sequence[MembershipChange], progress: MembershipProgress | None
    ) -> list[MembershipOutcome]:
        tallies = [_Tally() for _ in changes]
        ids: list[str | None] = [self._group_ids.get(c.address) for c in changes]
        for tally, change, group_id in zip(tallies, changes, ids, strict=True):
            if group_id is None:
                tally.failed = change.size
                tally.failures.append(
                    f"{change.address} has no MailerLite id: it was not created or renamed, "
                    "so no member was added or removed"
                )
        batches = _batches(changes, ids)
        stop = asyncio.Event()

        async def worker() -> None:
            for batch in batches:
                if stop.is_set():
                    self._not_attempted(batch, tallies)
                    continue
                if not await self._send(batch, changes, ids, tallies):
                    stop.set()  # the account refuses batches (token, rate limit): stop
                if progress is not None:
                    for index in sorted({op.change for op in batch}):
                        progress(_outcome(changes[index], tallies[index]))

        await asyncio.gather(*(worker() for _ in range(self._concurrency)))
        return [_outcome(c, t) for c, t in zip(changes, tallies, strict=True)]

    async def _send(
        self,
        batch: list[_Op],
        changes: Sequence[MembershipChange],
        ids: Sequence[str | None],
        tallies: list[_Tally],
    ) -> bool:
        requests = [_request(op, ids[op.change]) for op in batch]

        async def send() -> list[Any]:
            body = await self._http.request_json(
                "POST",
                "/api/batch",
                json={"requests": requests},
                context=f"sending a batch of {len(batch)} membership changes",
            )
            responses = body.get("responses") if isinstance(body, dict) else None
            if not isinstance(responses, list) or len(responses) != len(batch):
                raise ProviderError(
                    "MailerLite's batch answer did not list each result", ambiguous=True
                )
            return responses

        try:
            # Assigning a member twice, or unassigning one already gone, answers success:
            # a batch whose answer was lost is sent again, and that answer counts.
            responses, _resent = await resend_idempotent(send)
        except ProviderError as exc:
            for op in batch:
                _fail(tallies[op.change], op, str(exc))
            return exc.ambiguous  # the account refuses batches (token, rate limit): stop
        for op, response in zip(batch, responses, strict=True):
            code = int(response.get("code", 0)) if isinstance(response, dict) else 0
            tally = tallies[op.change]
            if 200 <= code < 300:
                if op.adding:
                    tally.added += 1
                else:
                    tally.removed += 1
                continue
            sub_body = response.get("body") if isinstance(response, dict) else None
            doing = (
                f"{'adding' if op.adding else 'removing'} {op.ref.email} (id {op.ref.id}) "
                f"{'to' if op.adding else 'from'} {changes[op.change].address}"
            )
            _fail(tally, op, self._errors.describe(code, sub_body, doing=doing))
        return True

    @staticmethod
    def _not_attempted(batch: list[_Op], tallies: list[_Tally]) -> None:
        for op in batch:
            _fail(tallies[op.change], op, "not attempted after the failure above")


def _batches(changes: Sequence[MembershipChange], ids: Sequence[str | None]) -> Iterator[list[_Op]]:
    """Writes in plan order, 50 to a batch; one iterator shared by the workers."""

    def ops() -> Iterator[_Op]:
        for index, change in enumerate(changes):
            if ids[index] is None:
                continue
            yield from (_Op(index, ref, True) for ref in change.add)
            yield from (_Op(index, ref, False) for ref in change.remove)

    pending: list[_Op] = []
    for op in ops():
        pending.append(op)
        if len(pending) == BATCH_LIMIT:
            yield pending
            pending = []
    if pending:
        yield pending


def _request(op: _Op, group_id: str | None) -> JSONObject:
    return {
        "method": "POST" if op.adding else "DELETE",
        "path": f"api/subscribers/{op.ref.id}/groups/{group_id}",
    }


def _fail(tally: _Tally, op: _Op, message: str) -> None:
    tally.failed += 1
    if len(tally.failures) < SHOWN_FAILURES:
        tally.failures.append(message)


def _outcome(change: MembershipChange, tally: _Tally) -> MembershipOutcome:
    error = ""
    if tally.failed:
        shown = "; ".join(tally.failures)
        more = tally.failed - len(tally.failures)
        error = f"{tally.failed} of {change.size} member changes failed: {shown}" + (
            f" (and {more} more)" if more > 0 else ""
        )
    return MembershipOutcome(change, tally.added, tally.removed, error, tally.failed)
