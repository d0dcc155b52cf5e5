"""Webhooks in the config: what loads, and what is refused where, never quoting a URL."""

from __future__ import annotations

from config_support import ENV, IssuesOf, Load
from mailchimp_support import BASE

from reconciler.model import AudienceWebhook, Webhook
from reconciler.secret_url import SecretUrl

SECRET = "hook-s3cret-51c0"
URL = f"https://crm.example.com/hooks?token={SECRET}"
WITH_URL = {**ENV, "HOOK_URL": URL}

ML_HEAD = """\
provider:
  type: mailerlite
  token: ${env:MAILERLITE_API_TOKEN}
webhooks:
"""


def ml_issues(issues_of: IssuesOf, entry: str, url: str = URL) -> list[str]:
    issues = issues_of(ML_HEAD + entry, {**ENV, "HOOK_URL": url})
    assert all(SECRET not in issue for issue in issues)
    return issues


def test_mailerlite_webhook_loads_with_its_url_held_secret(load: Load) -> None:
    config = load(
        ML_HEAD
        + "  Unsubscribes:\n"
        + "    url: ${env:HOOK_URL}\n"
        + "    events: [subscriber.unsubscribed, subscriber.created]\n",
        WITH_URL,
    )

    (webhook,) = config.desired.of_kind("webhook")
    assert isinstance(webhook, Webhook)
    assert str(webhook.address) == 'mailerlite.webhook["Unsubscribes"]'
    assert webhook.events == ("subscriber.created", "subscriber.unsubscribed")  # sorted
    assert (webhook.enabled, webhook.batchable) == (True, None)
    assert isinstance(webhook.url, SecretUrl) and webhook.url.reveal() == URL
    assert SECRET not in repr(webhook) and SECRET not in str(webhook.url)
    assert webhook.source is not None and webhook.source.line == 5


def test_plain_http_is_refused_except_to_loopback(issues_of: IssuesOf, load: Load) -> None:
    entry = "  Hook:\n    url: ${env:HOOK_URL}\n    events: [subscriber.created]\n"
    (issue,) = ml_issues(issues_of, entry, url=f"http://crm.example.com/?t={SECRET}")
    assert issue.startswith("espform.yaml:6:10: ")
    assert "must use https" in issue and "not shown" in issue

    local = load(ML_HEAD + entry, {**ENV, "HOOK_URL": "http://127.0.0.1:8080/hook"})
    assert len(local.desired.of_kind("webhook")) == 1


def test_unknown_and_batch_only_events_are_refused_where_written(issues_of: IssuesOf) -> None:
    entry = (
        "  Hook:\n    url: ${env:HOOK_URL}\n    events: [subscriber.unsubscribd, campaign.open]\n"
    )
    issues = ml_issues(issues_of, entry)
    assert len(issues) == 2, issues
    assert issues[0].startswith("espform.yaml:7:14: ")
    assert "unknown webhook event 'subscriber.unsubscribd'" in issues[0]
    assert "subscriber.unsubscribed" in issues[0]  # the suggestion
    assert issues[1].startswith("espform.yaml:7:38: ")
    assert "batchable: true" in issues[1]


def test_a_webhook_needs_an_event(issues_of: IssuesOf) -> None:
    (issue,) = ml_issues(issues_of, "  Hook:\n    url: ${env:HOOK_URL}\n    events: []\n")
    assert issue.startswith("espform.yaml:7:13: ")
    assert "needs at least one event" in issue


def test_mailchimp_webhooks_load_with_default_sources(load: Load) -> None:
    config = load(
        BASE
        + "    webhooks:\n"
        + "      unsubscribes to CRM:\n"
        + "        url: ${env:HOOK_URL}\n"
        + "        events: [unsubscribe]\n",
        WITH_URL,
    )

    (webhook,) = config.desired.of_kind("webhook", config.desired.of_kind("audience")[0].address)
    assert isinstance(webhook, AudienceWebhook)
    assert str(webhook.address) == 'mailchimp.audience["Shop"].webhook["unsubscribes to CRM"]'
    assert webhook.events is not None and webhook.sources is not None
    assert [e for e, on in webhook.events.items() if on] == ["unsubscribe"]
    assert webhook.sources == {"user": True, "admin": True, "api": False}
    assert webhook.url == SecretUrl(URL)


def test_one_url_twice_in_an_audience_is_refused(issues_of: IssuesOf) -> None:
    issues = issues_of(
        BASE
        + "    webhooks:\n"
        + "      first: {url: '${env:HOOK_URL}', events: [subscribe]}\n"
        + "      second: {url: '${env:HOOK_URL}', events: [unsubscribe], sources: [users]}\n",
        WITH_URL,
    )

    assert all(SECRET not in issue for issue in issues)
    assert len(issues) == 2, issues
    assert issues[0].startswith("espform.yaml:12:21: ")
    assert "same URL as webhook 'first'" in issues[0]
    assert issues[1].startswith("espform.yaml:12:73: ")
    assert "unknown webhook source 'users'" in issues[1]
