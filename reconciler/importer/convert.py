"""From an observed State to the `Document` of its config file. Pure: no I/O.

The provider-specific sections come from `mailerlite.py` and `mailchimp.py`; this
module adds what every file has: the header, `provider:` (the credential only as an
`${env:...}` reference) and `settings:` with pruning off, so that a file that leaves
something out never deletes it.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from collections import Counter
from dataclasses import dataclass

from reconciler.config.mailchimp_documents import MailchimpPrune
from reconciler.config.mailerlite import MailerLitePrune
from reconciler.importer.document import Block, Document, Entry, Reference
from reconciler.importer.mailchimp import mailchimp_sections
from reconciler.importer.mailerlite import mailerlite_sections
from reconciler.model import Address, State

SCHEMA_FILE = "espform.schema.json"
_HEADER_WIDTH = 86
#: The key under `provider:` that holds the credential, per provider.
CREDENTIAL_KEY = {"mailerlite": "token", "mailchimp": "api_key"}
#: `settings.prune` keys, from the config's own models so that a new kind is not missed.
PRUNE_KEYS: dict[str, tuple[str, ...]] = {
    "mailerlite": tuple(MailerLitePrune.model_fields),
    "mailchimp": tuple(MailchimpPrune.model_fields),
}
DISPLAY = {"mailerlite": "MailerLite", "mailchimp": "Mailchimp"}
#: How the header counts each kind: (singular, plural).
_WORDS = {
    ("mailerlite", "field"): ("field", "fields"),
    ("mailerlite", "group"): ("group", "groups"),
    ("mailerlite", "segment"): ("segment", "segments"),
    ("mailerlite", "webhook"): ("webhook", "webhooks"),
    ("mailchimp", "audience"): ("audience", "audiences"),
    ("mailchimp", "merge_field"): ("merge field", "merge fields"),
    ("mailchimp", "interest_category"): ("interest category", "interest categories"),
    ("mailchimp", "tag"): ("tag", "tags"),
    ("mailchimp", "segment"): ("saved segment", "saved segments"),
    ("mailchimp", "webhook"): ("webhook", "webhooks"),
}
_SECTION_COMMENTS = {
    "settings": (
        "Nothing is pruned: objects this file does not declare stay in the account as they\n"
        "are. Set a kind to true to delete the objects of that kind that are not declared."
    ),
    "fields": "Custom fields by key; built-in fields only where their label was changed.",
    "groups": "Groups by name.",
    "segments": (
        "Segments by name. The API cannot create segments: these are adopted, so that they\n"
        "can be renamed (renamed_from) and are kept when segments are pruned."
    ),
    "audiences": "Audiences by name: settings, merge fields, interests, tags, saved segments.",
    "webhooks": (
        "Webhooks by name. Their URLs may hold secrets: each is read from the environment\n"
        "variable named in its comment; set those before running plan."
    ),
}


@dataclass(frozen=True)
class Origin:
    """Where the account was read from, and how the config should reach it again."""

    provider: str
    #: The environment variable the credential is referenced by, e.g. MAILCHIMP_API_KEY.
    credential_env: str
    #: `provider.base_url`, when not the ESP's default.
    base_url: str | None
    #: `provider.sandbox`, as it must be written (relative to the file's folder).
    sandbox: str | None
    #: The account as people know it: "the MailerLite account at connect.mailerlite.com".
    account: str
    day: dt.date


def build_document(state: State, origin: Origin) -> Document:
    body = Block()
    body.add("provider", _provider(origin))
    prune = Block([Entry(key, False) for key in PRUNE_KEYS[origin.provider]])
    body.add("settings", Block([Entry("prune", prune)]))
    secret_env: dict[str, str] = {}
    if origin.provider == "mailerlite":
        mailerlite_sections(state, body, secret_env)
    else:
        mailchimp_sections(state, body, secret_env)
    for entry in body.entries:
        if entry.key in _SECTION_COMMENTS:
            entry.comment = "\n" + _SECTION_COMMENTS[entry.key]
    document = Document("", body, secret_env)
    document.header = header(document, origin)
    return document


def _provider(origin: Origin) -> Block:
    key = CREDENTIAL_KEY[origin.provider]
    reference = Reference(f"${{env:{origin.credential_env}}}")
    block = Block()
    block.add("type", origin.provider)
    if origin.sandbox is None:
        block.add(key, reference)
    if origin.base_url is not None:
        block.add("base_url", origin.base_url)
    if origin.sandbox is not None:
        block.add("sandbox", origin.sandbox)
        # No credential is needed for the sandbox; show how the real account is reached.
        block.trailer = f"{key}: {reference}   # for the real account, instead of sandbox"
    return block


def _wrap(text: str, width: int) -> list[str]:
    # Paths and names are never split.
    return textwrap.wrap(text, width, break_on_hyphens=False, break_long_words=False)


def header(document: Document, origin: Origin) -> str:
    """The comment on top of the file: schema, where it came from, what it holds."""
    counts: Counter[str] = Counter()
    for entry in document.written():
        counts[Address.parse(entry.address).kind] += 1
    left_out = sum(1 for entry in document.objects() if not entry.active)
    held = [
        f"{n} {words[0] if n == 1 else words[1]}"
        for (provider, kind), words in _WORDS.items()
        if provider == origin.provider and (n := counts[kind])
    ]
    summary = ", ".join(held) or "nothing to declare"
    if left_out:
        summary += f"; {left_out} left out as comments (see the espform: notes)"
    summary_lines = _wrap(f"{summary}.", _HEADER_WIDTH)
    return "\n".join(
        [
            f"yaml-language-server: $schema=./{SCHEMA_FILE}",
            "The schema is not written by espform import; create it next to this file with",
            f"`espform schema > {SCHEMA_FILE}`.",
            "",
            *_wrap(
                f"Imported by `espform import` from {origin.account} on {origin.day.isoformat()}:",
                _HEADER_WIDTH,
            ),
            *summary_lines,
            "`espform plan` against this account shows no changes.",
        ]
    )
