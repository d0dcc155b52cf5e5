"""The webhook events the config accepts are the ones the sandbox accepts, and the ESP's.

The config and the sandbox keep their own lists on purpose: the sandbox stands in for
the ESP and imports nothing of the product, so that a mistake in one is caught by the
other rather than shared. This test keeps both equal to the MailerLite fact sheet
(reference/mailerlite-api.md, 2.6 Webhooks), transcribed here.
"""

from __future__ import annotations

from reconciler.config import webhooks as config
from reconciler.sandbox.mailchimp import webhooks as mailchimp_sandbox
from reconciler.sandbox.mailerlite import routes_webhooks as mailerlite_sandbox

#: Fact sheet 2.6, "Events", in its order.
MAILERLITE_FACT_SHEET = (
    "subscriber.created",
    "subscriber.updated",
    "subscriber.unsubscribed",
    "subscriber.added_to_group",
    "subscriber.removed_from_group",
    "subscriber.bounced",
    "subscriber.automation_triggered",
    "subscriber.automation_completed",
    "subscriber.spam_reported",
    "subscriber.deleted",
    "subscriber.active",
    "campaign.sent",
    "campaign.open",
    "campaign.click",
)
#: Fact sheet 2.6: "`batchable: true` is required for" these.
MAILERLITE_FACT_SHEET_BATCHABLE_ONLY = {"campaign.open", "campaign.click", "subscriber.deleted"}


def test_mailerlite_events_are_the_fact_sheets_in_config_and_sandbox() -> None:
    assert config.MAILERLITE_EVENTS == MAILERLITE_FACT_SHEET
    assert mailerlite_sandbox.EVENTS == MAILERLITE_FACT_SHEET


def test_mailerlite_batch_only_events_are_the_fact_sheets_in_config_and_sandbox() -> None:
    assert set(config.MAILERLITE_BATCHABLE_ONLY) == MAILERLITE_FACT_SHEET_BATCHABLE_ONLY
    assert set(mailerlite_sandbox.BATCHABLE_ONLY) == MAILERLITE_FACT_SHEET_BATCHABLE_ONLY


def test_mailchimp_events_and_sources_agree_in_config_and_sandbox() -> None:
    assert config.MAILCHIMP_EVENTS == mailchimp_sandbox.EVENTS
    assert config.MAILCHIMP_SOURCES == mailchimp_sandbox.SOURCES
