"""Characters that hide or reorder text, and how they are written so that people see them.

A name may legitimately hold such a character (an import copies whatever the ESP has), but
printed raw it is invisible or makes a line read differently than it is (bidi overrides),
so a plan could look harmless while changing something else. Everything shown to people
writes them as `\\uXXXX` escapes; config files may hold them only in that escaped form.
"""

from __future__ import annotations

import re
import unicodedata

#: Bidi embeddings, overrides, isolates and marks: they reorder how a line is displayed.
_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
#: Zero width, line/paragraph separators and a byte order mark inside the text.
_OTHER = "\u200b\u2028\u2029\ufeff"
#: C0 and C1 control characters (category Cc), DEL included.
_CONTROL = "\x00-\x1f\x7f-\x9f"

HIDDEN = re.compile(f"[{_CONTROL}{_BIDI}{_OTHER}]")
#: The same, minus the line breaks and tab that a YAML file is made of.
HIDDEN_IN_FILE = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{_BIDI}{_OTHER}]")

_CONTROL_NAMES = {
    0x00: "NULL",
    0x07: "BELL",
    0x08: "BACKSPACE",
    0x09: "CHARACTER TABULATION",
    0x0A: "LINE FEED",
    0x0B: "LINE TABULATION",
    0x0C: "FORM FEED",
    0x0D: "CARRIAGE RETURN",
    0x1B: "ESCAPE",
    0x7F: "DELETE",
    0x85: "NEXT LINE",
}


def escape(char: str) -> str:
    """`\\u202E` for U+202E: the form YAML double-quoted strings and JSON both read."""
    return f"\\u{ord(char):04X}"


def describe(char: str) -> str:
    """`U+202E RIGHT-TO-LEFT OVERRIDE`, or `U+0007 BELL` for control characters."""
    code = ord(char)
    name = unicodedata.name(char, "") or _CONTROL_NAMES.get(code, "CONTROL CHARACTER")
    return f"U+{code:04X} {name}"


def visible(text: str) -> str:
    """`text` with every hiding or reordering character written as an escape."""
    return HIDDEN.sub(lambda match: escape(match.group()), text)
