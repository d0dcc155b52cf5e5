"""Markdown building blocks for PR comments: escaped text, folded changes, a size budget.

GitHub renders comments as GitHub-flavored Markdown with a subset of HTML, and rejects
comments over 65,536 characters; everything here is written with both in mind.
"""

from __future__ import annotations

import html
import re

from reconciler.engine.plan import Action, Change
from reconciler.render.values import resource_document, show
from reconciler.visible import visible

#: Below GitHub's 65,536-character limit, leaving room for a bot's own header or footer.
DEFAULT_LIMIT = 60_000

SYMBOL = {
    Action.CREATE: "+",
    Action.UPDATE: "~",
    Action.RENAME: "~",
    Action.REPLACE: "-/+",
    Action.DELETE: "-",
}
VERB = {
    Action.CREATE: "create",
    Action.UPDATE: "update in place",
    Action.RENAME: "rename",
    Action.REPLACE: "replace (delete, then create)",
    Action.DELETE: "delete",
}


def code(text: str) -> str:
    """Inline code that survives inside HTML (`<summary>`) and in Markdown alike."""
    # Backticks too: some renderers would read a run of them as a code span inside HTML.
    # Hidden and reordering characters as \\uXXXX, so that a name cannot deceive a reviewer.
    return f"<code>{html.escape(visible(text)).replace('`', '&#96;')}</code>"


def fenced(body: str, language: str = "") -> str:
    """A code block whose fence is longer than any run of backticks in the body."""
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{body}\n{fence}"


def change_title(change: Change) -> str:
    title = f"{code(SYMBOL[change.action])} {code(str(change.address))} {VERB[change.action]}"
    if change.action is Action.RENAME and change.before is not None:
        title += f" from {code(change.before.key)}"
    if change.destructive:
        title += " ⚠️"
    return title


def change_lines(change: Change) -> list[str]:
    """Before and after as a `diff` block body: `-` the account, `+` the config."""
    if change.action is Action.CREATE:
        attrs = resource_document(change.after) or {}
        return [f"+ {k} = {show(v)}" for k, v in attrs.items()]
    if change.action is Action.DELETE:
        attrs = resource_document(change.before) or {}
        return [f"- {k} = {show(v)}" for k, v in attrs.items()]
    lines = []
    if change.remote_id is not None:
        lines.append(f"  id = {show(change.remote_id)}")
    if change.action is Action.RENAME and change.before is not None:
        lines.append(f"- key = {show(change.before.key)}")
        lines.append(f"+ key = {show(change.address.name)}")
    for attr in change.attributes:
        lines.append(f"- {attr.attribute} = {show(attr.before)}")
        lines.append(f"+ {attr.attribute} = {show(attr.after)}")
    return lines


def change_details(change: Change) -> str:
    """One change, folded: the title stays visible, before/after opens on a click."""
    body = fenced("\n".join(change_lines(change)) or "(no attributes)", "diff")
    reason = f"\n\n> {html.escape(change.reason)}" if change.reason else ""
    return f"<details><summary>{change_title(change)}</summary>\n\n{body}{reason}\n\n</details>"


def destructive_item(change: Change) -> str:
    reason = html.escape(change.reason) if change.reason else "data may be lost"
    return f"> - {code(str(change.address))} ({change.action.value}): {reason}"


class Budget:
    """Characters left for a comment; parts are taken only while they fit.

    `reserve` keeps room for what must still follow (a note on what was left out).
    """

    def __init__(self, limit: int, reserve: int) -> None:
        self.left = limit - reserve

    def carve(self, share: int) -> Budget:
        """A part of what is left, for one section; `refund` returns what it did not use."""
        share = min(share, self.left)
        self.left -= share
        return Budget(share, 0)

    def refund(self, part: Budget) -> None:
        self.left += part.left

    def take(self, text: str) -> bool:
        cost = len(text) + 2  # the newline that joins it, and a blank line after blocks
        if cost > self.left:
            return False
        self.left -= cost
        return True


def take_items(items: list[str], budget: Budget) -> list[str]:
    """The leading items that fit; the first that does not stops it, to keep order."""
    taken: list[str] = []
    for item in items:
        if not budget.take(item):
            break
        taken.append(item)
    return taken
