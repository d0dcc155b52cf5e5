"""How values compare as numbers.

A number field's value may arrive as a JSON number or as a numeric string (`"12.5"`,
`" 3 "`); both count. Anything else (blank, null, `"n/a"`, true/false, NaN) is not a
number, so every numeric comparison with it is false.
"""

from __future__ import annotations

import math
import re

Number = int | float

# Plain decimal notation only: float() would also take "nan", "inf" and "1_000".
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_INTEGER = re.compile(r"[+-]?\d+")


def number_of(value: object) -> Number | None:
    """The numeric value, or None when `value` is not a number."""
    if isinstance(value, bool):  # bool is an int subclass; true is not 1 here
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        text = value.strip()
        # Integers stay exact: ids and counts beyond 2**53 must not round.
        if _INTEGER.fullmatch(text):
            return int(text)
        if _NUMBER.fullmatch(text):
            number = float(text)
            return number if math.isfinite(number) else None
    return None


def is_number(value: object) -> bool:
    return number_of(value) is not None
