"""The order changes are carried out in: what others depend on first, deletes last."""

from __future__ import annotations

from reconciler.engine.plan import Action, Change

#: Kinds in dependency order: containers before what they contain, and what is referred to
#: before what refers to it (a saved segment names merge fields, interests and tags).
#: Every parent kind comes before its child kinds, so this order alone is enough.
KIND_ORDER = (
    "audience",
    "field",
    "merge_field",
    "interest_category",
    "interest",
    "group",
    "tag",
    "segment",
)

#: Within a kind: renames free their old names and take new ones before anything is
#: created under those names; replaces delete and recreate in one step.
_PHASE = {Action.RENAME: 0, Action.UPDATE: 1, Action.REPLACE: 2, Action.CREATE: 3}


def _kind_rank(kind: str) -> int:
    return KIND_ORDER.index(kind) if kind in KIND_ORDER else len(KIND_ORDER)


def order_changes(changes: list[Change]) -> list[Change]:
    """Stable sort: kinds by dependency, deletes at the end.

    Deletes run in reverse kind order (children and referrers first), so nothing is
    deleted while something that is still being kept refers to it.
    """
    keep = [c for c in changes if c.action is not Action.DELETE]
    deletes = [c for c in changes if c.action is Action.DELETE]
    keep.sort(key=lambda c: (_kind_rank(c.kind), _PHASE[c.action]))
    deletes.sort(key=lambda c: -_kind_rank(c.kind))
    return keep + deletes
