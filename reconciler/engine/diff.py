"""diff(desired, observed) -> Plan. Pure: no I/O, no provider code.

Matching: a declared resource matches the remote object with the same key (group name,
field key, merge tag); failing that, the first of its `renamed_from` names that exists,
which becomes a rename that keeps the remote id and members. Remote objects nobody
claims are deleted when their kind is pruned, otherwise reported as unmanaged.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from fnmatch import fnmatchcase

from reconciler.engine.compare import attribute_changes
from reconciler.engine.order import order_changes
from reconciler.engine.plan import Action, Change, Plan
from reconciler.errors import Issue, PlanError
from reconciler.model import Address, Capabilities, Resource, Settings, State


def diff(desired: State, observed: State, settings: Settings, capabilities: Capabilities) -> Plan:
    """Compute the ordered plan that turns `observed` into `desired`.

    Raises PlanError (all issues at once) when the config cannot be carried out against
    this account: an ambiguous name, a missing object of a kind the API cannot create,
    a declared name that an `ignore` pattern also covers.
    """
    plan = Plan(provider=desired.provider)
    issues: list[Issue] = []
    # Desired parent address -> the observed address it matched (differs after a rename),
    # so that children of a renamed parent are looked up under the parent's current name.
    parent_map: dict[Address | None, Address | None] = {None: None}
    changes: list[Change] = []
    claimed: set[int] = set()  # id() of observed resources matched by a declaration

    for (parent, kind), wanted in _scopes(desired):
        remote_parent = parent_map.get(parent, parent)
        remote = [r for r in observed.of_kind(kind, remote_parent) if id(r) not in claimed]
        fold = _folder(kind, capabilities)
        by_key: dict[str, list[Resource]] = defaultdict(list)
        for resource in remote:
            by_key[fold(_identity(resource))].append(resource)

        for want in wanted:
            pattern = _ignored_by(want.key, settings)
            if pattern:
                issues.append(
                    Issue(
                        want.source,
                        f'{kind} "{want.key}" is declared but also matches the ignore '
                        f'pattern "{pattern}"; remove it from settings.ignore or from {kind}s',
                    )
                )
                continue
            match, issue = _match(want, by_key, claimed, capabilities)
            if issue:
                issues.append(issue)
                continue
            if match is None:
                parent_map[want.address] = None
                if kind not in capabilities.creatable:
                    hint = capabilities.create_hints.get(kind, "")
                    issues.append(
                        Issue(
                            want.source,
                            f'{kind} "{want.key}" does not exist in the {desired.provider} '
                            f"account, and its API cannot create {kind}s. {hint}".rstrip(),
                        )
                    )
                    continue
                changes.append(Change(want.address, Action.CREATE, None, want))
                continue
            claimed.add(id(match))
            parent_map[want.address] = match.address
            change = _compare(want, match, fold)
            if change is not None:
                changes.append(change)

    _prune(observed, claimed, parent_map, settings, capabilities, plan, changes)
    issues.extend(_check_references(desired, observed, parent_map, changes, capabilities))
    if issues:
        raise PlanError(issues)
    plan.changes = order_changes(changes)
    return plan


def _scopes(desired: State) -> Iterable[tuple[tuple[Address | None, str], list[Resource]]]:
    """Declared resources grouped by (parent, kind), parents before their children."""
    scopes: dict[tuple[Address | None, str], list[Resource]] = {}
    for resource in desired:
        scopes.setdefault((resource.address.parent, resource.kind), []).append(resource)
    return sorted(scopes.items(), key=lambda item: len(item[1][0].address.parts))


def _ignored_by(key: str, settings: Settings) -> str | None:
    return next((p for p in settings.ignore if fnmatchcase(key, p)), None)


def _match(
    want: Resource,
    by_key: dict[str, list[Resource]],
    claimed: set[int],
    capabilities: Capabilities,
) -> tuple[Resource | None, Issue | None]:
    """The remote object a declaration refers to, by key and then by renamed_from."""
    fold = _folder(want.kind, capabilities)
    for name in (_identity(want), *want.renamed_from):
        candidates = [r for r in by_key.get(fold(name), []) if id(r) not in claimed]
        if not candidates:
            continue
        if len(candidates) > 1:
            ids = ", ".join(str(c.id) for c in candidates)
            return None, Issue(
                want.source,
                f'{len(candidates)} {want.kind}s named "{name}" exist in the account '
                f"(ids {ids}), so espform cannot tell which one is meant; rename or "
                "delete the extra ones in the ESP's app, then plan again",
            )
        if fold(name) != fold(_identity(want)) and want.kind not in capabilities.renamable:
            return None, Issue(
                want.source, f"{want.kind}s cannot be renamed through this ESP's API"
            )
        return candidates[0], None
    return None, None


def _identity(resource: Resource) -> str:
    """What matches a declaration to a remote object: its key, or for kinds the ESP
    gives no name, the identifying attribute (never shown: it may be a secret URL)."""
    if resource.identity is None:
        return resource.key
    value = getattr(resource, resource.identity)
    # A SecretUrl stays itself: it hashes and compares by its clear URL.
    return value if isinstance(value, str) else str(value)


def _folder(kind: str, capabilities: Capabilities) -> Callable[[str], str]:
    """How names of a kind are compared: as written, or ignoring case."""
    return str.casefold if kind in capabilities.case_insensitive else _same


def _same(name: str) -> str:
    return name


def _compare(want: Resource, have: Resource, fold: Callable[[str], str]) -> Change | None:
    changed = attribute_changes(have, want)
    if any(c.attribute in want.replace_on for c in changed):
        return Change(
            want.address,
            Action.REPLACE,
            have,
            want,
            changed,
            destructive=True,
            reason=want.replace_reason,
        )
    if want.identity is None and fold(have.key) != fold(want.key):
        return Change(want.address, Action.RENAME, have, want, changed)
    if changed:
        return Change(want.address, Action.UPDATE, have, want, changed)
    return None


def _check_references(
    desired: State,
    observed: State,
    parent_map: dict[Address | None, Address | None],
    changes: list[Change],
    capabilities: Capabilities,
) -> list[Issue]:
    """Every object a declaration refers to must be declared or already in the account,
    and must not be deleted by this plan."""

    def norm(address: Address) -> Address:
        return address.renamed(_folder(address.kind, capabilities)(address.name))

    declared = {norm(r.address) for r in desired}
    present = {norm(r.address) for r in observed}
    doomed = {norm(c.address) for c in changes if c.action is Action.DELETE}
    issues = []
    for resource in desired:
        for reference in resource.references():
            ref = norm(reference)
            remote = norm(_remote_address(reference, parent_map))
            what = f'{resource.kind} "{resource.key}" refers to {ref.kind} "{reference.name}"'
            if ref not in declared and remote not in present:
                issues.append(
                    Issue(
                        resource.source,
                        f"{what}, which is neither declared nor present in the account; "
                        f"declare it under {ref.kind}s or fix the name",
                    )
                )
            elif ref not in declared and remote in doomed:
                issues.append(
                    Issue(
                        resource.source,
                        f"{what}, which settings.prune would delete; declare it under "
                        f"{ref.kind}s to keep it",
                    )
                )
    return issues


def _remote_address(address: Address, parent_map: dict[Address | None, Address | None]) -> Address:
    """Where a declared address lives in the account now (its parents may be renamed)."""
    parent = address.parent
    if parent is None:
        return address
    remote_parent = parent_map.get(parent) or _remote_address(parent, parent_map)
    return remote_parent.child(address.kind, address.name)


def _prune(
    observed: State,
    claimed: set[int],
    parent_map: dict[Address | None, Address | None],
    settings: Settings,
    capabilities: Capabilities,
    plan: Plan,
    changes: list[Change],
) -> None:
    """Sort unclaimed remote objects into deletes, ignored and unmanaged."""
    # Children of objects being deleted go with them; listing them again would be noise.
    matched_remote_parents = {a for a in parent_map.values() if a is not None}
    deleted: set[Address] = set()
    for resource in sorted(observed, key=lambda r: len(r.address.parts)):
        if id(resource) in claimed or resource.builtin:
            continue
        parent = resource.address.parent
        if parent is not None and (parent in deleted or parent not in matched_remote_parents):
            # A parent that is not declared is not managed, and neither are its children.
            if parent in deleted:
                deleted.add(resource.address)
            continue
        if _ignored_by(resource.key, settings):
            plan.ignored.append(resource)
        elif resource.kind in settings.prune and resource.kind in capabilities.deletable:
            deleted.add(resource.address)
            changes.append(
                Change(
                    resource.address,
                    Action.DELETE,
                    resource,
                    None,
                    destructive=bool(resource.delete_loses),
                    reason=resource.delete_loses,
                )
            )
        else:
            plan.unmanaged.append(resource)
