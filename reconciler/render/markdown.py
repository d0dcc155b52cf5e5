"""Plans and drift reports as Markdown, made to be posted as one pull-request comment.

Reviewers read the top of a comment: counts come first, then every change that loses
data with its reason, then each change folded in a `<details>` section. The comment is
capped below GitHub's size limit; what does not fit is counted and the note says where
the full output is.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from reconciler.engine.drift import DriftReport
from reconciler.engine.plan import Action, Change, Plan
from reconciler.engine.safety import Violation
from reconciler.model import Resource
from reconciler.render import markdown_blocks as md
from reconciler.render.drift import (
    BREAKING_TITLE,
    CHANGED_TITLE,
    MEMBERSHIP_TITLE,
    MISSING_TITLE,
    UNEXPECTED_TITLE,
    breaking_lines,
)
from reconciler.render.membership import membership_markdown
from reconciler.render.safety import safety_markdown, targets_note

#: A hidden marker, so a CI job can find and update its earlier comment instead of
#: adding one per push.
PLAN_MARKER = "<!-- espform:plan -->"
DRIFT_MARKER = "<!-- espform:drift -->"

#: Room kept for the notes and headings that follow the parts taken under the budget.
_RESERVE = 1_500

_PLAN_HINT = (
    "Run `espform plan` to see every change (in this job's log), or read the JSON plan "
    "saved by `espform plan --out plan.json` (the job's artifact)."
)
_DRIFT_HINT = (
    "Run `espform drift` to see all of it (in this job's log), or write the whole report "
    "with `espform drift --report drift.json`."
)


def render_plan_markdown(
    plan: Plan,
    *,
    account: str,
    limit: int = md.DEFAULT_LIMIT,
    refusals: Sequence[Violation] = (),
    overridden: Sequence[Violation] = (),
    marker: bool = True,
) -> str:
    """`account` names where the plan applies, e.g. "mailerlite (embedded sandbox)".

    `refusals` and `overridden` are the safety violations that stop the plan and those
    --force lifted; both are shown first, since they decide whether it is applied.
    `marker=False` leaves out the comment marker, for a section of a larger comment.
    """
    head = [f"### espform plan for {account}", "", f"**{plan.summary()}**"]
    if marker:
        head.insert(0, PLAN_MARKER)
    if refusals or overridden:
        head += ["", *safety_markdown(refusals, overridden)]
    if plan.targets:
        head += ["", f"> [!NOTE]\n> {html.escape(targets_note(plan.targets))}"]
    counts = plan.counts()
    if plan.changes or plan.unmanaged:
        head += [
            "",
            *_count_table(
                [f"{md.SYMBOL[a]} {a.value}" for a in Action] + ["not managed"],
                [counts[a] for a in Action] + [len(plan.unmanaged)],
            ),
        ]
    membership = [m for m in plan.membership if m.size]
    if membership:
        head += ["", f"#### Membership ({len(membership)})", "", *membership_markdown(membership)]
    budget = md.Budget(limit - len("\n".join(head)), _RESERVE)

    parts: list[str] = []
    destructive = [c for c in plan.changes if c.destructive]
    if destructive:
        # At most half the room: a plan of thousands of deletes must still show details.
        share = budget.carve(budget.left // 2)
        parts += ["", *_caution(destructive, share)]
        budget.refund(share)
    if plan.changes:
        shown = md.take_items([md.change_details(c) for c in plan.changes], budget)
        parts += ["", f"#### Changes ({len(plan.changes)})", ""]
        parts += _left_out_note(len(shown), len(plan.changes), "changes", _PLAN_HINT)
        parts += _spaced(shown)
    if plan.unmanaged:
        parts += ["", *_unmanaged(plan.unmanaged, budget, _PLAN_HINT)]
    return _capped("\n".join(head + parts), limit, _PLAN_HINT)


def render_drift_markdown(
    report: DriftReport, *, account: str, limit: int = md.DEFAULT_LIMIT, marker: bool = True
) -> str:
    head = [f"### espform drift check of {account}", "", f"**{report.summary()}**"]
    if marker:
        head.insert(0, DRIFT_MARKER)
    if report.breaking:
        head += ["", "> [!CAUTION]", f"> **{html.escape(BREAKING_TITLE)}:**"]
        head += [f"> - {html.escape(line)}" for line in breaking_lines(report)]
    sections = (
        (CHANGED_TITLE, report.changed),
        (MISSING_TITLE, report.missing),
        (UNEXPECTED_TITLE, report.unexpected),
    )
    if any(changes for _, changes in sections) or report.unmanaged:
        head += [
            "",
            *_count_table(
                ["changed", "missing", "unexpected", "not managed"],
                [
                    len(report.changed),
                    len(report.missing),
                    len(report.unexpected),
                    len(report.unmanaged),
                ],
            ),
        ]
    if report.membership:
        head += [
            "",
            f"#### {MEMBERSHIP_TITLE} ({len(report.membership)})",
            "",
            *membership_markdown(report.membership),
        ]
    budget = md.Budget(limit - len("\n".join(head)), _RESERVE)
    parts: list[str] = []
    for title, changes in sections:
        if not changes:
            continue
        shown = md.take_items([md.change_details(c) for c in changes], budget)
        parts += ["", f"#### {title} ({len(changes)})", ""]
        parts += _left_out_note(len(shown), len(changes), "objects", _DRIFT_HINT)
        parts += _spaced(shown)
    if report.unmanaged:
        parts += ["", *_unmanaged(report.unmanaged, budget, _DRIFT_HINT)]
    return _capped("\n".join(head + parts), limit, _DRIFT_HINT)


def _count_table(labels: Sequence[str], values: Sequence[int]) -> list[str]:
    return [
        "| " + " | ".join(labels) + " |",
        "|" + "---:|" * len(labels),
        "| " + " | ".join(str(v) for v in values) + " |",
    ]


def _caution(destructive: list[Change], budget: md.Budget) -> list[str]:
    """GitHub's CAUTION alert, listing every data-losing change with its reason."""
    n = len(destructive)
    lines = [
        "> [!CAUTION]",
        f"> **{n} change{'s' if n != 1 else ''} will lose data.** Check "
        f"{'each' if n != 1 else 'it'} before merging:",
    ]
    items = md.take_items([md.destructive_item(c) for c in destructive], budget)
    lines += items
    if len(items) < n:
        lines.append(f"> - …and {n - len(items)} more; the full plan lists every one.")
    return lines


def _unmanaged(resources: Sequence[Resource], budget: md.Budget, hint: str) -> list[str]:
    n = len(resources)
    items = md.take_items([f"- {md.code(str(r.address))}" for r in resources], budget)
    lines = [
        f"#### Not managed ({n})",
        "",
        f"<details><summary>{n} object{'s' if n != 1 else ''} in the account "
        f"{'are' if n != 1 else 'is'} not declared and left alone; "
        "<code>settings.prune</code> would delete them</summary>",
        "",
        *items,
    ]
    if len(items) < n:
        lines += ["", f"…and {n - len(items)} more not shown. {hint}"]
    return [*lines, "", "</details>"]


def _left_out_note(shown: int, total: int, what: str, hint: str) -> list[str]:
    if shown == total:
        return []
    return [
        "> [!NOTE]",
        f"> **{total - shown} of {total} {what} are not shown** to keep this comment "
        f"within GitHub's size limit. {hint}",
        "",
    ]


def _spaced(blocks: Sequence[str]) -> list[str]:
    """Blank lines between `<details>` blocks, which GitHub needs to render each one."""
    lines: list[str] = []
    for block in blocks:
        lines += [block, ""]
    return lines[:-1]


def _capped(text: str, limit: int, hint: str) -> str:
    """The last guard: an oversized header (a huge account name) is cut, never posted whole."""
    if len(text) <= limit:
        return text
    note = f"\n\n> [!NOTE]\n> This comment was cut to {limit} characters. {hint}"
    return text[: max(0, limit - len(note))] + note
