"""The Mailchimp config file's document model: what each key may hold.

Shapes and value types are checked here (and published as the JSON Schema); rules
that look across keys (options per merge type, condition catalog, names referred to by
conditions, renames) are checked by the builder in `mailchimp.py`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BeforeValidator,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    SecretStr,
    StringConstraints,
    WithJsonSchema,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from reconciler.config.document import (
    MAX_NAME,
    DocumentModel,
    Noun,
    SettingsDocument,
    base_url_type,
    name_type,
    renamed_from_field,
    renamed_from_type,
)
from reconciler.config.integrations import IntegrationName, MailchimpIntegrationDocument
from reconciler.config.rules import RuleData, rule_field
from reconciler.config.webhooks import MailchimpWebhookDocument
from reconciler.config.webhooks import WebhookName as WebhookLabel

DEFAULT_MAX_CONNECTIONS = 10
MERGE_TAG_LENGTH = 10

MergeType = Literal[
    "text", "number", "address", "phone", "date", "url", "imageurl", "radio", "dropdown",
    "birthday", "zip",
]  # fmt: skip
CategoryType = Literal["checkboxes", "dropdown", "radio", "hidden"]

MergeTag = Annotated[
    str,
    StringConstraints(min_length=1, max_length=MERGE_TAG_LENGTH, pattern=r"^[A-Z0-9_]+$"),
    Noun(
        "merge tag",
        f"use uppercase letters, digits and underscores, at most {MERGE_TAG_LENGTH} "
        "characters, e.g. CTYPE",
    ),
]
Email = Annotated[
    str,
    StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"),
    Noun("email address", "an email address such as news@example.com"),
]
NotifyEmail = Annotated[
    str,
    StringConstraints(pattern=r"^$|^[^@\s]+@[^@\s]+\.[^@\s]+$"),
    Noun("email address", 'an email address, or "" for no notification'),
]
CountryCode = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Z]{2}$"),
    Noun("country code", "a 2-letter ISO country code in capitals, such as US or DE"),
]
Text = Annotated[str, StringConstraints(min_length=1), Noun("text")]
BaseUrl = base_url_type("https://us6.api.mailchimp.com")
AudienceName = name_type("audience name")
MergeFieldName = name_type("merge field name")
CategoryTitle = name_type("interest category title")
InterestName = name_type("interest name")
TagName = name_type("tag name")
SegmentName = name_type("segment name")
AudienceRenamedFrom = renamed_from_type("audience name")
CategoryRenamedFrom = renamed_from_type("interest category title")
InterestRenamedFrom = renamed_from_type("interest name")
TagRenamedFrom = renamed_from_type("tag name")
SegmentRenamedFrom = renamed_from_type("segment name")

#: Merge fields every new audience has, with their types. They can be edited and even
#: deleted, so they are not assumed to exist once declared otherwise (renamed).
DEFAULT_MERGE_FIELDS = {
    "FNAME": "text",
    "LNAME": "text",
    "ADDRESS": "address",
    "PHONE": "phone",
    "BIRTHDAY": "birthday",
}
#: The contact's email address: addressed like a merge tag, but not a merge field.
EMAIL_TAG = "EMAIL"


def _tags_as_list(value: object) -> object:
    return [value] if isinstance(value, str) else value


MergeTagRenamedFrom = Annotated[
    list[MergeTag],
    BeforeValidator(_tags_as_list),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": r"^[A-Z0-9_]+$", "maxLength": MERGE_TAG_LENGTH},
                {
                    "type": "array",
                    "items": {
                        "type": "string",
                        "pattern": r"^[A-Z0-9_]+$",
                        "maxLength": MERGE_TAG_LENGTH,
                    },
                },
            ]
        }
    ),
]


class MailchimpProviderDocument(DocumentModel):
    """`provider:` for Mailchimp."""

    type: Literal["mailchimp"] = Field(description="Selects Mailchimp.")
    api_key: SecretStr | None = Field(
        default=None,
        description=(
            "API key, always as a reference, never in clear: `${env:MAILCHIMP_API_KEY}` or "
            "`${file:PATH}`. Its `-usNN` suffix names the data center. Not needed with "
            "`sandbox`."
        ),
    )
    base_url: BaseUrl | None = Field(
        default=None,
        description=(
            "Root of the API; `/3.0/...` paths are appended to it. Default: "
            "`https://{dc}.api.mailchimp.com`, the data center taken from the API key. "
            "No user name, password, query string or fragment: the API key authenticates."
        ),
    )
    sandbox: Annotated[str, StringConstraints(min_length=1), Noun("sandbox path")] | None = Field(
        default=None,
        description=(
            "Use the embedded local sandbox stored in this file (relative to the "
            "config file's folder) instead of the real Mailchimp."
        ),
    )
    max_connections: Annotated[int, Field(ge=1, le=10)] = Field(
        default=DEFAULT_MAX_CONNECTIONS,
        description=(
            "Requests in flight at once, 1 to 10. Mailchimp allows 10 simultaneous "
            "connections per key, shared by every app that uses the key: set it lower "
            "to leave the other apps room."
        ),
    )


class ContactDocument(DocumentModel):
    """The audience's contact details, required by anti-spam laws in every email footer."""

    company: Text = Field(description="Company or organization name.")
    address1: Text = Field(description="First line of the street address.")
    address2: str | None = Field(default=None, description="Second line of the address.")
    city: Text = Field(description="City.")
    state: str | None = Field(default=None, description="State, province or region.")
    zip: str | None = Field(default=None, description="Postal code, as text.")
    country: CountryCode = Field(description="2-letter ISO country code, e.g. US.")
    phone: str | None = Field(default=None, description="Phone number.")


class CampaignDefaultsDocument(DocumentModel):
    """What new campaigns to this audience start with."""

    from_name: Text = Field(description="Sender name.")
    from_email: Email = Field(description="Sender email address.")
    subject: str = Field(description='Default subject line; "" for none.')
    language: Text = Field(description="Language code of the audience's forms, e.g. en.")


class MergeFieldOptions(DocumentModel):
    """Type-specific settings of a merge field; each applies to some types only."""

    choices: list[Text] | None = Field(
        default=None, description="radio and dropdown (required there): the choices, in order."
    )
    date_format: Text | None = Field(
        default=None, description="date and birthday: the format shown, e.g. MM/DD/YYYY."
    )
    phone_format: Text | None = Field(
        default=None, description="phone: the format, e.g. US or International."
    )
    default_country: int | None = Field(
        default=None, description="address: Mailchimp's internal id of the default country."
    )
    size: Annotated[int, Field(ge=1)] | None = Field(
        default=None, description="text: the width of the input on forms."
    )


class MergeFieldDocument(DocumentModel):
    """One audience field, keyed by its merge tag."""

    name: MergeFieldName | None = Field(
        default=None, description="Label of the field; required except for the defaults."
    )
    type: MergeType | None = Field(
        default=None,
        description=(
            "Value type; required except for the defaults (FNAME, LNAME, ADDRESS, PHONE, "
            "BIRTHDAY). It cannot change in place: a change deletes the field's values."
        ),
    )
    required: bool | None = Field(default=None, description="Whether a value is required.")
    public: bool | None = Field(default=None, description="Shown on the signup form.")
    default_value: str | None = Field(default=None, description="Value of new contacts.")
    help_text: str | None = Field(default=None, description="Help shown on forms.")
    display_order: Annotated[int, Field(ge=1)] | None = Field(
        default=None, description="Position on forms (1 first)."
    )
    options: MergeFieldOptions | None = Field(default=None, description="Type-specific settings.")
    renamed_from: MergeTagRenamedFrom = Field(
        default_factory=list,
        description=(
            "Previous merge tags of this field: a tag change is a rename in place that "
            "keeps the field's values."
        ),
    )


class InterestDocument(DocumentModel):
    """Settings of one interest, in the `{NAME: {...}}` form of an interest item."""

    renamed_from: InterestRenamedFrom = renamed_from_field("interest")


def _name_as_mapping(value: object) -> object:
    # The short form `- Dog` is the common case; it means `- {Dog: {}}`.
    return {value: None} if isinstance(value, str) else value


class _OrName:
    """JSON Schema of a `{NAME: {...}}` mapping that may also be written as just NAME."""

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        mapping = handler(core_schema)
        mapping.update(minProperties=1, maxProperties=1)
        return {"anyOf": [{"type": "string", "minLength": 1, "maxLength": MAX_NAME}, mapping]}


InterestItem = Annotated[
    dict[InterestName, InterestDocument | None],
    BeforeValidator(_name_as_mapping),
    _OrName(),
    Noun("interest", shape="an interest name or {NAME: {renamed_from: [OLD]}}"),
]


class InterestCategoryDocument(DocumentModel):
    """One interest category ("group title" in Mailchimp's app), keyed by its title."""

    type: CategoryType = Field(description="How contacts choose on forms.")
    interests: list[InterestItem] = Field(
        default_factory=list,
        description=(
            "The interests ('group names'), in display order: each a name or "
            "`{NAME: {renamed_from: [OLD]}}`."
        ),
    )
    renamed_from: CategoryRenamedFrom = renamed_from_field("interest category")


class TagDocument(DocumentModel):
    """One tag, keyed by its name."""

    renamed_from: TagRenamedFrom = renamed_from_field("tag")
    rule: RuleData | None = rule_field("tag")


class ConditionDocument(DocumentModel):
    """One condition of a saved segment, as in Mailchimp's API, with names for ids."""

    condition_type: Text = Field(description="The kind of condition, e.g. TextMerge.")
    field: Text | None = Field(
        default=None,
        description=(
            "What is tested: a merge tag, EMAIL, an interest category title (or "
            "`interests-<id>`), `static_segment`, or the type's own field name."
        ),
    )
    op: Text | None = Field(default=None, description="The comparison, e.g. is or static_is.")
    value: Any = Field(
        default=None,
        description=(
            "The value compared with: text, a number, a tag name (or id) for StaticSegment, "
            "a list of interest names (or ids) for Interests."
        ),
        json_schema_extra={"type": ["string", "number", "array"]},
    )
    extra: str | int | None = Field(default=None, description="ZipMerge, Date, IPGeoInZip.")
    addr: str | None = Field(default=None, description="IPGeoIn: the address.")
    lat: str | float | None = Field(default=None, description="IPGeoIn: the latitude.")
    lng: str | float | None = Field(default=None, description="IPGeoIn: the longitude.")


class SegmentDocument(DocumentModel):
    """One saved segment, keyed by its name: `match` and `conditions`, or a `rule`."""

    model_config = ConfigDict(
        json_schema_extra={"oneOf": [{"required": ["match", "conditions"]}, {"required": ["rule"]}]}
    )

    match: Literal["any", "all"] | None = Field(
        default=None, description="With `conditions`: whether any or all of them must hold."
    )
    conditions: list[ConditionDocument] | None = Field(
        default=None, description="Mailchimp's conditions, in any order; or write `rule`."
    )
    rule: RuleData | None = Field(
        default=None,
        description=(
            "Instead of `match` and `conditions`: who is in the segment, in espform's rule "
            "language (as a tag's `rule`). It becomes native conditions that select "
            "exactly the same contacts; a rule that has none is refused, and belongs on "
            "a rule-driven tag. `{status: active}` under the top-level `all` adds no "
            "condition: Mailchimp counts and mails a segment's subscribed contacts only."
        ),
    )
    renamed_from: SegmentRenamedFrom = renamed_from_field("segment")


class AudienceDocument(DocumentModel):
    """One audience ("list" in the API), keyed by its name."""

    contact: ContactDocument = Field(description="Contact details shown in email footers.")
    permission_reminder: Text = Field(description="Why contacts receive email from you.")
    campaign_defaults: CampaignDefaultsDocument = Field(description="Defaults of new campaigns.")
    email_type_option: bool = Field(description="Let contacts choose HTML or plain-text email.")
    double_optin: bool | None = Field(default=None, description="Confirm signups by email.")
    use_archive_bar: bool | None = Field(default=None, description="Show the archive bar.")
    notify_on_subscribe: NotifyEmail | None = Field(
        default=None, description='Address told about each signup; "" for none.'
    )
    notify_on_unsubscribe: NotifyEmail | None = Field(
        default=None, description='Address told about each unsubscribe; "" for none.'
    )
    marketing_permissions: bool | None = Field(
        default=None, description="Ask for GDPR marketing permissions on forms."
    )
    visibility: Literal["pub", "prv"] | None = Field(
        default=None, description="pub: public archive; prv: private."
    )
    renamed_from: AudienceRenamedFrom = renamed_from_field("audience")
    merge_fields: dict[MergeTag, MergeFieldDocument | None] | None = Field(
        default=None, description="Audience fields by merge tag."
    )
    interest_categories: dict[CategoryTitle, InterestCategoryDocument] | None = Field(
        default=None, description="Interest categories (groups) by title."
    )
    tags: dict[TagName, TagDocument | None] | None = Field(
        default=None, description="Tags by name."
    )
    segments: dict[SegmentName, SegmentDocument] | None = Field(
        default=None, description="Saved segments by name."
    )
    webhooks: dict[WebhookLabel, MailchimpWebhookDocument] | None = Field(
        default=None,
        description="Audience webhooks by a label of your choosing; the URL identifies each.",
    )


class MailchimpPrune(DocumentModel):
    """Kinds whose remote objects that are not declared get deleted."""

    audiences: bool = Field(default=False, description="Delete undeclared audiences.")
    merge_fields: bool = Field(default=False, description="Delete undeclared merge fields.")
    interest_categories: bool = Field(
        default=False, description="Delete undeclared interest categories."
    )
    interests: bool = Field(default=False, description="Delete undeclared interests.")
    tags: bool = Field(default=False, description="Delete undeclared tags.")
    segments: bool = Field(default=False, description="Delete undeclared saved segments.")
    webhooks: bool = Field(default=False, description="Delete undeclared audience webhooks.")


class MailchimpSettings(SettingsDocument):
    """`settings:` for Mailchimp."""

    prune: MailchimpPrune | None = Field(
        default=None,
        description="Which kinds espform owns entirely; by default undeclared objects stay.",
    )


class MailchimpDocument(DocumentModel):
    """A config file for one Mailchimp account."""

    provider: MailchimpProviderDocument = Field(description="How to reach the account.")
    settings: MailchimpSettings | None = Field(
        default=None, description="Ownership and safety settings."
    )
    audiences: dict[AudienceName, AudienceDocument] | None = Field(
        default=None, description="Audiences by name."
    )
    integrations: dict[IntegrationName, MailchimpIntegrationDocument | None] | None = Field(
        default=None,
        description=(
            "Integrations that write to the account, by name, with the audience and the "
            "declared objects in it each depends on: a plan that deletes, replaces or "
            "renames one is refused unless forced."
        ),
    )
