"""The MailerLite config file: its document model and its conversion to a desired State.

```yaml
provider:
  type: mailerlite
  token: ${env:MAILERLITE_API_TOKEN}
settings:
  prune: {groups: true}
  ignore: ["Imported *"]
  protect: ["Customers*"]             # never deleted nor replaced, even with --force
  max_delete_percent: {groups: 10}    # per kind; a bare number sets every kind
fields:
  partner_key: {name: Partner key, type: text}
  tier: {type: text}
  total_sales: {type: number}
  country: {name: Country of residence}   # built-in: type is always text
groups:
  Partners: {}
  Gold Partners:
    renamed_from: [Gold]
    rule: {all: [{status: active}, {field: tier, equals: gold}]}   # rule-driven
segments:
  Engaged: {}
```
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field as PydanticField
from pydantic import SecretStr, StringConstraints

from reconciler.config.credentials import check_base_url, credential_present, sandbox_path
from reconciler.config.document import (
    BuildContext,
    Desired,
    Dialect,
    DocumentModel,
    Noun,
    SettingsDocument,
    base_url_type,
    build_settings,
    name_type,
    renamed_from_field,
    renamed_from_type,
)
from reconciler.config.integrations import (
    IntegrationName,
    MailerLiteIntegrationDocument,
    build_mailerlite_integrations,
)
from reconciler.config.mailerlite_rules import group_rules
from reconciler.config.provider import MailerLiteProvider
from reconciler.config.renames import check_renames
from reconciler.config.rules import RuleData, rule_field
from reconciler.config.webhooks import (
    MailerLiteWebhookDocument,
    WebhookName,
    build_mailerlite_webhooks,
)
from reconciler.model import Address, Field, Group, Segment, Settings, State
from reconciler.rules import Rule

PROVIDER = "mailerlite"
DEFAULT_BASE_URL = "https://connect.mailerlite.com"
TOKEN_ENV = "MAILERLITE_API_TOKEN"
#: Keys of the fields every MailerLite account has; all of type text.
BUILTIN_FIELDS = ("name", "last_name", "company", "country", "city", "phone", "state", "z_i_p")

FieldType = Literal["text", "number", "date"]
FieldKey = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9_]+$", max_length=255),
    Noun("field key", "use lowercase letters, digits and underscores, e.g. partner_key"),
]
FieldName = name_type("field name")
GroupName = name_type("group name")
SegmentName = name_type("segment name")
BaseUrl = base_url_type(DEFAULT_BASE_URL)
#: MailerLite's documented per-account budget.
DEFAULT_REQUESTS_PER_MINUTE = 120
GroupRenamedFrom = renamed_from_type("group name")
SegmentRenamedFrom = renamed_from_type("segment name")


class MailerLiteProviderDocument(DocumentModel):
    """`provider:` for MailerLite."""

    type: Literal["mailerlite"] = PydanticField(description="Selects MailerLite.")
    token: SecretStr | None = PydanticField(
        default=None,
        description=(
            "API token, always as a reference, never in clear: "
            "`${env:MAILERLITE_API_TOKEN}` or `${file:PATH}`. Not needed with `sandbox`."
        ),
    )
    base_url: BaseUrl = PydanticField(
        default=DEFAULT_BASE_URL,
        description=(
            "Root of the API; `/api/...` paths are appended to it. No user name, password, "
            "query string or fragment: the token authenticates."
        ),
    )
    sandbox: Annotated[str, StringConstraints(min_length=1), Noun("sandbox path")] | None = (
        PydanticField(
            default=None,
            description=(
                "Use the embedded local sandbox stored in this file (relative to the "
                "config file's folder) instead of the real MailerLite."
            ),
        )
    )
    requests_per_minute: Annotated[int, PydanticField(ge=1, le=100_000)] = PydanticField(
        default=DEFAULT_REQUESTS_PER_MINUTE,
        description=(
            "Requests per minute espform allows itself, 120 by default. MailerLite allows "
            "120 per account, shared by every integration using the token: set it lower to "
            "leave them room. Higher values only help against `espform sandbox serve "
            "--rate-limit N`; a lower X-RateLimit-Limit from the server is obeyed anyway."
        ),
    )


class FieldDocument(DocumentModel):
    """One custom or built-in field, keyed by its field key."""

    name: FieldName | None = PydanticField(
        default=None, description="Display name; field names must be unique in an account."
    )
    type: FieldType | None = PydanticField(
        default=None,
        description=(
            "Value type; required for custom fields, optional (and always text) for the "
            "built-in ones. It cannot change in place: a change deletes the field's values."
        ),
    )


class GroupDocument(DocumentModel):
    """One group, keyed by its name."""

    renamed_from: GroupRenamedFrom = renamed_from_field("group")
    rule: RuleData | None = rule_field("group")


class SegmentDocument(DocumentModel):
    """One segment, keyed by its name. The API cannot create segments nor set their
    filters: declare existing ones to rename them or to protect them from pruning."""

    renamed_from: SegmentRenamedFrom = renamed_from_field("segment")


class MailerLitePrune(DocumentModel):
    """Kinds whose remote objects that are not declared get deleted."""

    fields: bool = PydanticField(default=False, description="Delete undeclared custom fields.")
    groups: bool = PydanticField(default=False, description="Delete undeclared groups.")
    segments: bool = PydanticField(default=False, description="Delete undeclared segments.")
    webhooks: bool = PydanticField(default=False, description="Delete undeclared webhooks.")


class MailerLiteSettings(SettingsDocument):
    """`settings:` for MailerLite."""

    prune: MailerLitePrune | None = PydanticField(
        default=None,
        description="Which kinds espform owns entirely; by default undeclared objects stay.",
    )


class MailerLiteDocument(DocumentModel):
    """A config file for one MailerLite account."""

    provider: MailerLiteProviderDocument = PydanticField(description="How to reach the account.")
    settings: MailerLiteSettings | None = PydanticField(
        default=None, description="Ownership and safety settings."
    )
    fields: dict[FieldKey, FieldDocument | None] | None = PydanticField(
        default=None, description="Fields by field key (the key never changes, the name may)."
    )
    groups: dict[GroupName, GroupDocument | None] | None = PydanticField(
        default=None, description="Groups by name."
    )
    segments: dict[SegmentName, SegmentDocument | None] | None = PydanticField(
        default=None, description="Existing segments by name."
    )
    webhooks: dict[WebhookName, MailerLiteWebhookDocument] | None = PydanticField(
        default=None, description="Webhooks by name (how they are matched)."
    )
    integrations: dict[IntegrationName, MailerLiteIntegrationDocument | None] | None = (
        PydanticField(
            default=None,
            description=(
                "Integrations that write to the account, by name, with the declared objects "
                "each depends on: a plan that deletes, replaces or renames one is refused "
                "unless forced."
            ),
        )
    )


# --- Conversion -------------------------------------------------------------------------


def build(doc: MailerLiteDocument, ctx: BuildContext) -> Desired | None:
    provider = _provider(doc.provider, ctx) if doc.provider is not None else None
    state = State(PROVIDER)
    _fields(doc.fields or {}, ctx, state)
    catalog, rules = group_rules(
        _field_types(doc.fields or {}), BUILTIN_FIELDS, doc.groups or {}, ctx
    )
    _renamable(Group, "group", doc.groups or {}, ctx, state, rules)
    _renamable(Segment, "segment", doc.segments or {}, ctx, state)
    build_mailerlite_webhooks(doc.webhooks or {}, ctx, state)
    dependents = build_mailerlite_integrations(doc.integrations or {}, ctx, state)
    settings = _settings(doc.settings, ctx)
    if provider is None:
        return None
    return Desired(provider, settings, state, {None: catalog}, dependents)


def _provider(doc: MailerLiteProviderDocument, ctx: BuildContext) -> MailerLiteProvider | None:
    sandbox = sandbox_path(doc.sandbox, ctx)
    url_ok = check_base_url(ctx, doc.base_url, "token")
    if not credential_present(ctx, "token", TOKEN_ENV, doc.token, sandbox) or not url_ok:
        return None
    return MailerLiteProvider(
        type="mailerlite",
        token=doc.token,
        base_url=doc.base_url.rstrip("/"),
        sandbox=sandbox,
        requests_per_minute=doc.requests_per_minute,
        credential_env=ctx.credential_env("provider", "token"),
    )


def _field_types(fields: dict[str, FieldDocument | None]) -> dict[str, str | None]:
    """Declared field keys and types; built-in fields are text whatever is written."""
    return {
        key: "text" if key in BUILTIN_FIELDS else (entry.type if entry is not None else None)
        for key, entry in fields.items()
    }


def _fields(fields: dict[str, FieldDocument | None], ctx: BuildContext, state: State) -> None:
    named: dict[str, str] = {}
    for key, entry in fields.items():
        doc = entry or FieldDocument()
        builtin = key in BUILTIN_FIELDS
        field_type = doc.type
        if builtin:
            if field_type not in (None, "text"):
                ctx.error(
                    ctx.value("fields", key, "type"),
                    f"built-in field '{key}' is always of type text; remove `type` or set it "
                    "to text",
                )
            field_type = "text"
        elif field_type is None:
            ctx.error(
                ctx.key("fields", key),
                f"custom field '{key}' needs a type: text, number or date (e.g. `{{type: text}}`)",
            )
        if doc.name is not None and ("fields", key, "name") not in ctx.unresolved:
            first = named.setdefault(doc.name, key)
            if first != key:
                line = ctx.value("fields", first, "name").line
                ctx.error(
                    ctx.value("fields", key, "name"),
                    f"field name '{doc.name}' is already used by field '{first}' (line {line}); "
                    "MailerLite requires unique field names",
                )
        state.add(
            Field(
                address=Address.of(PROVIDER, "field", key),
                name=doc.name,
                type=field_type,
                builtin=builtin,
                source=ctx.key("fields", key),
            )
        )


def _renamable(
    resource: type[Group] | type[Segment],
    kind: str,
    entries: dict[str, GroupDocument | None] | dict[str, SegmentDocument | None],
    ctx: BuildContext,
    state: State,
    rules: dict[str, Rule] | None = None,
) -> None:
    section = f"{kind}s"
    renames = {
        name: tuple(entry.renamed_from) if entry is not None else ()
        for name, entry in entries.items()
    }
    check_renames(
        ctx,
        kind,
        renames,
        declared_at=lambda name: ctx.key(section, name),
        old_at=lambda name, index: ctx.value(section, name, "renamed_from", index),
    )
    for name, old_names in renames.items():
        address = Address.of(PROVIDER, kind, name)
        source = ctx.key(section, name)
        if resource is Group:
            rule = (rules or {}).get(name)
            state.add(Group(address=address, renamed_from=old_names, source=source, rule=rule))
        else:
            state.add(resource(address=address, renamed_from=old_names, source=source))


#: `settings.prune` and per-kind threshold key -> resource kind.
SETTINGS_KINDS = {
    "fields": "field",
    "groups": "group",
    "segments": "segment",
    "webhooks": "webhook",
}


def _settings(doc: MailerLiteSettings | None, ctx: BuildContext) -> Settings:
    prune = (doc.prune if doc is not None else None) or MailerLitePrune()
    return build_settings(
        doc,
        ctx,
        prune=frozenset(kind for key, kind in SETTINGS_KINDS.items() if getattr(prune, key)),
        kinds=SETTINGS_KINDS,
    )


DIALECT = Dialect(
    type=PROVIDER,
    document=MailerLiteDocument,
    secrets={("provider", "token"): TOKEN_ENV},
    build=build,
)
