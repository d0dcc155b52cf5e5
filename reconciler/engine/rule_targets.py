"""From a desired state and its structural plan to the rule targets to scan for. Pure.

A rule-driven resource is any desired resource with a `rule` (MailerLite's `Group`,
Mailchimp's `Tag`). Its remote name follows the plan: created by it means no members
yet; renamed by it means the members are still listed under the old name. So does its
scope: the members of a tag in an audience the plan renames are read from the audience
under its old name.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

from reconciler.engine.membership import RuleTarget
from reconciler.engine.plan import Action, Change, Plan
from reconciler.model import Address, State
from reconciler.rules import Catalog, Rule


def rule_of(resource: object) -> Rule | None:
    rule: Rule | None = getattr(resource, "rule", None)
    return rule


def has_rules(desired: State) -> bool:
    return any(rule_of(resource) is not None for resource in desired)


def rule_targets(
    desired: State, plan: Plan, catalogs: Mapping[Address | None, Catalog] | None = None
) -> list[RuleTarget]:
    """One target per rule-driven resource of `desired`, in declaration order.

    `plan` must be the whole structural plan (before `--target` narrows it), so that a
    group created or renamed by it is known as such.
    """
    by_address = {change.address: change for change in plan.changes}
    targets = []
    for resource in desired:
        rule = rule_of(resource)
        if rule is None:
            continue
        change = by_address.get(resource.address)
        remote: str | None = resource.key
        if change is not None and change.action is Action.CREATE:
            remote = None
        elif change is not None and change.before is not None:
            remote = change.before.key
        catalog = (catalogs or {}).get(resource.address.parent)
        remote_scope = _remote_parent(resource.address, by_address)
        targets.append(RuleTarget(resource.address, rule, remote, catalog, remote_scope))
    return targets


def _remote_parent(address: Address, by_address: Mapping[Address, Change]) -> Address | None:
    """Where `address`'s parent lives in the account now, if the plan renames it; None
    when it keeps its address (or has none, or is created by the plan)."""
    parent = address.parent
    if parent is None:
        return None
    change = by_address.get(parent)
    if change is not None and change.action is Action.RENAME and change.before is not None:
        return change.before.address
    return None


def by_scope(targets: list[RuleTarget]) -> dict[Address | None, list[RuleTarget]]:
    """Targets grouped by the scan that covers them, scopes in first-seen order."""
    scopes: dict[Address | None, list[RuleTarget]] = defaultdict(list)
    for target in targets:
        scopes[target.scope].append(target)
    return dict(scopes)


def renames_in(plan: Plan, scope: Address | None) -> dict[str, str]:
    """Old name to new name of the groups and tags `plan` renames directly in `scope`."""
    return {
        change.before.key: change.address.name
        for change in plan.changes
        if change.action is Action.RENAME
        and change.before is not None
        and change.kind in ("group", "tag")
        and change.address.parent == scope
    }
