"""The contract every provider meets, and the capabilities it declares.

Providers never decide what to change: they read state and execute the Changes the
engine planned, in the order given.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import ClassVar, Protocol

from reconciler.engine.membership import Member, MembershipChange
from reconciler.engine.plan import Action, Change
from reconciler.model import Address, Capabilities, Resource, State

__all__ = ["ApplyResult", "Capabilities", "Outcome", "Progress", "Provider", "ProviderError"]


class ProviderError(Exception):
    """An ESP request failed in a way the user must act on; the message says how.

    Messages never contain credentials. `ambiguous` says that the request may have been
    carried out although no answer said so (a write whose connection dropped after it
    was sent, a 5xx, an answer that could not be read): only reading the account tells.
    """

    def __init__(self, message: str, *, ambiguous: bool = False) -> None:
        super().__init__(message)
        self.ambiguous = ambiguous


@dataclass(frozen=True)
class Outcome:
    """What happened to one change during apply."""

    change: Change
    ok: bool
    error: str = ""
    #: The object as the ESP holds it after the change (carries the new id on create).
    result: Resource | None = None
    warning: str = ""
    #: Sent, but no answer says whether it was carried out (a batch request that failed
    #: as a whole): it may or may not have been made, and reading the account tells.
    #: Always with `ok` False, since the apply cannot go on as if it had been.
    unknown: bool = False


@dataclass
class ApplyResult:
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(o.ok for o in self.outcomes)

    @property
    def failed(self) -> list[Outcome]:
        """Changes that were not carried out, or may not have been (`unknown`)."""
        return [o for o in self.outcomes if not o.ok]

    @property
    def unknown(self) -> list[Outcome]:
        """Changes sent without an answer about them: made or not, the next read shows."""
        return [o for o in self.outcomes if o.unknown]


def half_replaced(change: Change, failed_at: int) -> bool:
    """Whether a change failed after its delete went through: a replace whose request
    `failed_at` (0-based; the delete is the first) failed."""
    return failed_at > 0 and change.action is Action.REPLACE


def write_failed(change: Change, failed_at: int, error: ProviderError) -> Outcome:
    """The outcome of a change whose request `failed_at` failed. A half-done replace says
    the object is gone now, so nobody takes it for an object merely left unchanged."""
    message = str(error)
    if half_replaced(change, failed_at):
        message = (
            f"{change.address} was deleted but could not be created again, so it is "
            f"missing now: {message}"
        )
    return Outcome(change, ok=False, error=message, unknown=error.ambiguous)


Progress = Callable[[Outcome], None]


class Provider(Protocol):
    name: ClassVar[str]
    capabilities: ClassVar[Capabilities]

    async def read(self) -> State:
        """Read every managed kind of the account, never one object at a time."""
        ...

    async def apply(
        self, changes: Sequence[Change], progress: Progress | None = None
    ) -> ApplyResult:
        """Carry out the changes in order; stop at the first failure."""
        ...

    @property
    def request_count(self) -> int:
        """HTTP requests sent so far (retries included)."""
        ...

    async def aclose(self) -> None: ...


class MembershipProvider(Provider, Protocol):
    """A provider that can keep rule-driven groups or tags exactly true.

    `scan_members` streams every subscriber of a scope once, whatever its status, in the
    largest pages the API allows (in parallel where it allows), with the remote names of
    the groups or tags each belongs to; it decides nothing. `apply_membership` adds and
    removes members through the API's batch endpoints, after `apply` has created or
    renamed the targets (the provider keeps the ids it learnt from `read` and `apply`).
    It calls `progress` after each batch with the running totals of every change the
    batch touched, and returns one final outcome per change, in order.
    """

    def scan_members(self, scope: Address | None) -> AsyncIterator[list[Member]]: ...

    async def apply_membership(
        self, changes: Sequence[MembershipChange], progress: MembershipProgress | None = None
    ) -> list[MembershipOutcome]: ...


@dataclass(frozen=True)
class MembershipOutcome:
    """What happened to one group's or tag's members so far (progress) or in the end.

    A provider goes on after a failed member (memberships are independent), so `added`,
    `removed` and `failed` together say what the account now holds.
    """

    change: MembershipChange
    added: int
    removed: int
    error: str = ""
    #: Member changes that failed (the error names a few of them).
    failed: int = 0

    @property
    def ok(self) -> bool:
        return not self.error


MembershipProgress = Callable[[MembershipOutcome], None]
