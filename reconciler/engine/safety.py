"""Safety checks on a plan: protected objects, and bulk-change thresholds. Pure.

Two guards, in the manner of octoDNS and Terraform:

- **Protection.** `settings.protect` names globs of objects that are never deleted nor
  replaced. It is checked against every delete and replace in the plan, including the
  objects that go with a deleted parent. `--force` does not lift it: the way to delete a
  protected object is to edit `settings.protect` first, which is reviewed like any other
  change. (Terraform's `prevent_destroy` lives in the resource block, so deleting the
  block deletes the protection too; this one does not.)
- **Thresholds.** A plan that updates/renames/replaces more than `max_change_percent`,
  or deletes/replaces more than `max_delete_percent`, of the objects of one kind under
  one parent (the account for MailerLite, an audience for Mailchimp's merge fields...)
  is refused unless forced. Creates never count: bootstrapping an empty account is the
  normal first run. A replace counts as both a change and a delete, since it erases the
  object's data. Thresholds only apply to scopes with at least
  `settings.threshold_min_objects` (10) objects: in a small account one ordinary delete
  is already a large share.
- **Membership.** So that a typo in a rule cannot empty (or flood) a group on merge, a
  rule-driven group or tag whose members would change (adds plus removes) by more than
  `settings.max_membership_change_percent` (30) of its current members is refused
  unless forced, once it has `settings.membership_min_members` (100) members; and a
  plan that would remove every member of a group is refused whatever its size.
- **Dependents.** An object that an integration (declared in the config) or an automation
  (read from the account) depends on is not deleted, replaced or renamed unless forced,
  and the refusal names what would break. `--force` lifts it: the integration may have
  been moved to another object on purpose.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from fnmatch import fnmatchcase

from reconciler.engine.dependents import Dependent, Dependents, describe
from reconciler.engine.plan import Action, Change, Plan
from reconciler.model import (
    DEFAULT_MAX_MEMBERSHIP_CHANGE_PERCENT,
    Address,
    Glob,
    Limit,
    Settings,
    State,
    section_key,
)

#: Objects of one kind under one parent (None: the account itself).
Scope = tuple[Address | None, str]

_CHANGING = frozenset({Action.UPDATE, Action.RENAME, Action.REPLACE})
_DELETING = frozenset({Action.DELETE, Action.REPLACE})
_BREAKING = frozenset({Action.DELETE, Action.REPLACE, Action.RENAME})


class Rule(StrEnum):
    PROTECT = "protect"
    MAX_CHANGE_PERCENT = "max_change_percent"
    MAX_DELETE_PERCENT = "max_delete_percent"
    MAX_MEMBERSHIP_CHANGE_PERCENT = "max_membership_change_percent"
    EMPTIES_GROUP = "empties_group"
    DEPENDED_ON = "depended_on"


@dataclass(frozen=True)
class Census:
    """What the checks need to know of the observed account: how many objects each
    scope holds, and which objects exist (to find what goes with a deleted parent)."""

    counts: Mapping[Scope, int]
    addresses: frozenset[Address]

    @classmethod
    def of(cls, observed: State, settings: Settings) -> Census:
        """Objects matched by `settings.ignore` are outside espform's reach and do not
        count: a thousand ignored imports must not dilute a mass delete of the rest."""
        counts: Counter[Scope] = Counter()
        for resource in observed:
            if not any(fnmatchcase(resource.key, p) for p in settings.ignore):
                counts[(resource.address.parent, resource.kind)] += 1
        return cls(counts=dict(counts), addresses=frozenset(r.address for r in observed))


@dataclass(frozen=True)
class Violation:
    """One reason to refuse a plan, with the message a user reads."""

    rule: Rule
    message: str
    #: The protected object (PROTECT), or the group or tag whose members would change.
    address: Address | None = None
    #: The glob that protects it (PROTECT only).
    glob: Glob | None = None
    #: The kind and parent counted (object thresholds only).
    scope: Scope | None = None
    count: int = 0
    total: int = 0
    percent: float = 0.0
    limit: Limit | None = None
    #: What depends on the object (DEPENDED_ON only).
    by: tuple[Dependent, ...] = ()

    @property
    def overridable(self) -> bool:
        """--force lifts thresholds, never protection."""
        return self.rule is not Rule.PROTECT


def check(
    plan: Plan,
    census: Census,
    settings: Settings,
    *,
    force: bool = False,
    dependents: Dependents | None = None,
) -> list[Violation]:
    """Every reason to refuse `plan`; with `force`, only those force cannot lift."""
    found = [
        *protection(plan, census, settings),
        *dependencies(plan, census, dependents or {}),
        *thresholds(plan, census, settings),
        *membership(plan, settings),
    ]
    return standing(found, force=force)


def standing(violations: Iterable[Violation], *, force: bool) -> list[Violation]:
    return [v for v in violations if not (force and v.overridable)]


def protection(plan: Plan, census: Census, settings: Settings) -> list[Violation]:
    """Deletes and replaces of protected objects, and protected objects that would go
    with a deleted parent."""
    if not settings.protect:
        return []
    found: list[Violation] = []
    for change in plan.changes:
        if change.action not in _DELETING or change.before is None:
            continue
        gone = change.before.address
        glob = _protecting(gone.name, settings.protect)
        if glob is not None:
            found.append(_protected(change, gone, glob, parent=None))
        if change.action is Action.DELETE:
            for child in sorted(a for a in census.addresses if _under(a, gone)):
                glob = _protecting(child.name, settings.protect)
                if glob is not None:
                    found.append(_protected(change, child, glob, parent=gone))
    return found


def dependencies(plan: Plan, census: Census, dependents: Dependents) -> list[Violation]:
    """Deletes, replaces and renames of objects something depends on, and such objects
    that would go with a deleted parent. A rename is checked under both names: the
    dependency may be declared on the new name while the integration uses the old."""
    if not dependents:
        return []
    found: list[Violation] = []
    for change in plan.changes:
        if change.action not in _BREAKING or change.before is None:
            continue
        gone = change.before.address
        at_risk = {gone}
        if change.after is not None:
            at_risk.add(change.after.address)
        by = tuple(sorted({d for a in at_risk for d in dependents.get(a, ())}))
        if by:
            found.append(_depended_on(change, gone, by, parent=None))
        if change.action is Action.DELETE:
            for child in sorted(a for a in census.addresses if _under(a, gone)):
                if dependents.get(child):
                    found.append(_depended_on(change, child, dependents[child], parent=gone))
    return found


def thresholds(plan: Plan, census: Census, settings: Settings) -> list[Violation]:
    changed: Counter[Scope] = Counter()
    deleted: Counter[Scope] = Counter()
    for change in plan.changes:
        if change.before is None:
            continue  # a create: nothing existing is at risk
        scope = (change.before.address.parent, change.before.kind)
        if change.action in _CHANGING:
            changed[scope] += 1
        if change.action in _DELETING:
            deleted[scope] += 1
    found: list[Violation] = []
    for rule, counted, verb in (
        (Rule.MAX_CHANGE_PERCENT, changed, "updated, renamed or replaced"),
        (Rule.MAX_DELETE_PERCENT, deleted, "deleted or replaced"),
    ):
        threshold = (
            settings.max_change_percent
            if rule is Rule.MAX_CHANGE_PERCENT
            else settings.max_delete_percent
        )
        for scope, count in sorted(counted.items(), key=_scope_order):
            total = census.counts.get(scope, 0)
            if total < max(settings.threshold_min_objects, 1):
                continue
            limit = threshold.limit(scope[1])
            percent = 100.0 * count / total
            if percent > limit.percent:
                found.append(
                    Violation(
                        rule=rule,
                        message=_threshold_message(rule, scope, count, total, percent, limit, verb),
                        scope=scope,
                        count=count,
                        total=total,
                        percent=percent,
                        limit=limit,
                    )
                )
    return found


def membership(plan: Plan, settings: Settings) -> list[Violation]:
    """Membership changes too large for their group or tag, and those that empty one."""
    found: list[Violation] = []
    limit = Limit(
        settings.max_membership_change_percent,
        "settings.max_membership_change_percent"
        if settings.max_membership_change_percent != DEFAULT_MAX_MEMBERSHIP_CHANGE_PERCENT
        else "",
    )
    for change in plan.membership:
        total, count = change.current_size, change.size
        noun = change.address.kind
        if total and len(change.remove) >= total and not change.add:
            message = (
                f"{change.address}: all {total} members would be removed, leaving the "
                f"{noun} empty; check its rule (a typo matches nobody). If that is "
                "intended, run again with --force."
            )
            found.append(
                Violation(
                    Rule.EMPTIES_GROUP,
                    message,
                    address=change.address,
                    count=count,
                    total=total,
                    percent=100.0,
                )
            )
            continue
        if total < max(settings.membership_min_members, 1):
            continue
        percent = 100.0 * count / total
        if percent > limit.percent:
            origin = limit.setting or f"the default {Rule.MAX_MEMBERSHIP_CHANGE_PERCENT.value}"
            example = (math.floor(percent / 10) + 1) * 10
            message = (
                f"{change.address}: {count} of its {total} members would change "
                f"(+{len(change.add)} -{len(change.remove)}, {_percent(percent)}), more "
                f"than the {_percent(limit.percent)} allowed by {origin}. Check the {noun}'s "
                "rule; if the change is intended, run again with --force, or raise the "
                f"limit, e.g. `settings: {{max_membership_change_percent: {example}}}`."
            )
            found.append(
                Violation(
                    Rule.MAX_MEMBERSHIP_CHANGE_PERCENT,
                    message,
                    address=change.address,
                    count=count,
                    total=total,
                    percent=percent,
                    limit=limit,
                )
            )
    return found


def describe_scope(scope: Scope) -> str:
    """`groups`, or `merge_fields of mailchimp.audience["Shop"]`."""
    parent, kind = scope
    return section_key(kind) + (f" of {parent}" if parent is not None else "")


def _protecting(name: str, globs: Sequence[Glob]) -> Glob | None:
    return next((g for g in globs if fnmatchcase(name, g.pattern)), None)


def _under(address: Address, ancestor: Address) -> bool:
    size = len(ancestor.parts)
    return (
        address.provider == ancestor.provider
        and len(address.parts) > size
        and address.parts[:size] == ancestor.parts
    )


def _scope_order(item: tuple[Scope, int]) -> tuple[str, str]:
    (parent, kind), _ = item
    return (str(parent) if parent is not None else "", kind)


def _percent(value: float) -> str:
    return f"{value:.0f}%" if value == int(value) else f"{value:.1f}%"


def _where(glob: Glob) -> str:
    return f" ({glob.source})" if glob.source is not None else ""


def _protected(change: Change, address: Address, glob: Glob, parent: Address | None) -> Violation:
    if parent is not None:
        what = f"{address} would be deleted along with {parent}"
        keep = f"declare {parent} again or turn off settings.prune for its kind"
    elif change.action is Action.REPLACE:
        what = f"{address} would be replaced (deleted and created again)"
        keep = "undo the change that forces the replacement"
    else:
        what = f"{address} would be deleted"
        keep = f"declare it again or turn off settings.prune for {section_key(address.kind)}"
    message = (
        f'{what}, but settings.protect "{glob.pattern}"{_where(glob)} protects it, even '
        f"with --force. To keep it, {keep}; to remove it on purpose, first change "
        "settings.protect so that it no longer matches."
    )
    return Violation(Rule.PROTECT, message, address=address, glob=glob)


def _depended_on(
    change: Change, address: Address, by: tuple[Dependent, ...], parent: Address | None
) -> Violation:
    if parent is not None:
        what = f"{address} would be deleted along with {parent}"
    elif change.action is Action.RENAME and change.after is not None:
        what = f'{address} would be renamed to "{change.after.address.name}"'
    elif change.action is Action.REPLACE:
        what = f"{address} would be replaced (deleted and created again, with a new id)"
    else:
        what = f"{address} would be deleted"
    where = "".join(f" (declared at {d.source})" for d in by if d.source is not None)
    message = (
        f"{what}, but {describe(by)} depends on it{where}; that would break it. Keep the "
        "object as it is, or, if the integration no longer uses it, run again with --force."
    )
    return Violation(Rule.DEPENDED_ON, message, address=address, by=by)


def _threshold_message(
    rule: Rule, scope: Scope, count: int, total: int, percent: float, limit: Limit, verb: str
) -> str:
    origin = limit.setting or f"the default {rule.value}"
    # A round figure above the current share, as an example that would let it through.
    example = min(100, (math.floor(percent / 10) + 1) * 10)
    return (
        f"{describe_scope(scope)}: {count} of {total} ({_percent(percent)}) would be {verb}, "
        f"more than the {_percent(limit.percent)} allowed by {origin}. If that is "
        f"intended, run again with --force, or raise the limit under settings, e.g. "
        f"`{rule.value}: {{{section_key(scope[1])}: {example}}}`."
    )
