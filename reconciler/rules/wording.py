"""Small helpers that make issue messages read well: hints, lists, value kinds."""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Iterable


def did_you_mean(word: object, choices: Iterable[str]) -> str:
    """`; did you mean 'x'?` for the closest choice, ignoring case; empty if none is close."""
    if not isinstance(word, str):
        return ""
    by_fold: dict[str, str] = {}
    for choice in choices:
        by_fold.setdefault(choice.casefold(), choice)
    folded = word.casefold()
    if folded in by_fold and by_fold[folded] != word:
        return f"; did you mean '{by_fold[folded]}'?"
    close = difflib.get_close_matches(folded, list(by_fold), n=1, cutoff=0.6)
    return f"; did you mean '{by_fold[close[0]]}'?" if close else ""


def listing(names: Iterable[str], most: int = 12) -> str:
    """`a, b, c`, or `a, b, ... (20 in all)` for long lists."""
    items = list(names)
    if len(items) <= most:
        return ", ".join(items)
    return ", ".join(items[:most]) + f", ... ({len(items)} in all)"


def kind_of(value: object) -> str:
    """How a YAML value reads to a user."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dt.datetime):
        return "a timestamp"
    if isinstance(value, dt.date):
        return "a date"
    return type(value).__name__


def show(value: object) -> str:
    """A rule value quoted as the user would recognise it."""
    if isinstance(value, str):
        return f"'{value}'"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return "[" + ", ".join(show(v) for v in value) + "]"
    return repr(value)
