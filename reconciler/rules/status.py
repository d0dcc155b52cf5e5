"""One vocabulary of subscriber statuses across ESPs, and each ESP's words for it.

A rule says `{status: active}` whichever ESP it targets; providers translate the status
they read into this vocabulary before a rule sees the subscriber.

| espform        | MailerLite    | Mailchimp       | meaning                                  |
|----------------|---------------|-----------------|------------------------------------------|
| active         | active        | subscribed      | receives campaigns                       |
| unsubscribed   | unsubscribed  | unsubscribed    | opted out                                |
| unconfirmed    | unconfirmed   | pending         | double opt-in not confirmed yet          |
| bounced        | bounced       | cleaned         | the address bounced and is not mailed    |
| junk           | junk          |                 | marked the mail as spam                  |
| transactional  |               | transactional   | receives transactional mail only         |
| archived       |               | archived        | removed from the audience, history kept  |

Rules may also use the ESP words `subscribed`, `pending` and `cleaned`; they mean the
espform word in the same row, on either ESP.
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    ACTIVE = "active"
    UNSUBSCRIBED = "unsubscribed"
    UNCONFIRMED = "unconfirmed"
    BOUNCED = "bounced"
    JUNK = "junk"
    TRANSACTIONAL = "transactional"
    ARCHIVED = "archived"


#: Other words a rule may use for a status: Mailchimp's names for the same states.
ALIASES: dict[str, Status] = {
    "subscribed": Status.ACTIVE,
    "pending": Status.UNCONFIRMED,
    "cleaned": Status.BOUNCED,
}

#: Each provider's status words, as its API writes them, in the neutral vocabulary.
PROVIDER_STATUSES: dict[str, dict[str, Status]] = {
    "mailerlite": {
        "active": Status.ACTIVE,
        "unsubscribed": Status.UNSUBSCRIBED,
        "unconfirmed": Status.UNCONFIRMED,
        "bounced": Status.BOUNCED,
        "junk": Status.JUNK,
    },
    "mailchimp": {
        "subscribed": Status.ACTIVE,
        "unsubscribed": Status.UNSUBSCRIBED,
        "pending": Status.UNCONFIRMED,
        "cleaned": Status.BOUNCED,
        "transactional": Status.TRANSACTIONAL,
        "archived": Status.ARCHIVED,
    },
}

#: How messages name each provider.
PROVIDER_NAMES: dict[str, str] = {"mailerlite": "MailerLite", "mailchimp": "Mailchimp"}

_BY_WORD: dict[str, Status] = {s.value: s for s in Status} | ALIASES


def words() -> list[str]:
    """Every word a rule may use, the espform words first."""
    return [s.value for s in Status] + list(ALIASES)


def read_status(word: str) -> Status | None:
    """The status a rule's word names (case and surrounding spaces ignored), or None."""
    return _BY_WORD.get(word.strip().casefold())


def from_provider(provider: str, raw: str) -> Status:
    """Translate a status as `provider`'s API returned it; ValueError if unknown."""
    table = _table(provider)
    status = table.get(raw)
    if status is None:
        raise ValueError(
            f"{provider} status {raw!r} is not known; expected one of {', '.join(table)}"
        )
    return status


def to_provider(provider: str, status: Status) -> str | None:
    """`provider`'s word for `status`, or None when that ESP has no such status."""
    for word, known in _table(provider).items():
        if known is status:
            return word
    return None


def statuses_of(provider: str) -> frozenset[Status]:
    """The statuses a subscriber of `provider` can have."""
    return frozenset(_table(provider).values())


def _table(provider: str) -> dict[str, Status]:
    table = PROVIDER_STATUSES.get(provider)
    if table is None:
        raise ValueError(
            f"unknown provider {provider!r}; expected one of {', '.join(PROVIDER_STATUSES)}"
        )
    return table
