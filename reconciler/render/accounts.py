"""Reports of several accounts at once (`-c` given a folder or several files).

Each account keeps the report it would have alone, under a heading that names its
config file; a short table of all accounts comes first so a reviewer sees at once
which account has changes and which failed.

JSON: one document whose `accounts` object is keyed by config path (as given on the
command line, or found in the folder), each value being that account's own plan or
drift document, or an `espform-error` document for an account that could not be
planned. Keyed rather than listed so that a CI script can pick its account by file.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reconciler import __version__
from reconciler.render import markdown_blocks as md
from reconciler.render.json_document import FORMAT_VERSION, dumps

PLANS_DOCUMENT = "espform-plans"
DRIFTS_DOCUMENT = "espform-drift-reports"
ERROR_DOCUMENT = "espform-error"


@dataclass(frozen=True)
class Section:
    """One account's part of a grouped report."""

    #: The config file, as the user named or the folder listed it.
    config: str
    #: The one-line outcome for the overview: a plan summary, or "failed".
    outcome: str
    #: The account's own report, already rendered (for Markdown, within
    #: `room_per_account`).
    body: str = ""


def heading(config: str, account: str | None = None) -> str:
    """The text heading of one account's part: names the config file first."""
    title = f"Config {config}" + (f": {account}" if account else "")
    return f"{title}\n{'=' * min(len(title), 79)}"


def overview_text(sections: Sequence[Section]) -> str:
    width = max((len(s.config) for s in sections), default=0)
    lines = [f"{len(sections)} accounts:"]
    lines += [f"  {s.config.ljust(width)}  {s.outcome}" for s in sections]
    return "\n".join(lines)


def room_per_account(count: int, limit: int = md.DEFAULT_LIMIT) -> int:
    """The characters each account's Markdown may take so the comment stays in limits."""
    overview = 400 + 200 * count
    return max(2_000, (limit - overview) // max(count, 1))


def render_markdown(
    marker: str, title: str, sections: Sequence[Section], limit: int = md.DEFAULT_LIMIT
) -> str:
    """One PR comment for every account: an overview table, then each account's report
    (rendered without its own marker, within `room_per_account`)."""
    lines = [marker, f"## {html.escape(title)}", "", "| config | result |", "|---|---|"]
    lines += [f"| {md.code(s.config)} | {html.escape(s.outcome)} |" for s in sections]
    for section in sections:
        lines += ["", section.body]
    text = "\n".join(lines)
    if len(text) > limit:
        note = "\n\n> [!NOTE]\n> This comment was cut to fit GitHub's size limit."
        text = text[: max(0, limit - len(note))] + note
    return text


def error_markdown(config: str, messages: Sequence[str]) -> str:
    body = md.fenced("\n".join(messages))
    return f"### {md.code(config)}: could not be planned\n\n{body}"


def error_document(config: str, messages: Sequence[str]) -> dict[str, Any]:
    return {
        "document": ERROR_DOCUMENT,
        "format_version": FORMAT_VERSION,
        "config": config,
        "errors": list(messages),
    }


def accounts_json(document: str, entries: Mapping[str, Mapping[str, Any]]) -> str:
    return dumps(
        {
            "document": document,
            "format_version": FORMAT_VERSION,
            "espform_version": __version__,
            "accounts": {config: dict(entry) for config, entry in entries.items()},
        }
    )
