"""Hints that issue messages share: the closest valid word, and what kind of value was given.

Both the config loader and the rule checker explain mistakes in YAML, so they must word
them alike. Kept free of imports from the rest of the package, so that any layer can use
it without an import cycle.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Iterable

__all__ = ["did_you_mean", "kind_of"]


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


def kind_of(value: object) -> str:
    """How a YAML value reads to a user, without showing the value itself."""
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
