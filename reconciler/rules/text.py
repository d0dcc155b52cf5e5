"""How values compare as text: the one definition every text operator uses.

Text is compared case-insensitively (Unicode casefolding, so `STRASSE` equals
`straße`), with surrounding whitespace trimmed and inner whitespace kept as is. A value
that is missing, null or only whitespace is *not set*. Values that are not strings read
as their usual text: numbers without a trailing `.0`, `true`/`false`, ISO dates, and a
Mailchimp address object as its parts joined by spaces.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping


def text_of(value: object) -> str | None:
    """The comparable text of a value, or None when it is not set."""
    if value.__class__ is str:  # the common case first: no isinstance chain
        folded = value.strip().casefold()  # type: ignore[union-attr]
        return folded or None
    if value is None:
        return None
    if isinstance(value, str):
        return text_of(str(value))
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer():
            return str(int(value))
        return str(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Mapping):
        parts = [text_of(v) for v in value.values()]
        return " ".join(p for p in parts if p) or None
    if isinstance(value, list | tuple):
        parts = [text_of(v) for v in value]
        return ", ".join(p for p in parts if p) or None
    return text_of(str(value))


def is_set(value: object) -> bool:
    """Whether a value counts as present: not null, not blank, not an empty object."""
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, Mapping | list | tuple):
        return text_of(value) is not None
    return True


def fold(name: str) -> str:
    """A name (group, tag, choice) as text comparison sees it."""
    return name.strip().casefold()
