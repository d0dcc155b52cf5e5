"""Safety refusals and --force overrides, in text and Markdown, and the targeting note.

Refusals are errors: a plan that shows them will not be applied. Overridden thresholds
are still shown, so that a plan forced once in CI is not read as an ordinary one.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from reconciler.engine.safety import Violation
from reconciler.model import Address

REFUSED_HEAD = "espform refuses this plan; apply will change nothing until this is resolved:"
FORCED_HEAD = "Safety thresholds lifted by --force (the plan goes ahead regardless):"


def refusal_text(refusals: Sequence[Violation]) -> str:
    return "\n".join([REFUSED_HEAD, *(f"  - {v.message}" for v in refusals)])


def overridden_text(overridden: Sequence[Violation]) -> str:
    return "\n".join([FORCED_HEAD, *(f"  - {v.message}" for v in overridden)])


def safety_markdown(refusals: Sequence[Violation], overridden: Sequence[Violation]) -> list[str]:
    """GitHub alerts: CAUTION for a refused plan, WARNING for thresholds forced through."""
    lines: list[str] = []
    if refusals:
        lines += ["> [!CAUTION]", f"> **{html.escape(REFUSED_HEAD)}**"]
        lines += [f"> - {html.escape(v.message)}" for v in refusals]
    if overridden:
        if lines:
            lines.append("")
        lines += ["> [!WARNING]", f"> **{html.escape(FORCED_HEAD)}**"]
        lines += [f"> - {html.escape(v.message)}" for v in overridden]
    return lines


def targets_note(targets: Sequence[Address]) -> str:
    """Said with every targeted plan, as Terraform does: the rest was not planned."""
    names = ", ".join(str(t) for t in targets)
    return (
        f"Targeted plan: only changes at {names} (and under it), plus the creates and "
        "renames they need. The rest of the configuration was not planned; run a plan "
        "without --target before relying on the account matching it."
    )
