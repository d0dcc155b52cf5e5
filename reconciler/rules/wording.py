"""Small helpers that make rule messages read well: lists and quoted rule values.

The hints every message shares (`did_you_mean`, `kind_of`) live in `reconciler.hints`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable


def listing(names: Iterable[str], most: int = 12) -> str:
    """`a, b, c`, or `a, b, ... (20 in all)` for long lists."""
    items = list(names)
    if len(items) <= most:
        return ", ".join(items)
    return ", ".join(items[:most]) + f", ... ({len(items)} in all)"


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
