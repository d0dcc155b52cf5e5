"""Membership changes of rule-driven groups and tags, for people: counts first, then a
few example addresses (the JSON plan lists every member)."""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence

from reconciler.engine.membership import MemberRef, MembershipChange
from reconciler.model import section_key
from reconciler.render.markdown_blocks import code

#: Example addresses shown per group and direction; enough to recognise a wrong rule.
EXAMPLES = 3


Paint = Callable[..., str]


def counts(change: MembershipChange) -> str:
    """`+120 -3 (of 1,204 now)`."""
    return f"+{len(change.add):,} -{len(change.remove):,} (of {change.current_size:,} now)"


def examples(refs: Sequence[MemberRef], most: int = EXAMPLES) -> str:
    shown = ", ".join(ref.email for ref in refs[:most])
    rest = len(refs) - most
    return shown + (f", … and {rest:,} more" if rest > 0 else "")


def membership_head(changes: Sequence[MembershipChange]) -> str:
    """`Members of rule-driven groups:`, naming the kinds present."""
    kinds = sorted({section_key(change.address.kind) for change in changes})
    return f"Members of rule-driven {' and '.join(kinds)}:"


def membership_lines(changes: Sequence[MembershipChange], paint: Paint) -> list[str]:
    """One heading line per group with its counts, then example additions and removals."""
    lines: list[str] = []
    for number, change in enumerate(changes):
        if number:
            lines.append("")
        lines.append(paint(f"  # {change.address} members: {counts(change)}", bold=True))
        if change.add:
            lines.append(f"      {paint('+', fg='green')} {examples(change.add)}")
        if change.remove:
            lines.append(f"      {paint('-', fg='red')} {examples(change.remove)}")
    return lines


def membership_markdown(changes: Sequence[MembershipChange]) -> list[str]:
    """A table: one row per group, counts and examples (escaped)."""
    rows = [
        "| group or tag | add | remove | members now | examples |",
        "|---|---:|---:|---:|---|",
    ]
    for change in changes:
        shown = []
        if change.add:
            shown.append("+ " + _cell(examples(change.add)))
        if change.remove:
            shown.append("− " + _cell(examples(change.remove)))
        rows.append(
            f"| {code(str(change.address))} | {len(change.add):,} | {len(change.remove):,} "
            f"| {change.current_size:,} | {'<br>'.join(shown)} |"
        )
    return rows


def _cell(text: str) -> str:
    # A pipe would end the table cell, even inside an address.
    return html.escape(text).replace("|", "&#124;")
