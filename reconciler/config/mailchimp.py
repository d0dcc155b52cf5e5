"""The Mailchimp config file: provider settings, audiences, and their desired State.

```yaml
provider:
  type: mailchimp
  api_key: ${env:MAILCHIMP_API_KEY}     # its -usNN suffix picks the data center
settings:
  prune: {merge_fields: true, tags: true}
  protect: [Pet Manager Customers]      # never deleted nor replaced, even with --force
  max_delete_percent: {merge_fields: 20, default: 30}
audiences:
  Pet Manager Customers:
    contact: {company: Pet Manager, address1: 1 Main St, city: Portland, country: US}
    permission_reminder: You are a customer of Pet Manager.
    campaign_defaults:
      {from_name: Pet Manager, from_email: news@example.com, subject: "", language: en}
    email_type_option: false
    merge_fields:
      CTYPE:
        name: Customer type
        type: dropdown
        options: {choices: [Dog owner, Cat owner]}
      VISITS: {name: Visits, type: number}
    interest_categories:
      Newsletters:
        type: checkboxes
        interests: [Tips, {Offers: {renamed_from: [Deals]}}]
    tags:
      Dog owner: {}
      Regular: {rule: {field: VISITS, gte: 5}}   # rule-driven: espform keeps its members
    segments:
      Dog owners who want tips:
        match: all
        conditions:
          - {condition_type: StaticSegment, field: static_segment, op: static_is,
             value: Dog owner}
          - {condition_type: Interests, field: Newsletters, op: interestcontains,
             value: [Tips]}
      Regular dog owners:                 # a rule, compiled to native conditions
        rule: {all: [{has_tag: Regular}, {field: CTYPE, equals: Dog owner}]}
```

The document model is in `mailchimp_documents.py`, the audience checks in
`mailchimp_audiences.py`, the condition checks in `mailchimp_conditions.py`, the rules
of tags and segments in `mailchimp_rules.py`.
"""

from __future__ import annotations

from pydantic import SecretStr

from reconciler.config.credentials import check_base_url, credential_present, sandbox_path
from reconciler.config.document import BuildContext, Desired, Dialect, build_settings
from reconciler.config.integrations import build_mailchimp_integrations
from reconciler.config.mailchimp_audiences import PROVIDER, build_audiences
from reconciler.config.mailchimp_documents import (
    MailchimpDocument,
    MailchimpProviderDocument,
    MailchimpPrune,
    MailchimpSettings,
)
from reconciler.config.provider import MailchimpProvider
from reconciler.mailchimp_keys import data_center_url
from reconciler.model import Settings, State

KEY_ENV = "MAILCHIMP_API_KEY"
API_PATH = "/3.0"

#: `settings.prune` and per-kind threshold key -> resource kind.
PRUNE_KINDS = {
    "audiences": "audience",
    "merge_fields": "merge_field",
    "interest_categories": "interest_category",
    "interests": "interest",
    "tags": "tag",
    "segments": "segment",
    "webhooks": "webhook",
}


def build(doc: MailchimpDocument, ctx: BuildContext) -> Desired | None:
    provider = _provider(doc.provider, ctx) if doc.provider is not None else None
    state = State(PROVIDER)
    catalogs = build_audiences(doc.audiences or {}, ctx, state)
    dependents = build_mailchimp_integrations(doc.integrations or {}, ctx, state)
    settings = _settings(doc.settings, ctx)
    if provider is None:
        return None
    return Desired(provider, settings, state, catalogs, dependents)


def _provider(doc: MailchimpProviderDocument, ctx: BuildContext) -> MailchimpProvider | None:
    sandbox = sandbox_path(doc.sandbox, ctx)
    url_ok = check_base_url(ctx, doc.base_url, "api_key")
    if not credential_present(ctx, "api_key", KEY_ENV, doc.api_key, sandbox) or not url_ok:
        return None
    base_url = doc.base_url.rstrip("/") if doc.base_url is not None else None
    if base_url is not None and base_url.endswith(API_PATH):
        ctx.error(
            ctx.value("provider", "base_url"),
            f"provider.base_url must not end with {API_PATH}: espform appends "
            f"{API_PATH}/... itself; write the root, e.g. https://us6.api.mailchimp.com",
        )
        return None
    if base_url is None and sandbox is None and ("provider", "api_key") not in ctx.unchecked:
        # Unread, the key cannot name its data center: the provider derives the host
        # from it when it connects.
        base_url = _data_center_url(doc.api_key, ctx)
        if base_url is None:
            return None
    return MailchimpProvider(
        type="mailchimp",
        api_key=doc.api_key,
        base_url=base_url,
        sandbox=sandbox,
        max_connections=doc.max_connections,
        credential_env=ctx.credential_env("provider", "api_key"),
    )


def _data_center_url(api_key: SecretStr | None, ctx: BuildContext) -> str | None:
    """`https://usNN.api.mailchimp.com` from the key's suffix; never shows the key."""
    path = ("provider", "api_key")
    secret = ctx.credentials.get(path)
    if path in ctx.unresolved or secret is None:
        return None  # a failed reference or a key in clear: reported already
    # The key itself is read only here, to find its suffix; it goes into no message.
    url = data_center_url(api_key.get_secret_value()) if api_key is not None else None
    if url is not None:
        return url
    if secret.scheme == "env":
        origin = f"the API key in environment variable {secret.argument}"
    else:
        origin = f"the API key in secret file '{secret.argument}'"
    ctx.error(
        ctx.value(*path),
        f"{origin} does not end with a data center such as -us6 (Mailchimp keys look like "
        "<32 hex digits>-usNN); check the key, or set provider.base_url to "
        "https://usNN.api.mailchimp.com",
    )
    return None


def _settings(doc: MailchimpSettings | None, ctx: BuildContext) -> Settings:
    prune = (doc.prune if doc is not None else None) or MailchimpPrune()
    return build_settings(
        doc,
        ctx,
        prune=frozenset(kind for key, kind in PRUNE_KINDS.items() if getattr(prune, key)),
        kinds=PRUNE_KINDS,
    )


DIALECT = Dialect(
    type=PROVIDER,
    document=MailchimpDocument,
    secrets={("provider", "api_key"): KEY_ENV},
    build=build,
)
