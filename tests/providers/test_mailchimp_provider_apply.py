"""Mailchimp apply: the exact request of each action, ids across one apply, stopping."""

from __future__ import annotations

from typing import Any

import respx
from test_mailchimp_provider_support import (
    AUDIENCE,
    BASE,
    CATEGORY,
    PETS,
    PETS_AT_HOME,
    apply,
    create,
    delete,
    fixture,
    modify,
    replace,
    sent,
)

from reconciler.model import (
    Address,
    Audience,
    Interest,
    InterestCategory,
    MergeField,
    SavedSegment,
    Tag,
)

LISTS = f"/3.0/lists/{PETS}"
NEW_LIST = "c3d4e5f6a7"
CONTACT = {
    "company": "Pawsitive Vets Ltd",
    "address1": "12 Kennel Road",
    "address2": "",
    "city": "Bristol",
    "state": "",
    "zip": "BS1 4DJ",
    "country": "GB",
    "phone": "",
}
DEFAULTS = {
    "from_name": "Pawsitive Vets",
    "from_email": "hello@pawsitive.example",
    "subject": "",
    "language": "en",
}
REMINDER = "You booked a visit with Pawsitive Vets."
FOSTER = AUDIENCE.renamed("Foster Families")


def pets(**settings: Any) -> Audience:
    values: dict[str, Any] = {
        "contact": CONTACT,
        "permission_reminder": REMINDER,
        "campaign_defaults": DEFAULTS,
        "email_type_option": False,
        "double_optin": True,
        **settings,
    }
    return Audience(address=AUDIENCE, id=PETS, **values)


def foster() -> Audience:
    return Audience(
        address=FOSTER,
        contact=CONTACT,
        permission_reminder="You offered to foster a pet.",
        campaign_defaults=DEFAULTS,
        email_type_option=False,
    )


# --- create ---------------------------------------------------------------------------------


def test_create_audience_posts_every_declared_setting() -> None:
    result, reported, requests = apply(
        [create(foster())],
        lambda m: m.post(f"{BASE}/3.0/lists").respond(200, json=fixture("list-created")),
    )
    assert [sent(r) for r in requests] == [
        (
            "POST",
            "/3.0/lists",
            {
                "name": "Foster Families",
                "contact": CONTACT,
                "permission_reminder": "You offered to foster a pet.",
                "campaign_defaults": DEFAULTS,
                "email_type_option": False,
            },
        ),
        # Audience names are not unique: a concurrent apply's copy is looked for.
        ("GET", "/3.0/lists", None),
    ]
    (outcome,) = result.outcomes
    assert outcome.ok and outcome.result is not None
    assert (outcome.result.id, outcome.result.address) == (NEW_LIST, FOSTER)
    assert reported == result.outcomes


def test_an_audience_without_its_required_settings_is_not_sent() -> None:
    incomplete = Audience(address=FOSTER, permission_reminder="You offered to foster a pet.")
    result, _, requests = apply([create(incomplete)], lambda m: None)
    assert requests == []
    error = result.outcomes[0].error
    assert "contact, campaign_defaults, email_type_option" in error
    assert str(FOSTER) in error


def test_create_merge_field_posts_tag_name_type_and_options() -> None:
    field = MergeField(
        address=AUDIENCE.child("merge_field", "MICROCHIP"),
        name="Microchip number",
        type="text",
        public=False,
        help_text="15 digits",
    )
    result, _, requests = apply(
        [create(field)],
        lambda m: m.post(f"{BASE}{LISTS}/merge-fields").respond(
            200, json=fixture("merge-field-created")
        ),
    )
    assert [sent(r) for r in requests] == [
        (
            "POST",
            f"{LISTS}/merge-fields",
            {
                "tag": "MICROCHIP",
                "name": "Microchip number",
                "type": "text",
                "public": False,
                "help_text": "15 digits",
            },
        )
    ]
    outcome = result.outcomes[0]
    assert outcome.result is not None and outcome.result.id == "12"
    assert outcome.warning == ""


def test_a_merge_tag_stored_differently_is_reported() -> None:
    field = MergeField(
        address=AUDIENCE.child("merge_field", "MICROCHIPNO"), name="Microchip", type="text"
    )
    result, _, _ = apply(
        [create(field)],
        lambda m: m.post(f"{BASE}{LISTS}/merge-fields").respond(
            200, json=fixture("merge-field-created-short-tag")
        ),
    )
    outcome = result.outcomes[0]
    assert outcome.ok and outcome.result is not None
    assert outcome.result.key == "MICROCHIPN"
    assert '"MICROCHIPN"' in outcome.warning and "MICROCHIPNO" in outcome.warning


def test_create_category_and_interest_under_existing_parents() -> None:
    category = InterestCategory(
        address=AUDIENCE.child("interest_category", "Services"), type="checkboxes"
    )
    interest = Interest(address=CATEGORY.child("interest", "Hamster"), display_order=4)

    def routes(m: respx.MockRouter) -> None:
        m.post(f"{BASE}{LISTS}/interest-categories").respond(200, json=fixture("category-created"))
        m.post(f"{BASE}{LISTS}/interest-categories/{PETS_AT_HOME}/interests").respond(
            200, json=fixture("interest-created")
        )

    result, _, requests = apply([create(category), create(interest)], routes)
    assert [sent(r) for r in requests] == [
        ("POST", f"{LISTS}/interest-categories", {"title": "Services", "type": "checkboxes"}),
        (
            "POST",
            f"{LISTS}/interest-categories/{PETS_AT_HOME}/interests",
            {"name": "Hamster", "display_order": 4},
        ),
    ]
    assert result.ok
    assert [o.result.id for o in result.outcomes if o.result] == ["e9d8c7b6a5", "d4c3b2a190"]


def test_create_tag_is_an_empty_static_segment() -> None:
    _, _, requests = apply(
        [create(Tag(address=AUDIENCE.child("tag", "Foster carer")))],
        lambda m: m.post(f"{BASE}{LISTS}/segments").respond(200, json=fixture("tag-created")),
    )
    assert [sent(r) for r in requests] == [
        ("POST", f"{LISTS}/segments", {"name": "Foster carer", "static_segment": []})
    ]


def vip_cats(audience: str = "Pet Care Club", tag: str = "VIP") -> SavedSegment:
    return SavedSegment(
        address=AUDIENCE.renamed(audience).child("segment", "VIP cats"),
        match="all",
        conditions=(
            {
                "condition_type": "Interests",
                "field": {"interest_category": "Pets at home"},
                "op": "interestcontainsall",
                "value": [{"interest": "Cat"}, {"interest": "Rabbit"}],
            },
            {
                "condition_type": "StaticSegment",
                "field": "static_segment",
                "op": "static_is",
                "value": {"tag": tag},
            },
            {"condition_type": "TextMerge", "field": "PETNAME", "op": "is", "value": "Tom"},
        ),
    )


def test_create_saved_segment_resolves_names_to_ids() -> None:
    _, _, requests = apply(
        [create(vip_cats())],
        lambda m: m.post(f"{BASE}{LISTS}/segments").respond(200, json=fixture("segment-created")),
    )
    assert [sent(r) for r in requests] == [
        (
            "POST",
            f"{LISTS}/segments",
            {
                "name": "VIP cats",
                "options": {
                    "match": "all",
                    "conditions": [
                        {
                            "condition_type": "Interests",
                            "field": f"interests-{PETS_AT_HOME}",
                            "op": "interestcontainsall",
                            "value": ["1a2b3c4d5e", "5e4d3c2b1a"],
                        },
                        {
                            "condition_type": "StaticSegment",
                            "field": "static_segment",
                            "op": "static_is",
                            "value": 30101,
                        },
                        {
                            "condition_type": "TextMerge",
                            "field": "PETNAME",
                            "op": "is",
                            "value": "Tom",
                        },
                    ],
                },
            },
        )
    ]


def test_a_segment_naming_an_unknown_tag_fails_without_a_request() -> None:
    result, _, requests = apply([create(vip_cats(tag="Platinum"))], lambda m: None)
    assert requests == []
    assert 'tag "Platinum"' in result.outcomes[0].error


def test_children_of_a_new_audience_and_a_new_tag_use_their_new_ids() -> None:
    new_category = FOSTER.child("interest_category", "Services")
    changes = [
        create(foster()),
        create(MergeField(address=FOSTER.child("merge_field", "MICROCHIP"), type="text")),
        create(InterestCategory(address=new_category, type="checkboxes")),
        create(Interest(address=new_category.child("interest", "Grooming"))),
        create(Tag(address=FOSTER.child("tag", "Foster carer"))),
        create(
            SavedSegment(
                address=FOSTER.child("segment", "Carers"),
                match="any",
                conditions=(
                    {
                        "condition_type": "StaticSegment",
                        "field": "static_segment",
                        "op": "static_is",
                        "value": {"tag": "Foster carer"},
                    },
                    {
                        "condition_type": "Interests",
                        "field": {"interest_category": "Services"},
                        "op": "interestcontains",
                        "value": [{"interest": "Grooming"}],
                    },
                ),
            )
        ),
    ]
    new = f"{BASE}/3.0/lists/{NEW_LIST}"

    def routes(m: respx.MockRouter) -> None:
        m.post(f"{BASE}/3.0/lists").respond(200, json=fixture("list-created"))
        m.post(f"{new}/merge-fields").respond(200, json=fixture("merge-field-created"))
        m.post(f"{new}/interest-categories").respond(200, json=fixture("category-created"))
        m.post(f"{new}/interest-categories/e9d8c7b6a5/interests").respond(
            200, json=fixture("interest-created")
        )
        m.post(f"{new}/segments", json__name="Foster carer").respond(
            200, json=fixture("tag-created")
        )
        m.post(f"{new}/segments", json__name="Carers").respond(200, json=fixture("segment-created"))

    result, _, requests = apply(changes, routes)
    assert result.ok, result.failed
    assert [sent(r)[:2] for r in requests] == [
        ("POST", "/3.0/lists"),
        ("POST", f"/3.0/lists/{NEW_LIST}/merge-fields"),
        ("POST", f"/3.0/lists/{NEW_LIST}/interest-categories"),
        ("POST", f"/3.0/lists/{NEW_LIST}/interest-categories/e9d8c7b6a5/interests"),
        ("POST", f"/3.0/lists/{NEW_LIST}/segments"),
        ("POST", f"/3.0/lists/{NEW_LIST}/segments"),
        ("GET", "/3.0/lists"),  # the look for a concurrent apply's copy of the audience
    ]
    conditions = sent(requests[-2])[2]["options"]["conditions"]
    assert conditions[0]["value"] == 30110
    assert conditions[1]["field"] == "interests-e9d8c7b6a5"
    assert conditions[1]["value"] == ["d4c3b2a190"]


def test_a_declared_default_field_on_a_new_audience_is_patched_not_created() -> None:
    new = f"{BASE}/3.0/lists/{NEW_LIST}"
    changes = [
        create(foster()),
        create(MergeField(address=FOSTER.child("merge_field", "FNAME"), name="Given name")),
    ]

    def routes(m: respx.MockRouter) -> None:
        m.post(f"{BASE}/3.0/lists").respond(200, json=fixture("list-created"))
        m.get(f"{new}/merge-fields").respond(
            200, json={"merge_fields": [{"merge_id": 1, "tag": "FNAME"}], "total_items": 1}
        )
        m.patch(f"{new}/merge-fields/1").respond(
            200, json={**fixture("merge-field-created"), "merge_id": 1, "tag": "FNAME"}
        )

    result, _, requests = apply(changes, routes)
    assert result.ok, result.failed
    assert [sent(r)[:2] for r in requests] == [
        ("POST", "/3.0/lists"),
        ("GET", f"/3.0/lists/{NEW_LIST}/merge-fields"),
        ("PATCH", f"/3.0/lists/{NEW_LIST}/merge-fields/1"),
        ("GET", "/3.0/lists"),  # the look for a concurrent apply's copy of the audience
    ]
    assert sent(requests[-2])[2]["name"] == "Given name"


def test_failing_to_read_a_new_audiences_defaults_stops_and_says_it_was_created() -> None:
    new = f"{BASE}/3.0/lists/{NEW_LIST}"
    changes = [
        create(foster()),
        create(MergeField(address=FOSTER.child("merge_field", "FNAME"), name="Given name")),
    ]

    def routes(m: respx.MockRouter) -> None:
        m.post(f"{BASE}/3.0/lists").respond(200, json=fixture("list-created"))
        m.get(f"{new}/merge-fields").respond(
            400, json={"title": "Invalid Resource", "status": 400, "detail": "nope"}
        )

    result, _, requests = apply(changes, routes)
    assert not result.ok
    (outcome,) = result.outcomes
    assert "was created" in outcome.error and "Run plan again" in outcome.error
    assert len(requests) == 2


# --- rename and update --------------------------------------------------------------------


def test_rename_audience_patches_the_old_id_with_what_patch_requires() -> None:
    before = pets()
    after = Audience(address=AUDIENCE.renamed("Pet Care Members"), double_optin=False)
    result, _, requests = apply(
        [modify(before, after, "double_optin")],
        lambda m: m.patch(f"{BASE}{LISTS}").respond(
            200, json={**fixture("lists")["lists"][0], "name": "Pet Care Members"}
        ),
    )
    assert [sent(r) for r in requests] == [
        (
            "PATCH",
            LISTS,
            {
                "name": "Pet Care Members",
                "contact": CONTACT,
                "permission_reminder": REMINDER,
                "campaign_defaults": DEFAULTS,
                "email_type_option": False,
                "double_optin": False,
            },
        )
    ]
    outcome = result.outcomes[0]
    assert outcome.result is not None and outcome.result.id == PETS
    assert outcome.result.key == "Pet Care Members"


def test_update_audience_merges_a_partial_contact_over_the_read_one() -> None:
    after = Audience(address=AUDIENCE, contact={"city": "Bath"})
    _, _, requests = apply(
        [modify(pets(), after, "contact")],
        lambda m: m.patch(f"{BASE}{LISTS}").respond(200, json=fixture("lists")["lists"][0]),
    )
    body = sent(requests[0])[2]
    assert body["contact"] == {**CONTACT, "city": "Bath"}
    assert set(body) == {
        "name",
        "contact",
        "permission_reminder",
        "campaign_defaults",
        "email_type_option",
    }


def pet_type(**attributes: Any) -> MergeField:
    values: dict[str, Any] = {
        "name": "Pet type",
        "type": "dropdown",
        "options": {"choices": ["Dog", "Cat", "Rabbit", "Other"]},
        **attributes,
    }
    return MergeField(
        address=AUDIENCE.child("merge_field", str(values.pop("tag", "PETTYPE"))),
        id="7",
        **values,
    )


def test_rename_merge_field_patches_its_tag_at_the_same_id() -> None:
    after = MergeField(address=AUDIENCE.child("merge_field", "ANIMAL"), renamed_from=("PETTYPE",))
    result, _, requests = apply(
        [modify(pet_type(), after)],
        lambda m: m.patch(f"{BASE}{LISTS}/merge-fields/7").respond(
            200, json={**fixture("merge-fields-pets")["merge_fields"][6], "tag": "ANIMAL"}
        ),
    )
    assert [sent(r) for r in requests] == [
        ("PATCH", f"{LISTS}/merge-fields/7", {"tag": "ANIMAL", "name": "Pet type"})
    ]
    outcome = result.outcomes[0]
    assert outcome.ok and outcome.warning == ""
    assert outcome.result is not None and (outcome.result.id, outcome.result.key) == (
        "7",
        "ANIMAL",
    )


def test_update_merge_field_options_leaves_out_read_only_size() -> None:
    before = pet_type(options={"choices": ["Dog", "Cat"], "size": 25})
    after = MergeField(address=before.address, options={"choices": ["Dog", "Cat", "Parrot"]})
    _, _, requests = apply(
        [modify(before, after, "options")],
        lambda m: m.patch(f"{BASE}{LISTS}/merge-fields/7").respond(
            200, json=fixture("merge-fields-pets")["merge_fields"][6]
        ),
    )
    assert [sent(r) for r in requests] == [
        (
            "PATCH",
            f"{LISTS}/merge-fields/7",
            {"name": "Pet type", "options": {"choices": ["Dog", "Cat", "Parrot"]}},
        )
    ]


def test_renames_of_category_interest_tag_and_segment_patch_their_ids() -> None:
    category = InterestCategory(address=CATEGORY, id=PETS_AT_HOME, type="checkboxes")
    interest = Interest(address=CATEGORY.child("interest", "Rabbit"), id="5e4d3c2b1a")
    tag = Tag(address=AUDIENCE.child("tag", "VIP"), id="30101")
    segment = SavedSegment(address=AUDIENCE.child("segment", "VIP dog owners"), id="30103")
    renamed_category = AUDIENCE.child("interest_category", "Animals")
    changes = [
        modify(category, InterestCategory(address=renamed_category)),
        modify(interest, Interest(address=renamed_category.child("interest", "Bunny"))),
        modify(tag, Tag(address=AUDIENCE.child("tag", "Gold"))),
        modify(segment, SavedSegment(address=AUDIENCE.child("segment", "Gold dog owners"))),
    ]

    def routes(m: respx.MockRouter) -> None:
        m.patch(f"{BASE}{LISTS}/interest-categories/{PETS_AT_HOME}").respond(200, json={})
        m.patch(f"{BASE}{LISTS}/interest-categories/{PETS_AT_HOME}/interests/5e4d3c2b1a").respond(
            200, json={}
        )
        m.patch(f"{BASE}{LISTS}/segments/30101").respond(200, json={})
        m.patch(f"{BASE}{LISTS}/segments/30103").respond(200, json={})

    result, _, requests = apply(changes, routes)
    assert result.ok, result.failed
    assert [sent(r) for r in requests] == [
        (
            "PATCH",
            f"{LISTS}/interest-categories/{PETS_AT_HOME}",
            {"title": "Animals", "type": "checkboxes"},
        ),
        (
            "PATCH",
            f"{LISTS}/interest-categories/{PETS_AT_HOME}/interests/5e4d3c2b1a",
            {"name": "Bunny"},
        ),
        # Never `static_segment` here: that would empty the tag.
        ("PATCH", f"{LISTS}/segments/30101", {"name": "Gold"}),
        ("PATCH", f"{LISTS}/segments/30103", {"name": "Gold dog owners"}),
    ]
    assert [o.result.id for o in result.outcomes if o.result] == [
        PETS_AT_HOME,
        "5e4d3c2b1a",
        "30101",
        "30103",
    ]


def test_update_segment_sends_the_whole_options() -> None:
    before = vip_cats()
    after = SavedSegment(address=before.address, match="any")
    before = SavedSegment(
        address=before.address, id="30103", match="all", conditions=before.conditions
    )
    _, _, requests = apply(
        [modify(before, after, "match")],
        lambda m: m.patch(f"{BASE}{LISTS}/segments/30103").respond(200, json={}),
    )
    body = sent(requests[0])[2]
    assert body["name"] == "VIP cats"
    assert body["options"]["match"] == "any"
    assert [c["condition_type"] for c in body["options"]["conditions"]] == [
        "Interests",
        "StaticSegment",
        "TextMerge",
    ]
    assert body["options"]["conditions"][1]["value"] == 30101


def test_a_child_created_after_its_audience_is_renamed_uses_the_same_id() -> None:
    renamed = AUDIENCE.renamed("Pet Care Members")
    changes = [
        modify(pets(), Audience(address=renamed)),
        create(MergeField(address=renamed.child("merge_field", "MICROCHIP"), type="text")),
    ]

    def routes(m: respx.MockRouter) -> None:
        m.patch(f"{BASE}{LISTS}").respond(200, json={})
        m.post(f"{BASE}{LISTS}/merge-fields").respond(200, json=fixture("merge-field-created"))

    result, _, requests = apply(changes, routes)
    assert result.ok, result.failed
    assert [sent(r)[:2] for r in requests] == [
        ("PATCH", LISTS),
        ("POST", f"{LISTS}/merge-fields"),
    ]


# --- replace and delete -------------------------------------------------------------------


def test_replace_merge_field_deletes_then_creates() -> None:
    before = MergeField(address=AUDIENCE.child("merge_field", "VISITS"), id="9", type="number")
    after = MergeField(address=before.address, name="Visits", type="text")

    def routes(m: respx.MockRouter) -> None:
        m.delete(f"{BASE}{LISTS}/merge-fields/9").respond(204)
        m.post(f"{BASE}{LISTS}/merge-fields").respond(
            200, json={**fixture("merge-field-created"), "tag": "VISITS", "merge_id": 14}
        )

    result, _, requests = apply([replace(before, after)], routes)
    assert [sent(r) for r in requests] == [
        ("DELETE", f"{LISTS}/merge-fields/9", None),
        ("POST", f"{LISTS}/merge-fields", {"tag": "VISITS", "name": "Visits", "type": "text"}),
    ]
    assert result.ok and result.outcomes[0].result is not None
    assert result.outcomes[0].result.id == "14"


def test_replace_whose_create_fails_says_the_field_is_gone() -> None:
    before = MergeField(address=AUDIENCE.child("merge_field", "VISITS"), id="9", type="number")
    after = MergeField(address=before.address, type="dropdown")

    def routes(m: respx.MockRouter) -> None:
        m.delete(f"{BASE}{LISTS}/merge-fields/9").respond(204)
        m.post(f"{BASE}{LISTS}/merge-fields").respond(
            400,
            json=fixture("error-400-merge-field"),
            headers={"content-type": "application/problem+json; charset=utf-8"},
        )

    result, _, _ = apply([replace(before, after)], routes)
    error = result.outcomes[0].error
    assert "was deleted but could not be created again" in error
    assert "options.choices: Please provide at least one choice." in error


def test_deletes_go_to_each_kind_of_object() -> None:
    changes = [
        delete(SavedSegment(address=AUDIENCE.child("segment", "VIP dog owners"), id="30103")),
        delete(Tag(address=AUDIENCE.child("tag", "Adopted 2024"), id="30102")),
        delete(Interest(address=CATEGORY.child("interest", "Rabbit"), id="5e4d3c2b1a")),
        delete(InterestCategory(address=CATEGORY, id=PETS_AT_HOME)),
        delete(MergeField(address=AUDIENCE.child("merge_field", "VISITS"), id="9")),
        delete(Audience(address=AUDIENCE.renamed("Partner News"), id="4d19a0e6c3")),
    ]

    def routes(m: respx.MockRouter) -> None:
        m.delete(url__regex=r".*").respond(204)

    result, reported, requests = apply(changes, routes)
    assert result.ok and len(reported) == 6
    assert [sent(r) for r in requests] == [
        ("DELETE", f"{LISTS}/segments/30103", None),
        ("DELETE", f"{LISTS}/segments/30102", None),
        ("DELETE", f"{LISTS}/interest-categories/{PETS_AT_HOME}/interests/5e4d3c2b1a", None),
        ("DELETE", f"{LISTS}/interest-categories/{PETS_AT_HOME}", None),
        ("DELETE", f"{LISTS}/merge-fields/9", None),
        ("DELETE", "/3.0/lists/4d19a0e6c3", None),
    ]
    assert all(o.result is None for o in result.outcomes)


# --- stopping and ids ---------------------------------------------------------------------


def test_a_vanished_object_stops_the_apply_with_advice() -> None:
    changes = [
        delete(Tag(address=AUDIENCE.child("tag", "Adopted 2024"), id="30102")),
        delete(Tag(address=AUDIENCE.child("tag", "VIP"), id="30101")),
    ]
    result, reported, requests = apply(
        changes,
        lambda m: m.delete(f"{BASE}{LISTS}/segments/30102").respond(404, json=fixture("error-404")),
    )
    assert len(requests) == 1
    (outcome,) = result.outcomes
    assert reported == [outcome] and not outcome.ok
    assert "since the plan was made" in outcome.error and "espform plan" in outcome.error
    assert "Resource Not Found" in outcome.error


def test_apply_without_a_read_reads_once_for_the_ids() -> None:
    field = MergeField(address=AUDIENCE.child("merge_field", "MICROCHIP"), type="text")
    result, _, requests = apply(
        [create(field)],
        lambda m: m.post(f"{BASE}{LISTS}/merge-fields").respond(
            200, json=fixture("merge-field-created")
        ),
        read_first=False,
    )
    assert result.ok
    # The whole account once: lists, four lists per audience, two interest lists.
    assert [r.method for r in requests].count("GET") == 1 + 2 * 4 + 2
    assert sent(requests[-1])[:2] == ("POST", f"{LISTS}/merge-fields")


def cat_segment(audience: Address, tag: str) -> SavedSegment:
    return SavedSegment(
        address=audience.child("segment", "Tagged cats"),
        match="all",
        conditions=(
            {
                "condition_type": "StaticSegment",
                "field": "static_segment",
                "op": "static_is",
                "value": {"tag": tag},
            },
            {
                "condition_type": "Interests",
                "field": {"interest_category": "Pets at home"},
                "op": "interestcontains",
                "value": [{"interest": "Cat"}],
            },
        ),
    )


def test_names_under_a_renamed_audience_and_tag_resolve_later_in_the_apply() -> None:
    renamed = AUDIENCE.renamed("Pet Care Members")
    changes = [
        modify(pets(), Audience(address=renamed)),
        modify(
            Tag(address=AUDIENCE.child("tag", "VIP"), id="30101"),
            Tag(address=renamed.child("tag", "Gold")),
        ),
        create(cat_segment(renamed, "Gold")),
        delete(Tag(address=AUDIENCE.child("tag", "Adopted 2024"), id="30102")),
    ]

    def routes(m: respx.MockRouter) -> None:
        m.patch(f"{BASE}{LISTS}").respond(200, json={})
        m.patch(f"{BASE}{LISTS}/segments/30101").respond(200, json={})
        m.post(f"{BASE}{LISTS}/segments").respond(200, json=fixture("segment-created"))
        m.delete(f"{BASE}{LISTS}/segments/30102").respond(204)

    result, _, requests = apply(changes, routes)
    assert result.ok, result.failed
    assert [sent(r)[:2] for r in requests] == [
        ("PATCH", LISTS),
        ("PATCH", f"{LISTS}/segments/30101"),
        ("POST", f"{LISTS}/segments"),
        ("DELETE", f"{LISTS}/segments/30102"),
    ]
    conditions = sent(requests[2])[2]["options"]["conditions"]
    assert conditions[0]["value"] == 30101
    assert conditions[1] == {
        "condition_type": "Interests",
        "field": f"interests-{PETS_AT_HOME}",
        "op": "interestcontains",
        "value": ["1a2b3c4d5e"],
    }


def test_a_name_freed_and_taken_in_one_apply_means_the_new_holder() -> None:
    changes = [
        modify(
            Tag(address=AUDIENCE.child("tag", "VIP"), id="30101"),
            Tag(address=AUDIENCE.child("tag", "Gold")),
        ),
        modify(
            Tag(address=AUDIENCE.child("tag", "Adopted 2024"), id="30102"),
            Tag(address=AUDIENCE.child("tag", "VIP")),
        ),
        create(cat_segment(AUDIENCE, "VIP")),
    ]

    def routes(m: respx.MockRouter) -> None:
        m.patch(url__regex=r".*/segments/\d+$").respond(200, json={})
        m.post(f"{BASE}{LISTS}/segments").respond(200, json=fixture("segment-created"))

    result, _, requests = apply(changes, routes)
    assert result.ok, result.failed
    assert sent(requests[-1])[2]["options"]["conditions"][0]["value"] == 30102
