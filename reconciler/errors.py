"""Errors that carry user-facing issues, each pointing into the config where it can."""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.model import Location


@dataclass(frozen=True, order=True)
class Issue:
    """One problem, as `file:line:col: message` when its place is known."""

    location: Location | None
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message


class IssuesError(Exception):
    """Several issues reported together, sorted by place."""

    def __init__(self, issues: list[Issue]) -> None:
        self.issues = sorted(issues, key=lambda i: (i.location is None, i.location or _NOWHERE))
        super().__init__("\n".join(str(i) for i in self.issues))


_NOWHERE = Location("", 0, 0)


class ConfigError(IssuesError):
    """The config files are invalid; nothing was sent to the ESP."""


class PlanError(IssuesError):
    """The config is valid but cannot be planned against this account."""
