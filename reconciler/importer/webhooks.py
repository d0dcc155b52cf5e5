"""Webhooks in an imported config, with their URLs kept out of the file.

A webhook URL often carries a secret token, and an imported file goes into git. So the
file references each URL as `${env:NAME}`, with a comment saying to set NAME, and the
clear URL is only kept in memory (`Document.secret_env`): the import's own check loads
the file with those variables set, so that it proves the file plans no changes once the
user exports them too. `espform import` lists the variables to set.

MailerLite webhooks are written under their names. Mailchimp webhooks have no name: each
is written under a label made from its URL's host (`crm.example.com`, then
`crm.example.com 2`), which the config uses only as a label.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from reconciler.config.webhooks import MailchimpWebhookDocument, MailerLiteWebhookDocument
from reconciler.importer.document import Block, Reference, by_name, fit
from reconciler.model import AudienceWebhook, Resource, Webhook
from reconciler.secret_url import SecretUrl

#: The config's default for Mailchimp `sources`; written only when they differ.
_DEFAULT_SOURCES = ["admin", "user"]


def mailerlite_webhooks(resources: list[Resource], secret_env: dict[str, str]) -> Block:
    block = Block()
    for webhook in by_name([r for r in resources if isinstance(r, Webhook)], lambda r: r.key):
        env = _env_name(f"MAILERLITE_WEBHOOK_{_slug(webhook.key)}_URL", secret_env, webhook.url)
        data: dict[str, object] = {
            "url": Reference(f"${{env:{env}}}"),
            "events": list(webhook.events or ()),
            "enabled": bool(webhook.enabled),
        }
        if webhook.batchable:
            data["batchable"] = True
        _add(block, webhook.key, data, MailerLiteWebhookDocument, str(webhook.address), env)
    return block


def audience_webhooks(
    resources: list[Resource], audience: str, secret_env: dict[str, str]
) -> Block:
    block = Block()
    labels: set[str] = set()
    hooks = [r for r in resources if isinstance(r, AudienceWebhook)]
    for webhook in sorted(hooks, key=lambda r: _host(r.url)):
        label = _unique(_host(webhook.url) or "webhook", labels)
        env = _env_name(
            f"MAILCHIMP_WEBHOOK_{_slug(audience)}_{_slug(label)}_URL", secret_env, webhook.url
        )
        data: dict[str, object] = {
            "url": Reference(f"${{env:{env}}}"),
            "events": sorted(k for k, on in (webhook.events or {}).items() if on),
        }
        sources = sorted(k for k, on in (webhook.sources or {}).items() if on)
        if sources != _DEFAULT_SOURCES:
            data["sources"] = sources
        _add(block, label, data, MailchimpWebhookDocument, str(webhook.address), env)
    return block


def _add(
    block: Block, key: str, data: dict[str, object], model: type, address: str, env: str
) -> None:
    written, dropped, problem = fit(model, data)
    comment = f"set {env} to its URL (not written here: it may hold a secret)"
    entry = block.add(key, written, comment=comment, address=address)
    entry.dropped, entry.original = dropped, data
    if problem:
        entry.leave_out(f"the config cannot hold this webhook: {problem}")


def _host(url: SecretUrl | None) -> str:
    if url is None:
        return ""
    try:
        return urlsplit(url.reveal()).hostname or ""
    except ValueError:
        return ""


def _slug(text: str) -> str:
    return re.sub(r"[^A-Z0-9]+", "_", text.upper()).strip("_") or "X"


def _unique(label: str, taken: set[str]) -> str:
    candidate, number = label, 1
    while candidate in taken:
        number += 1
        candidate = f"{label} {number}"
    taken.add(candidate)
    return candidate


def _env_name(base: str, secret_env: dict[str, str], url: SecretUrl | None) -> str:
    """A variable name not used yet in this file, remembered with the clear URL."""
    name, number = base, 1
    while name in secret_env:
        number += 1
        name = base.removesuffix("_URL") + f"_{number}_URL"
    secret_env[name] = url.reveal() if url is not None else ""
    return name
