"""Mailchimp's saved-segment condition language, and the canonical form the engine compares.

Config (what users write) and the Mailchimp provider (what the API returns) both turn
conditions into this canonical form, so that the engine can compare them without knowing
Mailchimp:

- A tuple of plain dicts with the keys `condition_type`, `field`, `op` and, when present,
  `value`, `extra`, `addr`, `lat`, `lng`; sorted by their JSON text, because Mailchimp
  ignores the order of conditions under `match: any|all`.
- Values normalised per condition type: numbers as int/float where the type takes a
  number (the API accepts `"5"` and `5` alike), lists of ids sorted.
- References by name instead of id, so a plan reads well and does not depend on ids
  known only after apply:
  * StaticSegment (has tag): `value` is `{"tag": NAME}`;
  * Interests: `field` is `{"interest_category": TITLE}` and `value` a list of
    `{"interest": NAME}` sorted by name.
  An id that cannot be resolved to a name stays as the raw id.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any


def canonical(conditions: Iterable[Mapping[str, Any]]) -> tuple[dict[str, Any], ...]:
    """Conditions in canonical order; each must already have its values normalised."""
    items = [dict(c) for c in conditions]
    return tuple(sorted(items, key=lambda c: json.dumps(c, sort_keys=True, default=str)))
