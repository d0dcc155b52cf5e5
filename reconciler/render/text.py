"""Human-readable plan in Terraform's manner: symbols, before -> after, a summary line."""

from __future__ import annotations

from collections.abc import Callable

import click

from reconciler.engine.plan import Action, Change, Plan
from reconciler.render.membership import membership_head, membership_lines
from reconciler.render.safety import targets_note
from reconciler.render.values import resource_document, show

_SYMBOL = {
    Action.CREATE: "+",
    Action.UPDATE: "~",
    Action.RENAME: "~",
    Action.REPLACE: "-/+",
    Action.DELETE: "-",
}
_COLOR = {
    Action.CREATE: "green",
    Action.UPDATE: "yellow",
    Action.RENAME: "yellow",
    Action.REPLACE: "magenta",
    Action.DELETE: "red",
}
_VERB = {
    Action.CREATE: "will be created",
    Action.UPDATE: "will be updated in place",
    Action.RENAME: "will be renamed",
    Action.REPLACE: "must be replaced",
    Action.DELETE: "will be deleted",
}


Paint = Callable[..., str]


def painter(color: bool) -> Paint:
    """`paint(text, fg=None, bold=False)`: styled when writing to a terminal, else plain."""

    def paint(text: str, fg: str | None = None, bold: bool = False) -> str:
        return click.style(text, fg=fg, bold=bold) if color else text

    return paint


def render_plan(plan: Plan, *, color: bool = False) -> str:
    paint = painter(color)
    lines: list[str] = []
    if plan.changes:
        lines.append("espform will perform the following actions:")
        lines.append("")
        for change in plan.changes:
            lines.extend(render_change(change, paint))
            lines.append("")
    membership = [m for m in plan.membership if m.size]
    if membership:
        lines.append(membership_head(membership))
        lines.append("")
        lines.extend(membership_lines(membership, paint))
        lines.append("")
    if plan.unmanaged:
        lines.append(
            "Not managed (present in the account, not declared; left alone, "
            "set settings.prune to delete):"
        )
        lines.extend(f"  {r.address}" for r in plan.unmanaged)
        lines.append("")
    if plan.targets:
        lines.append(paint(targets_note(plan.targets), fg="yellow"))
        lines.append("")
    lines.append(paint(plan.summary(), bold=True))
    return "\n".join(lines)


def render_change(change: Change, paint: Paint) -> list[str]:
    fg = _COLOR[change.action]
    verb = _VERB[change.action]
    if change.action is Action.RENAME and change.before is not None:
        verb += f" from {show(change.before.key)}"
    lines = [paint(f"  # {change.address} {verb}", bold=True)]
    symbol = paint(_SYMBOL[change.action].rjust(3), fg=fg)
    head = f"{symbol} {change.kind} {show(change.address.name)}"
    if change.action is Action.RENAME and change.before is not None:
        head = f"{symbol} {change.kind} {show(change.before.key)} -> {show(change.address.name)}"

    body: list[str] = []
    if change.action is Action.CREATE:
        attrs = resource_document(change.after) or {}
        body = [
            f"      {paint('+', fg=fg)} {k} = {show(v)}" for k, v in attrs.items() if k != "key"
        ]
    elif change.action is Action.DELETE:
        attrs = resource_document(change.before) or {}
        body = [
            f"      {paint('-', fg=fg)} {k} = {show(v)}" for k, v in attrs.items() if k != "key"
        ]
    else:
        if change.remote_id is not None:
            body.append(f"        id = {show(change.remote_id)}")
        for attr in change.attributes:
            note = ""
            if change.after is not None and attr.attribute in change.after.replace_on:
                note = paint(" # forces replacement", fg="red")
            body.append(
                f"      {paint('~', fg='yellow')} {attr.attribute} = "
                f"{show(attr.before)} -> {show(attr.after)}{note}"
            )
    if body:
        lines.append(head + " {")
        lines.extend(body)
        lines.append("    }")
    else:
        lines.append(head)
    if change.destructive and change.reason:
        lines.append(paint(f"    ! {change.reason}", fg="red"))
    return lines
