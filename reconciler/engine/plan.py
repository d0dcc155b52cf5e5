"""What a plan is made of: ordered changes with before, after and why."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from reconciler.engine.membership import MembershipChange
from reconciler.model import Address, Resource, section_key


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    RENAME = "rename"
    REPLACE = "replace"  # delete then create: the ESP cannot change it in place
    DELETE = "delete"


@dataclass(frozen=True)
class AttributeChange:
    attribute: str
    before: Any
    after: Any


@dataclass(frozen=True)
class Change:
    """One step of a plan.

    `address` is where the object will be after the change (the new name for a rename);
    `before.address` is where it is now.
    """

    address: Address
    action: Action
    before: Resource | None
    after: Resource | None
    attributes: tuple[AttributeChange, ...] = ()
    #: Data is lost (values erased, memberships dropped); the reason says what.
    destructive: bool = False
    reason: str = ""

    @property
    def kind(self) -> str:
        return self.address.kind

    @property
    def remote_id(self) -> str | None:
        return self.before.id if self.before is not None else None


@dataclass
class Plan:
    provider: str
    changes: list[Change] = field(default_factory=list)
    #: Present remotely, not declared, and not pruned: left alone.
    unmanaged: list[Resource] = field(default_factory=list)
    #: Matched an `ignore` glob: never touched, never reported as unmanaged.
    ignored: list[Resource] = field(default_factory=list)
    #: `--target` addresses this plan was narrowed to; empty for a whole plan.
    targets: tuple[Address, ...] = ()
    #: Members to add to and remove from rule-driven groups or tags, carried out after
    #: every change above; only targets whose membership differs are listed.
    membership: list[MembershipChange] = field(default_factory=list)

    @property
    def has_changes(self) -> bool:
        return bool(self.changes) or any(m.add or m.remove for m in self.membership)

    def membership_summary(self) -> str:
        """`Membership: +1,204 -37 in 5 groups.`, or "" when no membership changes."""
        changed = [m for m in self.membership if m.add or m.remove]
        if not changed:
            return ""
        added = sum(len(m.add) for m in changed)
        removed = sum(len(m.remove) for m in changed)
        kinds = Counter(m.address.kind for m in changed)
        where = " and ".join(
            f"{n} {section_key(kind) if n != 1 else kind}" for kind, n in sorted(kinds.items())
        )
        return f"Membership: +{added:,} -{removed:,} in {where}."

    def counts(self) -> Counter[Action]:
        return Counter(change.action for change in self.changes)

    def summary(self) -> str:
        """Terraform's summary line; renames and replaces are named only when present."""
        c = self.counts()
        if not self.has_changes:
            return "No changes. The account matches the configuration."
        membership = self.membership_summary()
        text = (
            f"Plan: {c[Action.CREATE] + c[Action.REPLACE]} to create, "
            f"{c[Action.UPDATE]} to update, {c[Action.DELETE] + c[Action.REPLACE]} to delete"
        )
        extra = []
        if c[Action.RENAME]:
            extra.append(f"{c[Action.RENAME]} to rename")
        if c[Action.REPLACE]:
            extra.append(f"{c[Action.REPLACE]} replaced")
        text += f" ({', '.join(extra)})." if extra else "."
        return f"{text} {membership}" if membership else text
