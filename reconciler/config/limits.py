"""Limits on hostile YAML, checked on the node tree before any value is built.

Why before construction: alias bombs expand only when values are built, and non-standard
tags such as `!!python/object` must be refused before a constructor could act on them.
"""

from __future__ import annotations

from typing import Any

from ruamel.yaml.nodes import MappingNode, Node, SequenceNode

from reconciler.errors import Issue
from reconciler.model import Location
from reconciler.visible import HIDDEN_IN_FILE, describe, escape

MAX_DEPTH = 40
MAX_ALIASES = 1000
#: Nodes that aliases may add once expanded: merge keys reusing a few defaults stay far
#: below, while a "billion laughs" file (aliases of aliases) is refused before it grows.
MAX_ALIAS_EXPANSION = 100_000
_STANDARD_TAG = "tag:yaml.org,2002:"
_SAFE_TAGS = {
    f"{_STANDARD_TAG}{name}"
    for name in ("str", "int", "float", "bool", "null", "map", "seq", "merge", "timestamp")
}
#: Raw hidden characters reported per file; the rest are counted in the last message.
MAX_RAW_REPORTS = 20


class TooDeep(Exception):
    """Raised while composing, at the first node nested deeper than MAX_DEPTH."""

    def __init__(self, location: Location) -> None:
        super().__init__(location)
        self.location = location


def guard_composer_depth(composer: Any, file: str) -> None:
    """Make `composer` stop at the first node nested deeper than MAX_DEPTH.

    Checking the finished node tree is too late for `[[[[...`: ruamel's scanner slows
    down with every open flow level, so a few thousand brackets take seconds before
    composing fails on Python's recursion limit. Stopping at MAX_DEPTH keeps it quick and
    gives the place where the nesting goes too deep.
    """
    inner = composer.compose_node
    depth = 0

    def compose_node(parent: Any, index: Any) -> Any:
        nonlocal depth
        depth += 1
        try:
            if depth > MAX_DEPTH:
                mark = composer.parser.peek_event().start_mark
                raise TooDeep(Location(file, mark.line + 1, mark.column + 1))
            return inner(parent, index)
        finally:
            depth -= 1

    composer.compose_node = compose_node


def _loc(file: str, node: Node) -> Location:
    mark = node.start_mark
    return Location(file, mark.line + 1, mark.column + 1)


def raw_characters(text: str, file: str) -> list[Issue]:
    """Refuse control, bidi and zero-width characters written raw in the file.

    Raw, they are invisible in review (and bidi overrides make a line read differently
    than YAML reads it). The escaped form in a double-quoted string (`"\\u202E"`) is
    visible and stays allowed: that is how `espform import` writes such names.
    """
    issues: list[Issue] = []
    line, line_start, scanned = 1, 0, 0
    matches = list(HIDDEN_IN_FILE.finditer(text))
    for match in matches[:MAX_RAW_REPORTS]:
        offset = match.start()
        newlines = text.count("\n", scanned, offset)
        if newlines:
            line += newlines
            line_start = text.rfind("\n", scanned, offset) + 1
        scanned = offset
        char = match.group()
        issues.append(
            Issue(
                Location(file, line, offset - line_start + 1),
                f"{describe(char)} written raw, invisible in review; write it as an escape "
                f'in a double-quoted string, "{escape(char)}", if you really mean it, '
                "else delete it",
            )
        )
    if len(matches) > MAX_RAW_REPORTS:
        last = issues[-1]
        more = len(matches) - MAX_RAW_REPORTS
        issues[-1] = Issue(last.location, f"{last.message} ({more:,} more such characters)")
    return issues


def check_nodes(root: Node, file: str) -> list[Issue]:
    """Refuse deep nesting, many aliases and non-standard tags."""
    issues: list[Issue] = []
    seen: set[int] = set()
    aliases = 0
    stack: list[tuple[Node, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if id(node) in seen:
            aliases += 1
            if aliases > MAX_ALIASES:
                return [
                    Issue(
                        _loc(file, node),
                        f"more than {MAX_ALIASES} YAML alias uses; write the values out",
                    )
                ]
            continue
        seen.add(id(node))
        tag = str(getattr(node.tag, "value", node.tag))
        if tag.startswith("!") or (tag.startswith(_STANDARD_TAG) and tag not in _SAFE_TAGS):
            shown = tag.replace(_STANDARD_TAG, "!!")
            issues.append(
                Issue(
                    _loc(file, node),
                    f"unsupported YAML tag {shown}; espform reads plain YAML, remove the tag",
                )
            )
            continue
        if depth > MAX_DEPTH:
            return [
                *issues,
                Issue(_loc(file, node), f"nested deeper than {MAX_DEPTH} levels; flatten it"),
            ]
        if isinstance(node, MappingNode):
            for key, value in reversed(node.value):
                stack.append((value, depth + 1))
                stack.append((key, depth + 1))
        elif isinstance(node, SequenceNode):
            for item in reversed(node.value):
                stack.append((item, depth + 1))
    return issues


def _children(node: Node) -> list[Node]:
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, SequenceNode):
        return list(node.value)
    return []


def check_expansion(root: Node, file: str) -> list[Issue]:
    """Refuse aliases that would expand too far, nest too deep or refer to themselves.

    Sizes are computed on the node graph, where an alias is one shared node, so this
    takes time in proportion to the file, not to what the aliases would expand to.
    """
    size: dict[int, int] = {}  # nodes in the expanded subtree
    height: dict[int, int] = {}  # nesting levels of the expanded subtree
    open_nodes: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            children = _children(node)
            size[key] = 1 + sum(size[id(c)] for c in children)
            height[key] = 1 + max((height[id(c)] for c in children), default=0)
            open_nodes.discard(key)
            continue
        if key in size:
            continue
        if key in open_nodes:
            return [Issue(_loc(file, node), "recursive YAML alias (it contains itself)")]
        open_nodes.add(key)
        stack.append((node, True))
        for child in _children(node):
            if id(child) in open_nodes:
                return [
                    Issue(
                        _loc(file, child),
                        "recursive YAML alias (it contains itself); write the value out",
                    )
                ]
            if id(child) not in size:
                stack.append((child, False))
    unique = len(size)
    if size[id(root)] - unique > MAX_ALIAS_EXPANSION:
        return [
            Issue(
                _loc(file, root),
                f"YAML aliases would expand this file to {size[id(root)]:,} values from "
                f"{unique:,} written (at most {MAX_ALIAS_EXPANSION:,} more are allowed); "
                "write the values out instead of nesting aliases",
            )
        ]
    if height[id(root)] > MAX_DEPTH:
        return [
            Issue(
                _loc(file, root),
                f"YAML aliases nest values deeper than {MAX_DEPTH} levels; flatten them",
            )
        ]
    return []
