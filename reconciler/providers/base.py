"""The contract every provider meets, and the capabilities it declares.

Providers never decide what to change: they read state and execute the Changes the
engine planned, in the order given.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import ClassVar, Protocol

from reconciler.engine.plan import Change
from reconciler.model import Capabilities, Resource, State

__all__ = ["ApplyResult", "Capabilities", "Outcome", "Progress", "Provider", "ProviderError"]


class ProviderError(Exception):
    """An ESP request failed in a way the user must act on; the message says how.

    Messages never contain credentials.
    """


@dataclass(frozen=True)
class Outcome:
    """What happened to one change during apply."""

    change: Change
    ok: bool
    error: str = ""
    #: The object as the ESP holds it after the change (carries the new id on create).
    result: Resource | None = None
    warning: str = ""


@dataclass
class ApplyResult:
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(o.ok for o in self.outcomes)

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.ok]


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
