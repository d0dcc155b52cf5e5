"""Field keys: derived by the server from the name at creation, never changed afterwards.

The derivation follows what recorded keys show (Laravel's slug with "_" as separator):
"My Field" -> my_field, "http://localhost:8888 total spent" -> httplocalhost8888_total_spent.
Letters are folded to ASCII, "@" reads as "at", dashes and whitespace become the
separator, every other symbol is dropped, runs of separators collapse and the ends are
trimmed. A name with nothing left (e.g. "!!!") gets the key "field".

On a collision with an existing key, the sandbox appends `_2`, `_3`, ... (unverified on
a live account; clients must read `key` from the create response, never compute it).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Container

SEPARATOR = "_"
FALLBACK_KEY = "field"


def slugify(name: str) -> str:
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    text = folded.replace("-", SEPARATOR).replace("@", f"{SEPARATOR}at{SEPARATOR}").lower()
    text = re.sub(r"[^a-z0-9_\s]+", "", text)
    text = re.sub(r"[_\s]+", SEPARATOR, text)
    return text.strip(SEPARATOR)


def derive_key(name: str, taken: Container[str]) -> str:
    """The key for a new field called `name`, unique among `taken`."""
    base = slugify(name) or FALLBACK_KEY
    if base not in taken:
        return base
    suffix = 2
    while f"{base}{SEPARATOR}{suffix}" in taken:
        suffix += 1
    return f"{base}{SEPARATOR}{suffix}"
