"""Read a YAML file into plain Python data plus the position of every key and value.

The rest of the loader works on plain dicts, lists and scalars (so pydantic sees ordinary
types and strictness rules apply as documented), and asks a `Positions` index where a
path such as `("groups", "Partners", "renamed_from", 0)` was written.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq, TaggedScalar
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.scalarbool import ScalarBoolean

from reconciler.config.limits import (
    MAX_DEPTH,
    TooDeep,
    check_expansion,
    check_nodes,
    guard_composer_depth,
    raw_characters,
)
from reconciler.errors import Issue
from reconciler.model import Location

#: A path into the document: mapping keys and list indexes, as pydantic's `loc` has them.
DataPath = tuple[Hashable, ...]

_MERGE_TAG = "tag:yaml.org,2002:merge"


@dataclass(frozen=True)
class Span:
    """Where one entry was written: its key (None for list items and the root) and value."""

    key: Location | None
    value: Location


@dataclass
class Positions:
    """Positions of the nodes of one file, looked up by data path."""

    file: str
    spans: dict[DataPath, Span] = field(default_factory=dict)

    @property
    def start(self) -> Location:
        return Location(self.file, 1, 1)

    def _nearest(self, path: DataPath) -> tuple[DataPath, Span]:
        # Entries that came from a merge key (`<<: *base`) or that pydantic invents (such
        # as `[key]`) have no node of their own: fall back to the closest written parent.
        for end in range(len(path), -1, -1):
            span = self.spans.get(path[:end])
            if span is not None:
                return path[:end], span
        return (), Span(None, self.start)

    def value(self, path: DataPath) -> Location:
        """Where the value at `path` starts, or its nearest written parent's value."""
        return self._nearest(path)[1].value

    def key(self, path: DataPath) -> Location:
        """Where the key of `path` is written; the value's place for list items."""
        found, span = self._nearest(path)
        if found != path:
            return span.value
        return span.key or span.value


@dataclass
class Source:
    """One parsed file: its data (None when empty) and node positions."""

    data: Any
    positions: Positions


def parse_yaml(text: str, file: str) -> tuple[Source | None, list[Issue]]:
    """Parse `text`; return the source, or None and the issues that stopped parsing."""
    positions = Positions(file)
    hidden = raw_characters(text, file)
    if hidden:
        return None, hidden
    yaml = YAML(typ="rt")
    # Duplicates are found on the node tree below so that every one is reported with both
    # places, instead of ruamel stopping at the first.
    yaml.allow_duplicate_keys = True
    try:
        constructor, _parser = yaml.get_constructor_parser(text)
        guard_composer_depth(constructor.composer, file)
        node = constructor.composer.get_single_node()
    except TooDeep as exc:
        return None, [Issue(exc.location, f"nested deeper than {MAX_DEPTH} levels; flatten it")]
    except RecursionError:
        return None, [Issue(positions.start, f"nested deeper than {MAX_DEPTH} levels; flatten it")]
    except MarkedYAMLError as exc:
        return None, [_syntax_issue(exc, positions, text)]
    except YAMLError as exc:
        return None, [Issue(positions.start, f"YAML syntax error: {exc}")]
    if node is None:
        return Source(None, positions), []
    limit_issues = check_nodes(node, file) or check_expansion(node, file)
    if limit_issues:
        return None, limit_issues
    issues = _duplicate_keys(node, file)
    try:
        raw = constructor.construct_document(node)
    except MarkedYAMLError as exc:
        return None, [*issues, _syntax_issue(exc, positions, text)]
    except (YAMLError, ValueError, TypeError) as exc:
        # e.g. `!!int abc`: the constructor gives no position, only the reason.
        return None, [*issues, Issue(positions.start, f"cannot read the YAML value: {exc}")]
    converter = _Converter(positions)
    data = converter.convert(raw, (), None)
    positions.spans.setdefault((), Span(None, _root_location(node, file)))
    return Source(data, positions), issues + converter.issues


def _syntax_issue(exc: MarkedYAMLError, positions: Positions, text: str) -> Issue:
    mark = exc.problem_mark or exc.context_mark
    where = Location(positions.file, mark.line + 1, mark.column + 1) if mark else positions.start
    problem = exc.problem or exc.context or "invalid YAML"
    if exc.context and exc.problem and exc.context_mark is not None:
        problem = f"{problem} ({exc.context} started at line {exc.context_mark.line + 1})"
    lines = text.splitlines()
    line = lines[mark.line] if mark and mark.line < len(lines) else ""
    if "${" in line and "flow" in str(exc.context):
        # `{` is YAML syntax inside `{ }` and `[ ]`: an unquoted reference breaks them.
        problem += '; quote references inside { } or [ ], e.g. {token: "${env:NAME}"}'
    return Issue(where, f"YAML syntax error: {problem}")


def _root_location(node: Node, file: str) -> Location:
    return Location(file, node.start_mark.line + 1, node.start_mark.column + 1)


def _duplicate_keys(root: Node, file: str) -> list[Issue]:
    issues: list[Issue] = []
    seen_nodes: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen_nodes:  # aliases share nodes; recursive aliases loop
            continue
        seen_nodes.add(id(node))
        if isinstance(node, MappingNode):
            first: dict[tuple[str, str], Node] = {}
            for key_node, value_node in node.value:
                stack.append(value_node)
                if not isinstance(key_node, ScalarNode) or _tag(key_node) == _MERGE_TAG:
                    continue
                ident = (_tag(key_node), key_node.value)
                if ident in first:
                    line = first[ident].start_mark.line + 1
                    issues.append(
                        Issue(
                            _root_location(key_node, file),
                            f"duplicate key {key_node.value!r} (first defined at line {line}); "
                            "a key may appear only once in a mapping",
                        )
                    )
                else:
                    first[ident] = key_node
        elif isinstance(node, SequenceNode):
            stack.extend(node.value)
    return issues


def _tag(node: Node) -> str:
    return str(getattr(node.tag, "value", node.tag))


class _Converter:
    """Turn ruamel's round-trip objects into plain data, recording each node's place."""

    def __init__(self, positions: Positions) -> None:
        self.positions = positions
        self.issues: list[Issue] = []
        self._active: set[int] = set()

    def _loc(self, line: int, col: int) -> Location:
        return Location(self.positions.file, line + 1, col + 1)

    def convert(self, value: Any, path: DataPath, here: Location | None) -> Any:
        if isinstance(value, CommentedMap | CommentedSeq):
            if id(value) in self._active:
                self.issues.append(
                    Issue(here or self.positions.start, "recursive YAML alias is not supported")
                )
                return None
            tag = getattr(value.tag, "value", None)
            if tag is not None and not str(tag).startswith("tag:yaml.org,2002:"):
                self._unsupported_tag(tag, here)
            self._active.add(id(value))
            try:
                if isinstance(value, CommentedMap):
                    return self._mapping(value, path)
                return self._sequence(value, path)
            finally:
                self._active.discard(id(value))
        return self._scalar(value, here)

    def _mapping(self, value: CommentedMap, path: DataPath) -> dict[Hashable, Any]:
        out: dict[Hashable, Any] = {}
        for key, item in value.items():
            plain_key = self._scalar(key, None)
            child = (*path, plain_key)
            spot = value.lc.data.get(key)
            here = None
            if spot is not None:
                here = self._loc(spot[2], spot[3])
                self.positions.spans[child] = Span(self._loc(spot[0], spot[1]), here)
            out[plain_key] = self.convert(item, child, here)
        return out

    def _sequence(self, value: CommentedSeq, path: DataPath) -> list[Any]:
        out: list[Any] = []
        for index, item in enumerate(value):
            child = (*path, index)
            spot = value.lc.data.get(index)
            here = None
            if spot is not None:
                here = self._loc(spot[0], spot[1])
                self.positions.spans[child] = Span(None, here)
            out.append(self.convert(item, child, here))
        return out

    def _unsupported_tag(self, tag: str, here: Location | None) -> None:
        self.issues.append(
            Issue(
                here or self.positions.start,
                f"unsupported YAML tag {tag}; espform reads plain YAML, remove the tag",
            )
        )

    def _scalar(self, value: Any, here: Location | None) -> Any:
        # ruamel keeps formatting in subclasses (ScalarFloat, ScalarBoolean, quoted string
        # types); plain types keep pydantic's strict checks meaningful.
        if isinstance(value, TaggedScalar):
            self._unsupported_tag(str(value.tag), here)
            return value.value
        if isinstance(value, bool | ScalarBoolean):
            return bool(value)
        if isinstance(value, int):
            return int(value)
        if isinstance(value, float):
            return float(value)
        if isinstance(value, str):
            return str(value)
        if isinstance(value, tuple):  # complex keys such as `? [a, b]`
            return tuple(self._scalar(v, here) for v in value)
        # None, dates and timestamps are already plain.
        return value
