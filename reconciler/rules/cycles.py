"""Find rule-driven groups and tags whose membership depends on itself.

`Gold: {in_group: Active}` with `Active: {not: {in_group: Gold}}` has no stable answer:
each pass would flip the members of the other. Such loops are refused before anything
is planned. A rule may freely use groups and tags that are not rule-driven.

Names are matched as text comparison matches them (case and surrounding spaces ignored),
as `evaluate` does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from reconciler.errors import Issue
from reconciler.model import Location
from reconciler.rules.ast import HasTag, InGroup, Rule, walk
from reconciler.rules.text import fold

#: ("group" | "tag", folded name)
_Node = tuple[str, str]


@dataclass(frozen=True)
class _Edge:
    target: _Node
    #: Where the reference is written, in the rule of the edge's source.
    location: Location | None


def find_cycles(
    groups: Mapping[str, Rule] | None = None, tags: Mapping[str, Rule] | None = None
) -> list[Issue]:
    """One issue per loop among rule-driven `groups` and `tags` (name -> rule).

    Each issue sits at the reference that starts the loop, in the rule of its first
    member by name, and spells out the whole loop.
    """
    rules: dict[_Node, Rule] = {}
    names: dict[_Node, str] = {}
    for kind, mapping in (("group", groups or {}), ("tag", tags or {})):
        for name, rule in mapping.items():
            node = (kind, fold(name))
            rules[node] = rule
            names.setdefault(node, name)
    graph = {node: _edges(rule, rules) for node, rule in rules.items()}
    issues: list[Issue] = []
    seen: set[frozenset[_Node]] = set()
    for cycle in _cycles(graph):
        members = frozenset(edge.target for edge in cycle)
        if members not in seen:
            seen.add(members)
            issues.append(_issue(cycle, names))
    return issues


def _edges(rule: Rule, rules: Mapping[_Node, Rule]) -> list[_Edge]:
    edges: list[_Edge] = []
    for node in walk(rule):
        if isinstance(node, InGroup | HasTag):
            target = ("group" if isinstance(node, InGroup) else "tag", fold(node.name))
            if target in rules:
                edges.append(_Edge(target, node.location))
    return edges


def _cycles(graph: Mapping[_Node, list[_Edge]]) -> list[list[_Edge]]:
    """Loops found by depth-first search from each node in name order; each loop is a
    list of edges, starting at the edge that leaves its smallest node."""
    found: list[list[_Edge]] = []
    done: set[_Node] = set()
    for start in sorted(graph):
        if start in done:
            continue
        # An explicit stack: chains of rules could be longer than the recursion limit.
        path: list[_Node] = [start]
        taken: list[_Edge] = []
        on_path = {start}
        pending = [iter(graph[start])]
        while pending:
            edge = next(pending[-1], None)
            if edge is None:  # every reference of path[-1] explored
                pending.pop()
                node = path.pop()
                on_path.discard(node)
                done.add(node)
                if taken:
                    taken.pop()
                continue
            if edge.target in on_path:
                # taken[i] leaves path[i]: the loop is those edges from the target on.
                index = path.index(edge.target)
                found.append(_rotate([*taken[index:], edge]))
            elif edge.target not in done:
                path.append(edge.target)
                taken.append(edge)
                on_path.add(edge.target)
                pending.append(iter(graph[edge.target]))
    return found


def _rotate(cycle: list[_Edge]) -> list[_Edge]:
    # The edge into a node is the previous one; start from the edge leaving the
    # smallest node, so that a loop reads the same whichever node it was found from.
    sources = [cycle[i - 1].target for i in range(len(cycle))]
    first = sources.index(min(sources))
    return cycle[first:] + cycle[:first]


def _issue(cycle: list[_Edge], names: Mapping[_Node, str]) -> Issue:
    start = cycle[-1].target
    steps = [start, *(edge.target for edge in cycle)]
    chain = " → ".join(f"{kind} '{names[(kind, key)]}'" for kind, key in steps)
    kind = start[0]
    if len(cycle) == 1:
        message = (
            f"the rule of {kind} '{names[start]}' refers to {kind} '{names[start]}' itself; "
            "a rule-driven membership cannot depend on itself, remove that reference"
        )
    else:
        message = (
            f"rule-driven memberships depend on each other in a loop: {chain}; "
            "membership would never settle, remove one of these references"
        )
    return Issue(cycle[0].location, message)
