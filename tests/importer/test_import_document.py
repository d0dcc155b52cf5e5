"""The conversion from an observed State to config text, on hand-made States."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from typing import Any, ClassVar

import pytest
from pydantic import SecretStr

from reconciler.config import load_config
from reconciler.config.provider import ProviderConfig
from reconciler.engine import diff
from reconciler.importer import ImportRequest, import_account
from reconciler.importer.convert import Origin, build_document
from reconciler.importer.yaml_writer import write_yaml
from reconciler.model import (
    Address,
    Audience,
    Capabilities,
    Field,
    Group,
    Interest,
    InterestCategory,
    MergeField,
    SavedSegment,
    Segment,
    State,
    Tag,
)
from reconciler.providers.mailchimp import Mailchimp
from reconciler.providers.mailerlite import MailerLite

DAY = dt.date(2026, 8, 25)
ML_ENV = "MAILERLITE_API_KEY"
MC_ENV = "MAILCHIMP_API_KEY"


def origin(provider: str, **changes: Any) -> Origin:
    values: dict[str, Any] = {
        "provider": provider,
        "credential_env": ML_ENV if provider == "mailerlite" else MC_ENV,
        "base_url": None,
        "sandbox": None,
        "account": f"the {provider} account at example.test",
        "day": DAY,
    }
    values.update(changes)
    return Origin(**values)


def text_of(state: State, **changes: Any) -> str:
    return write_yaml(build_document(state, origin(state.provider, **changes)))


def plans_clean(text: str, state: State, tmp_path: Path) -> State:
    """Load the text as `espform plan` would; it must plan no changes against `state`."""
    path = tmp_path / "espform.yaml"
    path.write_text(text)
    env = ML_ENV if state.provider == "mailerlite" else MC_ENV
    config = load_config(path, environ={env: "key-us1"})
    capabilities: Capabilities = (
        MailerLite.capabilities if state.provider == "mailerlite" else Mailchimp.capabilities
    )
    plan = diff(config.desired, state, config.settings, capabilities)
    assert not plan.changes, plan.changes
    return config.desired


def ml(*resources: Any) -> State:
    return State("mailerlite", list(resources))


def group(name: str) -> Group:
    return Group(address=Address.of("mailerlite", "group", name), id=name)


def field(key: str, name: str, kind: str = "text", builtin: bool = False) -> Field:
    address = Address.of("mailerlite", "field", key)
    return Field(address=address, id=key, name=name, type=kind, builtin=builtin)


# --- the file's frame ----------------------------------------------------------------------


def test_header_provider_and_settings() -> None:
    text = text_of(ml(group("Partners")))
    lines = text.splitlines()
    assert lines[0] == "# yaml-language-server: $schema=./espform.schema.json"
    assert "# `espform schema > espform.schema.json`." in lines
    header = " ".join(line.lstrip("# ") for line in lines if line.startswith("#"))
    assert "from the mailerlite account at example.test on 2026-08-25:" in header
    assert "# 1 group." in lines
    assert "provider:\n  type: mailerlite\n  token: ${env:MAILERLITE_API_KEY}\n" in text
    assert (
        "settings:\n  prune:\n    fields: false\n    groups: false\n    segments: false\n" in text
    )


def test_sandbox_and_base_url_are_recorded() -> None:
    text = text_of(ml(), sandbox="../sb.db")
    assert "  sandbox: ../sb.db\n  # token: ${env:MAILERLITE_API_KEY}" in text
    text = text_of(ml(), base_url="http://127.0.0.1:8025")
    assert "  token: ${env:MAILERLITE_API_KEY}\n  base_url: http://127.0.0.1:8025\n" in text


def test_the_key_is_never_written(tmp_path: Path) -> None:
    class Fake:
        name: ClassVar[str] = "mailerlite"
        capabilities = MailerLite.capabilities
        request_count = 3
        seen: ClassVar[list[ProviderConfig]] = []

        async def read(self) -> State:
            return ml(group("Partners"))

        async def aclose(self) -> None:
            return None

    def factory(config: ProviderConfig) -> Any:
        Fake.seen.append(config)
        return Fake()

    secret = "sk-live-do-not-print"
    request = ImportRequest("mailerlite", SecretStr(secret), ML_ENV, day=DAY)
    result = asyncio.run(import_account(request, factory))
    assert secret not in result.text
    assert "token: ${env:MAILERLITE_API_KEY}" in result.text
    # It did reach the provider, which needs it.
    assert Fake.seen[0].token is not None and Fake.seen[0].token.get_secret_value() == secret


# --- MailerLite ----------------------------------------------------------------------------

AWKWARD = ["yes", "Off", "1", "null", "a: b", "#x", "- x", "? q", "it's", "${env:HOME}", "日本"]


def test_names_yaml_would_misread_are_quoted_and_read_back(tmp_path: Path) -> None:
    state = ml(*(group(n) for n in AWKWARD), field("k", "yes"), field("j", "${x} and $${y}"))
    text = text_of(state)
    assert "  'yes': {}\n" in text
    assert "  'Off': {}\n" in text
    assert "  '1': {}\n" in text
    assert "  'null': {}\n" in text
    assert "  'a: b': {}\n" in text
    assert "  k: {type: text, name: 'yes'}\n" in text
    # `${` in a value would be read as a reference: it is written `$${`.
    assert "name: '$${x} and $$${y}'" in text
    desired = plans_clean(text, state, tmp_path)
    assert {r.key for r in desired if r.kind == "group"} == set(AWKWARD)
    assert {getattr(r, "name", None) for r in desired if r.kind == "field"} == {
        "yes",
        "${x} and $${y}",
    }


def test_control_characters_are_escaped(tmp_path: Path) -> None:
    names = ["tab\there", "line\u2028break", "bell\x07", "cr\rlf"]
    state = ml(*(group(n) for n in names))
    text = text_of(state)
    assert '  "tab\\there": {}\n' in text
    assert '"line\\Lbreak"' in text
    desired = plans_clean(text, state, tmp_path)
    assert {r.key for r in desired} == set(names)


def test_builtin_fields_only_when_relabelled(tmp_path: Path) -> None:
    state = ml(
        field("name", "Name", builtin=True),
        field("country", "Land", builtin=True),
        field("z_i_p", "ZIP", builtin=True),
        field("total_sales", "Total sales", "number"),
    )
    text = text_of(state)
    assert "  name:" not in text
    assert "z_i_p" not in text
    assert "  # built-in field, relabelled (MailerLite's default label is 'Country')\n" in text
    assert "  country: {name: Land}\n" in text
    assert "  total_sales: {type: number, name: Total sales}\n" in text
    plans_clean(text, state, tmp_path)


def test_what_the_config_cannot_hold_is_commented_out(tmp_path: Path) -> None:
    state = ml(
        group("Dup"),
        group("Dup"),
        group("x" * 256),
        field("Bad-Key", "Bad key"),
        field("a", "Same"),
        field("b", "Same"),
        Segment(address=Address.of("mailerlite", "segment", "Engaged"), id="9"),
    )
    document = build_document(state, origin("mailerlite"))
    left_out = {e.address: e.note for e in document.objects() if not e.active}
    assert "2 groups have this name" in left_out['mailerlite.group["Dup"]']
    assert "longer than 255 characters" in left_out[f'mailerlite.group["{"x" * 256}"]']
    assert "key 'Bad-Key'" in left_out['mailerlite.field["Bad-Key"]']
    assert "unique field names" in left_out['mailerlite.field["a"]']
    assert "unique field names" in left_out['mailerlite.field["b"]']
    text = write_yaml(document)
    assert "  # espform: 2 groups have this name in the account" in text
    assert "  # Dup: {}\n" in text
    assert "  # Bad-Key: {type: text, name: Bad key}\n" in text
    assert "  Engaged: {}\n" in text
    desired = plans_clean(text, state, tmp_path)
    assert {str(r.address) for r in desired} == {'mailerlite.segment["Engaged"]'}


# --- Mailchimp -----------------------------------------------------------------------------

SHOP = Address.of("mailchimp", "audience", "Shop")
CONTACT = {
    "company": "Pet Care",
    "address1": "1 High St",
    "address2": "",
    "city": "Leeds",
    "state": "",
    "zip": "LS1",
    "country": "GB",
    "phone": "",
    "extra_key_from_the_api": "ignored",
}


def audience(**changes: Any) -> Audience:
    values: dict[str, Any] = {
        "contact": CONTACT,
        "permission_reminder": "You signed up.",
        "campaign_defaults": {
            "from_name": "Pet Care",
            "from_email": "news@pets.example",
            "subject": "",
            "language": "en",
        },
        "email_type_option": False,
        "double_optin": True,
        "use_archive_bar": False,
        "notify_on_subscribe": "",
        "notify_on_unsubscribe": "not-an-email",
        "marketing_permissions": False,
        "visibility": "pub",
    }
    values.update(changes)
    return Audience(address=SHOP, id="a1", **values)


def merge_field(tag: str, name: str, kind: str, order: int, **changes: Any) -> MergeField:
    values: dict[str, Any] = {
        "required": False,
        "public": True,
        "default_value": "",
        "help_text": "",
        "options": {"size": 25} if kind == "text" else {},
    }
    values.update(changes)
    return MergeField(
        address=SHOP.child("merge_field", tag),
        id=tag,
        name=name,
        type=kind,
        display_order=order,
        builtin=tag in ("FNAME", "LNAME", "ADDRESS", "PHONE", "BIRTHDAY"),
        **values,
    )


def pets() -> list[Any]:
    category = SHOP.child("interest_category", "Newsletters")
    return [
        InterestCategory(address=category, id="c1", type="checkboxes", display_order=1),
        # Listed out of order: the file follows display_order.
        Interest(address=category.child("interest", "Offers"), id="i2", display_order=2),
        Interest(address=category.child("interest", "yes"), id="i1", display_order=1),
    ]


def test_an_audience_with_its_settings_contents_and_segments(tmp_path: Path) -> None:
    tag = Tag(address=SHOP.child("tag", "Dog: owner"), id="7")
    segment = SavedSegment(
        address=SHOP.child("segment", "Dog owners who want tips"),
        id="8",
        match="all",
        conditions=(
            {"condition_type": "Interests", "field": {"interest_category": "Newsletters"},
             "op": "interestcontains", "value": [{"interest": "Offers"}, {"interest": "yes"}]},
            {"condition_type": "StaticSegment", "field": "static_segment", "op": "static_is",
             "value": {"tag": "Dog: owner"}},
            {"condition_type": "TextMerge", "field": "LNAME", "op": "blank"},
        ),
    )  # fmt: skip
    state = State(
        "mailchimp",
        [
            audience(),
            merge_field("FNAME", "First Name", "text", 2),
            merge_field("LNAME", "Surname", "text", 3),
            merge_field("CTYPE", "Customer type", "dropdown", 7, options={"choices": ["Dog", "1"]}),
            merge_field("SCORE", "Score", "number", 0),
            *pets(),
            tag,
            segment,
        ],
    )
    document = build_document(state, origin("mailchimp"))
    text = write_yaml(document)
    # Unchanged default fields are left out; a changed one is written, with a comment.
    assert "FNAME" not in text
    assert "      # a default field, changed since Mailchimp made it\n      LNAME:\n" in text
    assert "        options: {choices: [Dog, '1']}\n" in text
    assert "    notify_on_unsubscribe" not in text
    assert "# espform: notify_on_unsubscribe is left out" in text
    assert "# espform: display_order is left out" in text
    assert "extra_key_from_the_api" not in text
    assert "        interests:\n          - 'yes'\n          - Offers\n" in text
    assert "      'Dog: owner': {}\n" in text
    assert (
        "          - {condition_type: Interests, field: Newsletters, op: interestcontains, "
        "value: [Offers, 'yes']}\n"
    ) in text
    assert (
        "          - {condition_type: StaticSegment, field: static_segment, op: static_is, "
        "value: 'Dog: owner'}\n"
    ) in text
    desired = plans_clean(text, state, tmp_path)
    assert len([r for r in desired if r.kind == "segment"]) == 1


def test_interest_display_orders_the_config_cannot_state(tmp_path: Path) -> None:
    category = SHOP.child("interest_category", "Pets")
    state = State(
        "mailchimp",
        [
            audience(),
            InterestCategory(address=category, id="c", type="radio", display_order=1),
            Interest(address=category.child("interest", "Dog"), id="d", display_order=1),
            Interest(address=category.child("interest", "Cat"), id="c", display_order=3),
            SavedSegment(
                address=SHOP.child("segment", "Dogs"),
                id="s",
                match="any",
                conditions=(
                    {
                        "condition_type": "Interests",
                        "field": {"interest_category": "Pets"},
                        "op": "interestcontains",
                        "value": [{"interest": "Dog"}],
                    },
                ),
            ),
        ],
    )
    document = build_document(state, origin("mailchimp"))
    notes = {e.address: e.note for e in document.objects() if not e.active}
    assert "display orders 1, 3" in notes[str(category)]
    assert (
        "interest category 'Pets', which is not declared"
        in notes[str(SHOP.child("segment", "Dogs"))]
    )
    plans_clean(write_yaml(document), state, tmp_path)


def test_a_condition_the_rules_miss_is_caught_by_the_final_check(tmp_path: Path) -> None:
    """A TextMerge on a date field: Mailchimp may hold it, the config refuses it."""

    class Fake:
        name: ClassVar[str] = "mailchimp"
        capabilities = Mailchimp.capabilities
        request_count = 1

        async def read(self) -> State:
            return State(
                "mailchimp",
                [
                    audience(),
                    merge_field("SINCE", "Since", "date", 7, options={"date_format": "MM/DD/YYYY"}),
                    SavedSegment(
                        address=SHOP.child("segment", "Recent"),
                        id="s",
                        match="any",
                        conditions=(
                            {
                                "condition_type": "TextMerge",
                                "field": "SINCE",
                                "op": "is",
                                "value": "x",
                            },
                        ),
                    ),
                ],
            )

        async def aclose(self) -> None:
            return None

    request = ImportRequest("mailchimp", SecretStr("k-us1"), MC_ENV, day=DAY)
    result = asyncio.run(import_account(request, lambda config: Fake()))
    (late,) = result.left_out
    assert late.late
    assert late.address == str(SHOP.child("segment", "Recent"))
    assert "TextMerge needs a text" in late.reason
    assert "  # espform: " in result.text
    assert "      SINCE:\n" in result.text


@pytest.mark.parametrize("tag", ["VIP", "vip"])
def test_tags_differing_only_by_case_are_both_commented_out(tag: str, tmp_path: Path) -> None:
    state = State(
        "mailchimp",
        [
            audience(),
            Tag(address=SHOP.child("tag", "VIP"), id="1"),
            Tag(address=SHOP.child("tag", "vip"), id="2"),
        ],
    )
    document = build_document(state, origin("mailchimp"))
    notes = {e.address: e.note for e in document.objects() if not e.active}
    assert "without regard to case" in notes[str(SHOP.child("tag", tag))]
    plans_clean(write_yaml(document), state, tmp_path)
