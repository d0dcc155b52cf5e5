"""Valid Mailchimp config files load into the expected provider settings and State."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from config_support import ENV, MC_KEY, Load, Write
from mailchimp_support import BASE, HEAD, segment

from reconciler.config import Config, load_config
from reconciler.config.mailchimp_documents import MailchimpDocument
from reconciler.config.provider import MailchimpProvider
from reconciler.errors import ConfigError
from reconciler.model import (
    Address,
    Audience,
    Interest,
    InterestCategory,
    Location,
    MergeField,
    SavedSegment,
    Settings,
    Tag,
)

# A pet-care CRM pushes its customers into this audience, typed by CTYPE and tagged.
PET_CARE = """
provider:
  type: mailchimp
  api_key: ${env:MAILCHIMP_API_KEY}
settings:
  prune: {merge_fields: true, tags: true, segments: true}
  ignore: ["Imported *"]
audiences:
  Pet Manager Customers:
    renamed_from: Pet Customers
    contact:
      company: Pet Manager Inc.
      address1: 12 Harbor Road
      city: Portland
      state: OR
      zip: "97201"
      country: US
    permission_reminder: You signed up at one of our pet-care clinics.
    campaign_defaults:
      from_name: Pet Manager
      from_email: care@petmanager.example
      subject: ""
      language: en
    email_type_option: false
    double_optin: true
    visibility: prv
    merge_fields:
      FNAME: {name: First name}
      CTYPE:
        name: Customer type
        type: dropdown
        required: true
        options: {choices: [Dog owner, Cat owner, Breeder]}
        renamed_from: [CUSTTYPE]
      VISITS: {name: Clinic visits, type: number, public: false}
    interest_categories:
      Newsletters:
        type: checkboxes
        interests:
          - Care tips
          - Offers: {renamed_from: [Deals]}
          - Events
    tags:
      Dog owner: {}
      Cat owner:
      Breeder: {renamed_from: [Breeders]}
    segments:
      Dog owners wanting tips:
        match: all
        conditions:
          - {condition_type: Interests, field: Newsletters, op: interestcontains,
             value: [Offers, Care tips]}
          - {condition_type: StaticSegment, field: static_segment, op: static_is,
             value: Dog owner}
          - {condition_type: SelectMerge, field: CTYPE, op: is, value: Dog owner}
      Frequent visitors:
        match: any
        conditions:
          - {condition_type: TextMerge, field: VISITS, op: greater, value: 5}
          - {condition_type: MemberRating, op: greater, value: "3"}
"""

AUDIENCE = Address.of("mailchimp", "audience", "Pet Manager Customers")
NEWSLETTERS = AUDIENCE.child("interest_category", "Newsletters")


def _shape(config: Config) -> list[tuple[Any, ...]]:
    """Everything the loader sets, including what resource equality ignores."""
    return [
        (type(r).__name__, str(r.address), r.attributes(), r.renamed_from, r.source)
        for r in config.desired
    ]


def _at(line: int, col: int) -> Location:
    return Location("espform.yaml", line, col)


def test_pet_care_audience_loads_into_the_expected_state(load: Load) -> None:
    config = load(PET_CARE)

    assert config.desired.provider == "mailchimp"
    assert config.settings == Settings(
        prune=frozenset({"merge_field", "tag", "segment"}), ignore=("Imported *",)
    )
    shapes = _shape(config)
    assert shapes[0] == (
        "Audience",
        'mailchimp.audience["Pet Manager Customers"]',
        {
            "contact": {
                "company": "Pet Manager Inc.",
                "address1": "12 Harbor Road",
                "city": "Portland",
                "state": "OR",
                "zip": "97201",
                "country": "US",
            },
            "permission_reminder": "You signed up at one of our pet-care clinics.",
            "campaign_defaults": {
                "from_name": "Pet Manager",
                "from_email": "care@petmanager.example",
                "subject": "",
                "language": "en",
            },
            "email_type_option": False,
            "double_optin": True,
            "use_archive_bar": None,
            "notify_on_subscribe": None,
            "notify_on_unsubscribe": None,
            "marketing_permissions": None,
            "visibility": "prv",
        },
        ("Pet Customers",),
        _at(8, 3),
    )
    unset = {"required": None, "public": None, "default_value": None, "options": None,
             "help_text": None, "display_order": None}  # fmt: skip
    assert shapes[1:4] == [
        ("MergeField", f"{AUDIENCE}.merge_field[\"FNAME\"]",
         {**unset, "name": "First name", "type": None}, (), _at(27, 7)),
        ("MergeField", f"{AUDIENCE}.merge_field[\"CTYPE\"]",
         {**unset, "name": "Customer type", "type": "dropdown", "required": True,
          "options": {"choices": ["Dog owner", "Cat owner", "Breeder"]}},
         ("CUSTTYPE",), _at(28, 7)),
        ("MergeField", f"{AUDIENCE}.merge_field[\"VISITS\"]",
         {**unset, "name": "Clinic visits", "type": "number", "public": False}, (), _at(34, 7)),
    ]  # fmt: skip
    assert shapes[4:8] == [
        ("InterestCategory", str(NEWSLETTERS), {"type": "checkboxes", "display_order": None},
         (), _at(36, 7)),
        ("Interest", f"{NEWSLETTERS}.interest[\"Care tips\"]", {"display_order": 1}, (),
         _at(39, 13)),
        ("Interest", f"{NEWSLETTERS}.interest[\"Offers\"]", {"display_order": 2}, ("Deals",),
         _at(40, 13)),
        ("Interest", f"{NEWSLETTERS}.interest[\"Events\"]", {"display_order": 3}, (),
         _at(41, 13)),
    ]  # fmt: skip
    assert shapes[8:11] == [
        ("Tag", f'{AUDIENCE}.tag["Dog owner"]', {}, (), _at(43, 7)),
        ("Tag", f'{AUDIENCE}.tag["Cat owner"]', {}, (), _at(44, 7)),
        ("Tag", f'{AUDIENCE}.tag["Breeder"]', {}, ("Breeders",), _at(45, 7)),
    ]
    assert [(kind, address, source) for kind, address, _, _, source in shapes[11:]] == [
        ("SavedSegment", f'{AUDIENCE}.segment["Dog owners wanting tips"]', _at(47, 7)),
        ("SavedSegment", f'{AUDIENCE}.segment["Frequent visitors"]', _at(55, 7)),
    ]


def test_pet_care_segments_hold_canonical_conditions_with_names(load: Load) -> None:
    segments = [r for r in load(PET_CARE).desired if isinstance(r, SavedSegment)]

    assert [(s.key, s.match) for s in segments] == [
        ("Dog owners wanting tips", "all"),
        ("Frequent visitors", "any"),
    ]
    assert segments[0].conditions == (
        {
            "condition_type": "Interests",
            "field": {"interest_category": "Newsletters"},
            "op": "interestcontains",
            "value": [{"interest": "Care tips"}, {"interest": "Offers"}],
        },
        {"condition_type": "SelectMerge", "field": "CTYPE", "op": "is", "value": "Dog owner"},
        {
            "condition_type": "StaticSegment",
            "field": "static_segment",
            "op": "static_is",
            "value": {"tag": "Dog owner"},
        },
    )
    assert segments[1].conditions == (
        {"condition_type": "MemberRating", "field": "rating", "op": "greater", "value": 3},
        {"condition_type": "TextMerge", "field": "VISITS", "op": "greater", "value": "5"},
    )


def test_every_kind_of_resource_is_built(load: Load) -> None:
    kinds = [type(r) for r in load(PET_CARE).desired]

    for kind in (Audience, MergeField, InterestCategory, Interest, Tag, SavedSegment):
        assert kind in kinds


def test_data_center_comes_from_the_key(load: Load) -> None:
    provider = load(PET_CARE).provider

    assert isinstance(provider, MailchimpProvider)
    assert provider.base_url == "https://us21.api.mailchimp.com"
    assert provider.api_key is not None and provider.api_key.get_secret_value() == MC_KEY
    assert provider.credential_env == "MAILCHIMP_API_KEY"
    assert provider.max_connections == 10
    assert provider.sandbox is None


def test_base_url_and_max_connections_are_taken_as_given(load: Load) -> None:
    provider = load(
        HEAD + "  base_url: http://localhost:8025/\n  max_connections: 3\n",
        {"MAILCHIMP_API_KEY": "any-key-without-suffix_"},
    ).provider

    assert isinstance(provider, MailchimpProvider)
    assert provider.base_url == "http://localhost:8025"
    assert provider.max_connections == 3


def test_sandbox_needs_no_key(write: Write, workdir: Path) -> None:
    name = write("provider:\n  type: mailchimp\n  sandbox: .espform/mc.db\n", name="p/espform.yaml")

    provider = load_config(name, {}).provider

    assert isinstance(provider, MailchimpProvider)
    assert provider.sandbox == workdir / "p/.espform/mc.db"
    assert provider.api_key is None
    assert provider.base_url is None


def test_prune_maps_every_kind_to_its_singular(load: Load) -> None:
    config = load(
        HEAD + "settings:\n  prune: {audiences: true, merge_fields: true, "
        "interest_categories: true, interests: true, tags: true, segments: true}\n"
    )

    assert config.settings.prune == frozenset(
        {"audience", "merge_field", "interest_category", "interest", "tag", "segment"}
    )


def test_defaults_may_be_declared_and_used_without_a_type(load: Load) -> None:
    config = load(
        BASE
        + "    merge_fields:\n      BIRTHDAY:\n      ADDRESS: {name: Postal address}\n"
        + segment(
            "{condition_type: BirthdayMerge, field: BIRTHDAY, op: is, value: 12/25}",
            "{condition_type: AddressMerge, field: ADDRESS, op: contains, value: Portland}",
            "{condition_type: TextMerge, field: LNAME, op: blank}",
        )
    )

    fields = [(r.key, r.attributes()["type"]) for r in config.desired if isinstance(r, MergeField)]
    assert fields == [("BIRTHDAY", None), ("ADDRESS", None)]
    (saved,) = [r for r in config.desired if isinstance(r, SavedSegment)]
    assert saved.conditions is not None
    assert {c["condition_type"] for c in saved.conditions} == {
        "BirthdayMerge",
        "AddressMerge",
        "TextMerge",
    }


def test_a_default_renamed_away_is_no_longer_a_merge_tag(write: Write) -> None:
    name = write(
        BASE
        + "    merge_fields:\n      FIRST: {name: First name, type: text, renamed_from: FNAME}\n"
        + segment("{condition_type: TextMerge, field: FNAME, op: is, value: Ann}")
    )

    with pytest.raises(ConfigError) as caught:
        load_config(name, ENV)

    (issue,) = caught.value.issues
    assert "unknown merge tag 'FNAME'" in str(issue)


def test_ids_are_accepted_where_names_are_usual(load: Load) -> None:
    config = load(
        BASE
        + segment(
            "{condition_type: StaticSegment, op: static_not, value: 13506128}",
            "{condition_type: Interests, field: interests-0121a84f9a, op: interestcontains,"
            " value: [f4da55c9ed, 0a1b2c3d4e]}",
        )
    )

    (saved,) = [r for r in config.desired if isinstance(r, SavedSegment)]
    assert saved.conditions == (
        {
            "condition_type": "Interests",
            "field": "interests-0121a84f9a",
            "op": "interestcontains",
            "value": ["0a1b2c3d4e", "f4da55c9ed"],
        },
        {
            "condition_type": "StaticSegment",
            "field": "static_segment",
            "op": "static_not",
            "value": 13506128,
        },
    )


def test_document_model_generates_a_json_schema_with_descriptions() -> None:
    schema = MailchimpDocument.model_json_schema()

    assert schema["additionalProperties"] is False
    assert set(schema["properties"]) == {"provider", "settings", "audiences", "integrations"}
    assert all("description" in p for p in schema["properties"].values())
    for name, definition in schema["$defs"].items():
        for key, prop in definition.get("properties", {}).items():
            assert "description" in prop, f"{name}.{key}"
    merge_fields = schema["$defs"]["AudienceDocument"]["properties"]["merge_fields"]["anyOf"][0]
    assert list(merge_fields["patternProperties"]) == ["^[A-Z0-9_]+$"]
    assert merge_fields["propertyNames"]["maxLength"] == 10
