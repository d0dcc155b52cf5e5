"""Write a `Document` as commented YAML with ruamel.yaml.

What the writer takes care of, so that the file reads back as exactly what was meant:

- Quoting: ruamel quotes what YAML 1.2 would read as something else (`'1'`, `'null'`,
  `'a: b'`); the writer also quotes the YAML 1.1 booleans (`yes`, `off`, ...) that
  other tools still read as true/false, and double-quotes names holding control or
  line-separator characters so that they survive as escapes.
- References: `${` in a value would be read as a reference by the loader, so it is
  written `$${`; only a `Reference` (the credential) is written as is.
- Comments: the header, a comment above a section or an entry, and `# espform: ...`
  notes are ruamel comments. An entry that is left out is written in place as comment
  lines: ruamel has no node for that, so a placeholder key holds its place while
  dumping and the commented-out text replaces that line afterwards.
"""

from __future__ import annotations

import io
import re
import secrets
import textwrap
import unicodedata
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, SingleQuotedScalarString

from reconciler.importer.document import Block, Document, Entry, Reference, printable

INDENT = 2
#: Wrap notes at this width; data lines are never wrapped.
NOTE_WIDTH = 88
NOTE_PREFIX = "espform: "
#: Read as booleans by YAML 1.1 tools, though not by espform's YAML 1.2 loader.
_YAML11_WORDS = frozenset(
    word
    for base in ("y", "yes", "n", "no", "on", "off", "true", "false")
    for word in (base, base.capitalize(), base.upper())
)
#: Characters that give a plain scalar another meaning when it starts with them.
_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`")
#: Characters that end a plain scalar inside `{ }` and `[ ]`.
_FLOW_SPECIAL = frozenset(",[]{}:#")
#: Character categories that must be escaped: controls, format characters (such as a
#: byte order mark), line and paragraph separators, unassigned and private code points.
_ESCAPED = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"})


def write_yaml(document: Document) -> str:
    """The document as YAML text, ending with a newline."""
    writer = _Writer()
    root = writer.mapping(document.body, depth=0)
    root.yaml_set_start_comment(document.header)
    text = writer.dump(root)
    # A blank line between the header and the first section reads better.
    lines = text.splitlines()
    first = next((i for i, line in enumerate(lines) if line and line[0] != "#"), len(lines))
    return "\n".join([*lines[:first], "", *lines[first:]]).rstrip("\n") + "\n"


class _Writer:
    def __init__(self) -> None:
        self.yaml = YAML(typ="rt")
        self.yaml.width = 4096  # long names stay on one line
        self.yaml.indent(mapping=INDENT, sequence=INDENT + 2, offset=INDENT)
        # A token per run, so that no real name can look like a placeholder.
        self.token = f"espform_placeholder_{secrets.token_hex(8)}_"
        self.placeholders: dict[str, list[str]] = {}

    def dump(self, root: CommentedMap) -> str:
        stream = io.StringIO()
        self.yaml.dump(root, stream)
        return self._fill(stream.getvalue())

    def _fill(self, text: str) -> str:
        pattern = re.compile(rf"^( *)({re.escape(self.token)}\d+):[ \t]*$")
        out: list[str] = []
        for line in text.splitlines():
            match = pattern.match(line)
            if match is None:
                out.append(line)
                continue
            indent = match.group(1)
            out.extend(
                indent + part if part else indent.rstrip()
                for part in self.placeholders[match.group(2)]
            )
        return "\n".join(out) + "\n"

    # --- nodes ------------------------------------------------------------------------------

    def mapping(self, block: Block, depth: int) -> CommentedMap:
        node = CommentedMap()
        for entry in block.entries:
            if entry.active:
                key = self.scalar(entry.key, key=True)
                if key in node:
                    raise ValueError(f"internal error: {entry.key!r} would be written twice")
                node[key] = self.value(entry.value, depth + 1)
                comment = _comment_lines(entry)
                if comment:
                    node.yaml_set_comment_before_after_key(
                        key, before=comment, indent=depth * INDENT
                    )
            else:
                node[self._placeholder(self.left_out(entry))] = None
        if block.trailer:
            node[self._placeholder([f"# {line}" for line in block.trailer.splitlines()])] = None
        return node

    def value(self, value: Any, depth: int, flow: bool = False) -> Any:
        if isinstance(value, Block):
            return self.mapping(value, depth) if value else self._flow_map({}, depth)
        if isinstance(value, dict):
            return self._flow_map(value, depth)
        if isinstance(value, list | tuple):
            seq = CommentedSeq(self.value(item, depth + 1, flow) for item in value)
            if flow or not value:
                seq.fa.set_flow_style()
            return seq
        if isinstance(value, str):
            return self.scalar(value, key=False, flow=flow)
        return value

    def _flow_map(self, value: dict[str, Any], depth: int) -> CommentedMap:
        node = CommentedMap()
        for key, item in value.items():
            node[self.scalar(key, key=True, flow=True)] = self.value(item, depth + 1, flow=True)
        node.fa.set_flow_style()
        return node

    def scalar(self, text: str, *, key: bool, flow: bool = False) -> str:
        if not key and not isinstance(text, Reference):
            text = text.replace("${", "$${")
        if any(unicodedata.category(c) in _ESCAPED for c in text) or "\t" in text:
            return DoubleQuotedScalarString(text)
        if text in _YAML11_WORDS or _needs_quotes(text, flow):
            return SingleQuotedScalarString(text)
        # Left to ruamel, which quotes what YAML would resolve to another type.
        return str(text)

    # --- left-out entries --------------------------------------------------------------------

    def left_out(self, entry: Entry) -> list[str]:
        """The comment lines that stand for an entry left out: its note, then its YAML."""
        shown = entry.value if entry.original is None else entry.original
        active = Entry(entry.key, shown, comment=entry.comment)
        sub = _Writer()
        sub.token = self.token + "n"
        node = sub.mapping(Block([active]), depth=0)
        body = sub.dump(node).splitlines()
        return [*_note(entry.note), *(f"# {line}" if line else "#" for line in body)]

    def _placeholder(self, lines: list[str]) -> str:
        key = f"{self.token}{len(self.placeholders)}"
        self.placeholders[key] = lines
        return key


def _needs_quotes(text: str, flow: bool) -> bool:
    """Whether a plain scalar could be misread; ruamel lets a few of these through
    (`? q` inside `{ }`), so indicators are quoted whatever it would do."""
    if not text or text[0] in _INDICATORS or text != text.strip() or text.endswith(":"):
        return True
    if ": " in text or " #" in text:
        return True
    return flow and any(c in _FLOW_SPECIAL for c in text)


def _note(text: str) -> list[str]:
    wrapped = _wrap(NOTE_PREFIX + text)
    return [f"# {line}" for line in wrapped]


def _comment_lines(entry: Entry) -> str:
    """ruamel's comment text (without `#`) above an active entry."""
    lines: list[str] = (
        [printable(line) for line in entry.comment.split("\n")] if entry.comment else []
    )
    for dropped in entry.dropped:
        lines.extend(_wrap(NOTE_PREFIX + dropped))
    return "\n".join(lines)


def _wrap(text: str) -> list[str]:
    # Notes quote names, which may hold characters a comment cannot: shown as escapes.
    return textwrap.wrap(
        printable(text), NOTE_WIDTH - 2, break_on_hyphens=False, break_long_words=False
    )
