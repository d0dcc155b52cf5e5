"""`--target ADDRESS`: narrow a plan to some addresses, as Terraform's -target does. Pure.

A change is selected when its address (or, for a rename, its old address) is a target
or lies under one: `mailchimp.audience["Shop"]` selects the audience and everything in
it. A selected change also brings along the changes it cannot succeed without: the
creation or rename of its parents and of the objects it refers to (a merge field in an
audience created by the same plan, a segment naming a new tag). Deletes are never
brought along; only a target selects them. Membership changes of rule-driven groups
and tags are selected by their address like the rest, and bring along the creation or
rename of their group or tag.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence

from reconciler.engine.plan import Action, Change, Plan
from reconciler.model import Address, State

_PREREQUISITES = frozenset({Action.CREATE, Action.RENAME})

#: What a target looks like, for hints.
EXAMPLE = 'mailerlite.group["Partners"] or mailchimp.audience["Shop"].tag["VIP"]'


class TargetError(Exception):
    """A target is not an address, or names nothing in the config or the account."""


def parse_targets(texts: Iterable[str]) -> tuple[Address, ...]:
    """Parse every `--target`, reporting all bad ones at once; duplicates are dropped."""
    found: dict[Address, None] = {}
    bad: list[str] = []
    for text in texts:
        try:
            found[Address.parse(text.strip())] = None
        except ValueError:
            bad.append(
                f"--target {text!r} is not a resource address; write it as it appears in "
                f"the plan, e.g. {EXAMPLE} (quote it for the shell: "
                "--target 'mailerlite.group[\"Partners\"]')"
            )
    if bad:
        raise TargetError("\n".join(bad))
    return tuple(found)


def known_addresses(desired: State, observed: State) -> frozenset[Address]:
    """Every address a target may name: declared, or present in the account."""
    return frozenset(r.address for r in desired) | frozenset(r.address for r in observed)


def unknown_targets(targets: Sequence[Address], known: frozenset[Address]) -> list[Address]:
    return [t for t in targets if t not in known]


def unknown_message(targets: Sequence[Address], known: Iterable[Address]) -> str:
    """One line per unknown target, each with the nearest known address as a hint."""
    lines = []
    for target in targets:
        near = _nearest(target, known)
        hint = f"; did you mean {near}?" if near is not None else ""
        lines.append(
            f"--target {target} names nothing declared in the config nor present in the "
            f"account{hint} (addresses are shown by `espform plan`)"
        )
    return "\n".join(lines)


def _nearest(target: Address, known: Iterable[Address]) -> Address | None:
    """A likely meant address: a sibling with a similar name, else the same name under
    a similar path (a mistyped kind or parent). Whole addresses are not compared, as
    their shared prefix makes every one look alike."""
    known = list(known)
    siblings = {
        a.name: a
        for a in known
        if (a.provider, a.parent, a.kind) == (target.provider, target.parent, target.kind)
    }
    close = difflib.get_close_matches(target.name, sorted(siblings), n=1, cutoff=0.6)
    if close:
        return siblings[close[0]]
    namesakes = {str(a): a for a in known if a.name == target.name}
    close = difflib.get_close_matches(str(target), sorted(namesakes), n=1, cutoff=0.8)
    return namesakes[close[0]] if close else None


def select(plan: Plan, targets: Sequence[Address]) -> Plan:
    """The part of `plan` at `targets`, with what it depends on; the plan itself when
    no target is given. Order is kept, so dependencies still come first."""
    if not targets:
        return plan
    chosen = {i for i, change in enumerate(plan.changes) if _hits(change, targets)}
    membership = [m for m in plan.membership if _within(m.address, targets)]
    # Only creates and renames are prerequisites: an update of a parent is not needed
    # for its child to succeed. Several changes may share an address.
    by_address: dict[Address, list[int]] = {}
    for i, change in enumerate(plan.changes):
        if change.action in _PREREQUISITES:
            by_address.setdefault(change.address, []).append(i)
    # Members can only be added to a group that exists under its planned name.
    for change in membership:
        for index in by_address.get(change.address, []):
            chosen.add(index)
    pending = list(chosen)
    while pending:
        change = plan.changes[pending.pop()]
        for needed in _needs(change):
            for index in by_address.get(needed, []):
                if index not in chosen:
                    chosen.add(index)
                    pending.append(index)
    return Plan(
        provider=plan.provider,
        changes=[c for i, c in enumerate(plan.changes) if i in chosen],
        unmanaged=[r for r in plan.unmanaged if _within(r.address, targets)],
        ignored=[r for r in plan.ignored if _within(r.address, targets)],
        targets=tuple(targets),
        membership=membership,
    )


def _within(address: Address, targets: Sequence[Address]) -> bool:
    return any(
        address.provider == t.provider and address.parts[: len(t.parts)] == t.parts for t in targets
    )


def _hits(change: Change, targets: Sequence[Address]) -> bool:
    if _within(change.address, targets):
        return True
    return change.before is not None and _within(change.before.address, targets)


def _needs(change: Change) -> list[Address]:
    """Addresses whose pending creation or rename this change cannot do without."""
    if change.action is Action.DELETE or change.after is None:
        return []
    needed: list[Address] = []
    for address in (change.address, *change.after.references()):
        parent = address.parent
        while parent is not None:
            needed.append(parent)
            parent = parent.parent
        if address != change.address:
            needed.append(address)
    return needed
