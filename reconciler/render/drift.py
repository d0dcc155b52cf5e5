"""The drift report as text: its sections and their headings, shared with Markdown.

What goes in each section is decided by `engine.drift`; this module only shows it.
"""

from __future__ import annotations

from reconciler.engine.dependents import describe
from reconciler.engine.drift import DriftReport
from reconciler.render.membership import membership_lines
from reconciler.render.text import painter, render_change

#: Section headings, shared by the text and Markdown reports.
BREAKING_TITLE = "Breaking: an integration or automation depends on these"
CHANGED_TITLE = "Changed: differs from the config (apply would change it back)"
MISSING_TITLE = "Missing: declared, not in the account (apply would create it)"
UNEXPECTED_TITLE = "Unexpected: not declared, of a kind the config prunes (apply would delete it)"
UNMANAGED_TITLE = "Not managed: in the account, not declared (left alone)"
MEMBERSHIP_TITLE = "Membership: members differ from the rules (apply would add and remove them)"


def breaking_lines(report: DriftReport) -> list[str]:
    """One line per breaking object, for the text and Markdown reports."""
    return [f"{b.change.address}: {b.what}; breaks {describe(b.by)}" for b in report.breaking]


def render_drift_text(report: DriftReport, *, account: str, color: bool = False) -> str:
    paint = painter(color)
    lines = [f"Drift check of {account}", ""]
    if report.breaking:
        lines.append(paint(f"{BREAKING_TITLE}:", bold=True))
        lines.extend(f"  {line}" for line in breaking_lines(report))
        lines.append("")
    for title, changes in (
        (CHANGED_TITLE, report.changed),
        (MISSING_TITLE, report.missing),
        (UNEXPECTED_TITLE, report.unexpected),
    ):
        if not changes:
            continue
        lines.append(paint(f"{title}:", bold=True))
        lines.append("")
        for change in changes:
            lines.extend(render_change(change, paint))
            lines.append("")
    if report.membership:
        lines.append(paint(f"{MEMBERSHIP_TITLE}:", bold=True))
        lines.append("")
        lines.extend(membership_lines(report.membership, paint))
        lines.append("")
    if report.unmanaged:
        lines.append(paint(f"{UNMANAGED_TITLE}:", bold=True))
        lines.extend(f"  {r.address}" for r in report.unmanaged)
        lines.append("")
    lines.append(paint(report.summary(), bold=True))
    return "\n".join(lines)
