"""Webhooks in the config: MailerLite's top-level `webhooks:` and each Mailchimp
audience's `webhooks:`.

```yaml
# MailerLite: keyed by the webhook's name, which is how it is matched.
webhooks:
  Unsubscribes:
    url: ${env:CRM_UNSUBSCRIBE_WEBHOOK_URL}
    events: [subscriber.unsubscribed]
    enabled: true                  # the default
    # batchable: true              # needed for campaign.open, campaign.click,
                                   # subscriber.deleted

# Mailchimp: per audience, keyed by a label of your choosing. Mailchimp webhooks have no
# name: the URL is what identifies one, so a changed URL is a new webhook (the old one
# is deleted only with settings.prune.webhooks).
audiences:
  Shop:
    webhooks:
      unsubscribes:
        url: ${env:CRM_UNSUBSCRIBE_WEBHOOK_URL}
        events: [unsubscribe]
        sources: [user, admin]     # the default: not api, so the CRM's own API
                                   # writes do not come back to it
```

A webhook URL often carries a secret token (in its path or query), so it is read like
any secret, through `${env:NAME}` or `${file:PATH}`, and is held as a `SecretUrl`: plans,
plan files, drift reports and errors show `https://host/… (sha256:…)` only. The URL
must be `https://`, or `http://` to a loopback host (localhost, 127.0.0.1, ::1) for
local receivers; MailerLite and Mailchimp must be able to reach it, and a secret
token sent over plain HTTP on the internet would not stay secret. Messages about a
URL never quote it.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from ipaddress import ip_address
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import Field, StringConstraints

from reconciler.config.document import BuildContext, DocumentModel, Noun
from reconciler.hints import did_you_mean
from reconciler.model import Address, AudienceWebhook, State, Webhook
from reconciler.secret_url import SecretUrl

#: MailerLite's webhook events (fact sheet 2.6).
MAILERLITE_EVENTS = (
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
#: Events MailerLite accepts only on a webhook with `batchable: true`.
MAILERLITE_BATCHABLE_ONLY = ("campaign.open", "campaign.click", "subscriber.deleted")
#: Mailchimp's audience webhook events and sources, each a boolean in the API.
MAILCHIMP_EVENTS = ("subscribe", "unsubscribe", "profile", "cleaned", "upemail", "campaign")
MAILCHIMP_SOURCES = ("user", "admin", "api")
DEFAULT_MAILCHIMP_SOURCES = ("user", "admin")

Path = tuple[Hashable, ...]
WebhookUrl = Annotated[
    str,
    StringConstraints(min_length=1),
    Noun("webhook url", "an https URL, best given as ${env:NAME} or ${file:PATH}"),
]
EventName = Annotated[str, StringConstraints(min_length=1), Noun("webhook event")]
WebhookName = Annotated[
    str,
    StringConstraints(min_length=1, max_length=255),
    Noun("webhook name", "1 to 255 characters"),
]

_LOOPBACK_NAMES = {"localhost"}


class MailerLiteWebhookDocument(DocumentModel):
    """One MailerLite webhook, keyed by its name."""

    url: WebhookUrl = Field(
        description=(
            "Where MailerLite posts events; may hold a secret, so write it as "
            "`${env:NAME}` or `${file:PATH}`. Shown only as a digest."
        )
    )
    events: list[EventName] = Field(
        description="Events that fire it (at least one), e.g. subscriber.unsubscribed."
    )
    enabled: bool = Field(default=True, description="Whether MailerLite sends it.")
    batchable: bool | None = Field(
        default=None,
        description=(
            "Send events in batches; required for campaign.open, campaign.click and "
            "subscriber.deleted."
        ),
    )


class MailchimpWebhookDocument(DocumentModel):
    """One audience webhook, keyed by a label (Mailchimp identifies it by its URL)."""

    url: WebhookUrl = Field(
        description=(
            "Where Mailchimp posts events, and what identifies the webhook: a new URL is "
            "a new webhook. Write it as `${env:NAME}` or `${file:PATH}`."
        )
    )
    events: list[EventName] = Field(
        description="Events that fire it (at least one): subscribe, unsubscribe, profile, "
        "cleaned, upemail, campaign.",
    )
    sources: list[EventName] = Field(
        default_factory=lambda: list(DEFAULT_MAILCHIMP_SOURCES),
        description="Who made the change: user, admin, api. Default: user and admin.",
    )


def build_mailerlite_webhooks(
    entries: Mapping[str, MailerLiteWebhookDocument], ctx: BuildContext, state: State
) -> None:
    for name, doc in entries.items():
        where: Path = ("webhooks", name)
        url = check_url(ctx, (*where, "url"), doc.url)
        events = _events(ctx, where, doc.events, MAILERLITE_EVENTS)
        needs_batch = [e for e in doc.events if e in MAILERLITE_BATCHABLE_ONLY]
        if needs_batch and doc.batchable is not True:
            ctx.error(
                ctx.value(*where, "events", doc.events.index(needs_batch[0])),
                f"MailerLite sends {', '.join(needs_batch)} only through a batchable "
                "webhook; add `batchable: true` to this webhook",
            )
        state.add(
            Webhook(
                address=Address.of("mailerlite", "webhook", name),
                url=url,
                # Order carries no meaning to MailerLite: compared sorted.
                events=tuple(sorted(events)),
                enabled=doc.enabled,
                batchable=doc.batchable,
                source=ctx.key(*where),
            )
        )


def build_audience_webhooks(
    audience: Address,
    where: Path,
    entries: Mapping[str, MailchimpWebhookDocument],
    ctx: BuildContext,
    state: State,
) -> None:
    """`where` is the audience's path in the file."""
    seen: dict[SecretUrl, str] = {}
    for label, doc in entries.items():
        at: Path = (*where, "webhooks", label)
        url = check_url(ctx, (*at, "url"), doc.url)
        if url is not None:
            first = seen.setdefault(url, label)
            if first != label:
                ctx.error(
                    ctx.value(*at, "url"),
                    f"webhook '{label}' has the same URL as webhook '{first}'; Mailchimp "
                    "tells webhooks apart by URL, so declare it once",
                )
        events = set(_events(ctx, at, doc.events, MAILCHIMP_EVENTS))
        sources = set(_events(ctx, at, doc.sources, MAILCHIMP_SOURCES, "sources"))
        state.add(
            AudienceWebhook(
                address=audience.child("webhook", label),
                url=url,
                events={e: e in events for e in MAILCHIMP_EVENTS},
                sources={s: s in sources for s in MAILCHIMP_SOURCES},
                source=ctx.key(*at),
            )
        )


def check_url(ctx: BuildContext, path: Path, url: str) -> SecretUrl | None:
    """The URL as a SecretUrl, or None (reported) when it is not one a webhook can use."""
    if path in ctx.unresolved:
        return None
    where = ctx.value(*path)
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        parts, host = None, None
    if parts is None or not host or parts.scheme not in ("https", "http"):
        ctx.error(where, "the webhook url is not an http(s) URL with a host (value not shown)")
        return None
    if parts.scheme == "http" and not _loopback(host):
        ctx.error(
            where,
            "the webhook url must use https (http is allowed only for localhost, "
            "127.0.0.1 and ::1); the value is not shown since it may hold a secret",
        )
        return None
    if any(c.isspace() for c in url):
        ctx.error(where, "the webhook url contains whitespace (value not shown)")
        return None
    return SecretUrl(url)


def _loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


def _events(
    ctx: BuildContext,
    where: Path,
    names: list[str],
    vocabulary: tuple[str, ...],
    key: str = "events",
) -> list[str]:
    """The names that are known, reporting each unknown one or repeat where it is written."""
    if not names and key == "events":
        ctx.error(
            ctx.value(*where, key),
            f"a webhook needs at least one event; known: {', '.join(vocabulary)}",
        )
    known: list[str] = []
    for index, name in enumerate(names):
        if name not in vocabulary:
            hint = did_you_mean(name, vocabulary) or f"; known: {', '.join(vocabulary)}"
            ctx.error(ctx.value(*where, key, index), f"unknown webhook {key[:-1]} '{name}'{hint}")
        elif name in known:
            ctx.error(ctx.value(*where, key, index), f"'{name}' is listed twice")
        else:
            known.append(name)
    return known
