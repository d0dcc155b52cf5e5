"""What depends on an object from outside espform's declarations. Pure.

An integration that pushes contacts (declared in the config), or a MailerLite automation
triggered by a group (read from the account), breaks when the object it uses is deleted,
replaced or renamed. Both are described the same way, so that safety checks and drift
treat them alike: a mapping from the object's address to the things that depend on it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from reconciler.model import Address, Location

__all__ = ["Dependent", "Dependents", "describe", "merged"]


@dataclass(frozen=True, order=True)
class Dependent:
    """One thing that needs an object to keep its name and exist."""

    #: What it is: "integration" or "automation".
    kind: str
    name: str
    #: How it uses the object, e.g. "triggered when a subscriber joins the group".
    detail: str = ""
    #: Where the config declares the dependency (integrations only).
    source: Location | None = field(default=None, compare=False)

    def __str__(self) -> str:
        text = f'{self.kind} "{self.name}"'
        return f"{text} ({self.detail})" if self.detail else text


#: The objects something depends on, by address, each with who depends on it.
Dependents = Mapping[Address, tuple[Dependent, ...]]


def merged(*maps: Dependents) -> dict[Address, tuple[Dependent, ...]]:
    """One mapping from several sources (config contracts, account automations)."""
    found: dict[Address, set[Dependent]] = {}
    for mapping in maps:
        for address, dependents in mapping.items():
            found.setdefault(address, set()).update(dependents)
    return {address: tuple(sorted(deps)) for address, deps in sorted(found.items())}


def describe(dependents: Iterable[Dependent]) -> str:
    """`integration "partner program" and automation "Welcome" (...)`."""
    names = [str(d) for d in dependents]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]
