"""The little a rule may know of a subscriber, in the same shape for every ESP."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from reconciler.rules.status import Status


@dataclass(frozen=True, slots=True)
class SubscriberView:
    """A subscriber as providers hand it to rules.

    `status` is in espform's vocabulary (`status.from_provider` translates). `fields`
    holds raw values by field key or merge tag, as the API returned them; a key that is
    absent and a null value mean the same: not set. `groups` and `tags` are names.
    """

    email: str
    status: Status | str
    fields: Mapping[str, object] = field(default_factory=dict)
    groups: Collection[str] = frozenset()
    tags: Collection[str] = frozenset()
    subscribed_at: dt.datetime | None = None
    created_at: dt.datetime | None = None
