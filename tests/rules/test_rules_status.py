"""The status vocabulary and its mapping to each provider's words."""

from __future__ import annotations

import pytest

from reconciler.rules.status import (
    PROVIDER_STATUSES,
    Status,
    from_provider,
    read_status,
    statuses_of,
    to_provider,
)

MAILERLITE = [
    ("active", Status.ACTIVE),
    ("unsubscribed", Status.UNSUBSCRIBED),
    ("unconfirmed", Status.UNCONFIRMED),
    ("bounced", Status.BOUNCED),
    ("junk", Status.JUNK),
]
MAILCHIMP = [
    ("subscribed", Status.ACTIVE),
    ("unsubscribed", Status.UNSUBSCRIBED),
    ("pending", Status.UNCONFIRMED),
    ("cleaned", Status.BOUNCED),
    ("transactional", Status.TRANSACTIONAL),
    ("archived", Status.ARCHIVED),
]


@pytest.mark.parametrize(
    ("provider", "raw", "status"),
    [("mailerlite", *pair) for pair in MAILERLITE] + [("mailchimp", *pair) for pair in MAILCHIMP],
)
def test_each_provider_word_maps_both_ways(provider: str, raw: str, status: Status) -> None:
    assert from_provider(provider, raw) is status
    assert to_provider(provider, status) == raw


def test_provider_tables_cover_what_the_apis_return() -> None:
    assert set(PROVIDER_STATUSES["mailerlite"]) == {raw for raw, _ in MAILERLITE}
    assert set(PROVIDER_STATUSES["mailchimp"]) == {raw for raw, _ in MAILCHIMP}
    # Every neutral status exists on at least one ESP.
    assert statuses_of("mailerlite") | statuses_of("mailchimp") == set(Status)


def test_statuses_one_esp_lacks() -> None:
    assert to_provider("mailchimp", Status.JUNK) is None
    assert to_provider("mailerlite", Status.ARCHIVED) is None
    assert to_provider("mailerlite", Status.TRANSACTIONAL) is None


def test_unknown_words_are_errors() -> None:
    with pytest.raises(ValueError, match="mailchimp status 'active' is not known"):
        from_provider("mailchimp", "active")
    with pytest.raises(ValueError, match="unknown provider 'sendgrid'"):
        statuses_of("sendgrid")


@pytest.mark.parametrize(
    ("word", "status"),
    [
        ("active", Status.ACTIVE),
        (" Active ", Status.ACTIVE),
        ("subscribed", Status.ACTIVE),
        ("pending", Status.UNCONFIRMED),
        ("cleaned", Status.BOUNCED),
        ("JUNK", Status.JUNK),
        ("actve", None),
    ],
)
def test_rule_words(word: str, status: Status | None) -> None:
    assert read_status(word) is status
