"""Limits on hostile YAML, checked on the node tree before any value is built.

Why before construction: alias bombs expand only when values are built, and non-standard
tags such as `!!python/object` must be refused before a constructor could act on them.
"""

from __future__ import annotations

import unicodedata

from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from reconciler.errors import Issue
from reconciler.model import Location

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_DEPTH = 40
MAX_ALIASES = 100
_STANDARD_TAG = "tag:yaml.org,2002:"
_SAFE_TAGS = {
    f"{_STANDARD_TAG}{name}"
    for name in ("str", "int", "float", "bool", "null", "map", "seq", "merge", "timestamp")
}
# Bidi embeddings, overrides and isolates reorder how a name is displayed.
_BIDI = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))}


def _loc(file: str, node: Node) -> Location:
    mark = node.start_mark
    return Location(file, mark.line + 1, mark.column + 1)


def bad_character(text: str, allow_newlines: bool) -> str | None:
    """Describe the first control or bidi character in `text`, or None."""
    for char in text:
        if allow_newlines and char in "\n\t\r":
            continue
        if char in _BIDI or unicodedata.category(char) == "Cc":
            name = unicodedata.name(char, "control character")
            return f"U+{ord(char):04X} {name}"
    return None


def check_nodes(root: Node, file: str) -> list[Issue]:
    """Refuse deep nesting, many aliases, non-standard tags and hidden characters."""
    issues: list[Issue] = []
    seen: set[int] = set()
    aliases = 0
    stack: list[tuple[Node, int, bool]] = [(root, 1, False)]
    while stack:
        node, depth, is_key = stack.pop()
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
        if isinstance(node, ScalarNode):
            found = bad_character(str(node.value), allow_newlines=not is_key)
            if found:
                issues.append(
                    Issue(
                        _loc(file, node),
                        f"{'key' if is_key else 'value'} contains {found}; "
                        "remove the invisible character",
                    )
                )
        elif isinstance(node, MappingNode):
            for key, value in reversed(node.value):
                stack.append((value, depth + 1, False))
                stack.append((key, depth + 1, True))
        elif isinstance(node, SequenceNode):
            for item in reversed(node.value):
                stack.append((item, depth + 1, False))
    return issues
