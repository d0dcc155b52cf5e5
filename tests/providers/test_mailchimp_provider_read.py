"""Mailchimp read: documented response shapes into the model, in few, bounded requests."""

from __future__ import annotations

import asyncio
import base64
from typing import Any

import httpx
import pytest
import respx
from provider_support import run
from test_mailchimp_provider_support import (
    ACCOUNT,
    API,
    AUDIENCE,
    BASE,
    CATEGORY,
    KEY,
    PETS,
    fixture,
    make_provider,
    mock_account,
)

from reconciler.model import (
    Audience,
    Interest,
    InterestCategory,
    MergeField,
    SavedSegment,
    State,
    Tag,
)


def read_fixture_account() -> tuple[State, int, list[httpx.Request]]:
    async def scenario() -> tuple[State, int, list[httpx.Request]]:
        with respx.mock() as mock:
            mock_account(mock)
            provider = make_provider()
            state = await provider.read()
            await provider.aclose()
            return state, provider.request_count, [call.request for call in mock.calls]

    return run(scenario)


def test_audiences_are_read_with_their_settings() -> None:
    state, _, _ = read_fixture_account()
    audiences = {r.key: r for r in state.of_kind("audience")}
    assert set(audiences) == {"Pet Care Club", "Partner News"}
    pets = audiences["Pet Care Club"]
    assert isinstance(pets, Audience)
    assert pets.id == PETS
    assert pets.contact is not None and pets.contact["company"] == "Pawsitive Vets Ltd"
    assert pets.permission_reminder == "You booked a visit with Pawsitive Vets."
    assert pets.campaign_defaults == {
        "from_name": "Pawsitive Vets",
        "from_email": "hello@pawsitive.example",
        "subject": "",
        "language": "en",
    }
    assert (pets.email_type_option, pets.double_optin, pets.use_archive_bar) == (
        False,
        True,
        True,
    )
    assert pets.notify_on_unsubscribe == "ops@pawsitive.example"
    assert (pets.visibility, pets.marketing_permissions) == ("prv", False)
    # Mailchimp has been recorded leaving `contact` out; that reads as "not known".
    assert audiences["Partner News"].contact is None


def test_merge_fields_map_by_tag_and_defaults_are_builtin() -> None:
    state, _, _ = read_fixture_account()
    fields = {r.key: r for r in state.of_kind("merge_field", AUDIENCE)}
    assert all(isinstance(f, MergeField) for f in fields.values())
    assert {k for k, f in fields.items() if f.builtin} == {
        "FNAME",
        "LNAME",
        "ADDRESS",
        "PHONE",
        "BIRTHDAY",
    }
    assert {k for k, f in fields.items() if not f.builtin} == {"PETNAME", "PETTYPE", "VISITS"}
    pet_type = fields["PETTYPE"]
    assert str(pet_type.address) == 'mailchimp.audience["Pet Care Club"].merge_field["PETTYPE"]'
    assert pet_type == MergeField(
        address=pet_type.address,
        name="Pet type",
        type="dropdown",
        required=True,
        public=False,
        default_value="Dog",
        options={"choices": ["Dog", "Cat", "Rabbit", "Other"]},
        help_text="The animal we see most often",
        display_order=8,
    )
    assert pet_type.id == "7"
    partner_fields = state.of_kind("merge_field", AUDIENCE.renamed("Partner News"))
    assert sorted(f.key for f in partner_fields if not f.builtin) == ["PARTNERID"]


def test_interest_categories_and_interests_nest_under_the_audience() -> None:
    state, _, _ = read_fixture_account()
    categories = {r.key: r for r in state.of_kind("interest_category", AUDIENCE)}
    assert all(isinstance(c, InterestCategory) for c in categories.values())
    assert {k: (c.id, c.type, c.display_order) for k, c in categories.items()} == {
        "Pets at home": ("a1b2c3d4e5", "checkboxes", 0),
        "Newsletter": ("f0e1d2c3b4", "radio", 1),
    }
    interests = state.of_kind("interest", CATEGORY)
    assert all(isinstance(i, Interest) for i in interests)
    assert [(i.key, i.id, i.display_order) for i in interests] == [
        ("Dog", "9c8b7a6f5e", 1),
        ("Cat", "1a2b3c4d5e", 2),
        ("Rabbit", "5e4d3c2b1a", 3),
    ]
    weekly = state.of_kind("interest", AUDIENCE.child("interest_category", "Newsletter"))
    assert [i.key for i in weekly] == ["Weekly tips"]


def test_static_segments_are_tags_and_saved_ones_have_conditions_by_name() -> None:
    state, _, _ = read_fixture_account()
    tags = state.of_kind("tag", AUDIENCE)
    assert all(isinstance(t, Tag) for t in tags)
    assert [(t.key, t.id) for t in tags] == [("VIP", "30101"), ("Adopted 2024", "30102")]
    segments = {r.key: r for r in state.of_kind("segment", AUDIENCE)}
    # The fuzzy segment is neither a tag nor a saved segment: not managed.
    assert set(segments) == {"VIP dog owners", "Frequent visitors"}
    vip = segments["VIP dog owners"]
    assert isinstance(vip, SavedSegment)
    assert (vip.id, vip.match) == ("30103", "all")
    assert vip.conditions is not None
    assert {"tag": "VIP"} in [c.get("value") for c in vip.conditions]
    (interests,) = [c for c in vip.conditions if c["condition_type"] == "Interests"]
    assert interests == {
        "condition_type": "Interests",
        "field": {"interest_category": "Pets at home"},
        "op": "interestcontains",
        "value": [{"interest": "Cat"}, {"interest": "Dog"}],
    }
    frequent = segments["Frequent visitors"]
    assert isinstance(frequent, SavedSegment) and frequent.match == "any"
    assert frequent.conditions is not None
    visits = next(c for c in frequent.conditions if c["field"] == "VISITS")
    assert visits["value"] == "5"
    assert all(isinstance(r.id, str) for r in state)


def test_an_unknown_tag_id_in_a_condition_stays_as_the_id() -> None:
    segments = fixture("segments-pets")
    segments["segments"][2]["options"]["conditions"][0]["value"] = 99999

    async def scenario() -> State:
        with respx.mock() as mock:
            mock_account(mock)
            mock.get(f"{API}/lists/{PETS}/segments").respond(200, json=segments)
            provider = make_provider()
            state = await provider.read()
            await provider.aclose()
            return state

    state = run(scenario)
    vip = next(s for s in state.of_kind("segment", AUDIENCE) if s.key == "VIP dog owners")
    assert isinstance(vip, SavedSegment) and vip.conditions is not None
    assert 99999 in [c.get("value") for c in vip.conditions]


def test_every_list_call_asks_for_1000_items_and_only_the_fields_it_maps() -> None:
    _, count, requests = read_fixture_account()
    assert count == len(ACCOUNT) == len(requests)
    collections = {
        "lists": "lists",
        "merge-fields": "merge_fields",
        "interest-categories": "categories",
        "interests": "interests",
        "segments": "segments",
    }
    for request in requests:
        params = request.url.params
        assert request.method == "GET"
        if request.url.path.endswith("/webhooks"):
            # The webhook list takes no count or offset: all of them in one answer.
            assert "count" not in params and "offset" not in params
            fields = params["fields"].split(",")
            assert fields and all(f.startswith("webhooks.") for f in fields)
            continue
        assert params["count"] == "1000", request.url
        assert params["offset"] == "0"
        fields = params["fields"].split(",")
        assert "total_items" in fields
        collection = collections[request.url.path.rsplit("/", 1)[-1]]
        assert all(f == "total_items" or f.startswith(f"{collection}.") for f in fields)
        assert not any("_links" in f for f in fields)
    paths = {r.url.path for r in requests}
    assert paths == set(ACCOUNT)


def test_requests_use_basic_auth_with_the_key_as_password() -> None:
    _, _, requests = read_fixture_account()
    expected = "Basic " + base64.b64encode(f"espform:{KEY}".encode()).decode()
    assert {r.headers["authorization"] for r in requests} == {expected}
    assert all(str(r.url).startswith(f"{BASE}/3.0/") for r in requests)


def merge_field(number: int) -> dict[str, Any]:
    return {
        "merge_id": number,
        "tag": f"F{number}",
        "name": f"Field {number}",
        "type": "text",
        "list_id": PETS,
    }


def test_lists_beyond_1000_items_are_read_page_by_offset() -> None:
    total = 2345

    def page(request: httpx.Request) -> httpx.Response:
        offset, count = int(request.url.params["offset"]), int(request.url.params["count"])
        items = [merge_field(n) for n in range(offset, min(offset + count, total))]
        return httpx.Response(
            200, json={"merge_fields": items, "list_id": PETS, "total_items": total, "_links": []}
        )

    async def scenario() -> tuple[State, list[str]]:
        with respx.mock() as mock:
            mock_account(mock)
            route = mock.get(f"{API}/lists/{PETS}/merge-fields").mock(side_effect=page)
            provider = make_provider()
            state = await provider.read()
            await provider.aclose()
            return state, sorted(c.request.url.params["offset"] for c in route.calls)

    state, offsets = run(scenario)
    assert offsets == ["0", "1000", "2000"]
    keys = [f.key for f in state.of_kind("merge_field", AUDIENCE)]
    assert keys == [f"F{n}" for n in range(total)]


def wide_account(audiences: int) -> dict[str, Any]:
    """Responses for an account of many audiences, each with two interest categories."""
    lists = [{"id": f"list{n:06d}", "name": f"Audience {n}"} for n in range(audiences)]
    bodies: dict[str, Any] = {"/3.0/lists": {"lists": lists, "total_items": audiences}}
    for item in lists:
        base = f"/3.0/lists/{item['id']}"
        categories = [
            {"id": f"{item['id']}c{c}", "title": f"Category {c}", "type": "checkboxes"}
            for c in range(2)
        ]
        bodies[f"{base}/merge-fields"] = {"merge_fields": [], "total_items": 0}
        bodies[f"{base}/segments"] = {"segments": [], "total_items": 0}
        bodies[f"{base}/webhooks"] = {"webhooks": [], "list_id": item["id"], "total_items": 0}
        bodies[f"{base}/interest-categories"] = {"categories": categories, "total_items": 2}
        for category in categories:
            bodies[f"{base}/interest-categories/{category['id']}/interests"] = {
                "interests": [{"id": f"{category['id']}i", "name": "Only"}],
                "total_items": 1,
            }
    return bodies


@pytest.mark.parametrize("limit", [1, 3, 8])
def test_reads_overlap_but_never_beyond_max_connections(limit: int) -> None:
    bodies = wide_account(audiences=6)
    in_flight = {"now": 0, "peak": 0}

    async def answer(request: httpx.Request) -> httpx.Response:
        in_flight["now"] += 1
        in_flight["peak"] = max(in_flight["peak"], in_flight["now"])
        for _ in range(10):  # let every other ready request start, if it may
            await asyncio.sleep(0)
        in_flight["now"] -= 1
        return httpx.Response(200, json=bodies[request.url.path])

    async def scenario() -> tuple[State, int]:
        with respx.mock() as mock:
            mock.route(host="us6.api.mailchimp.com").mock(side_effect=answer)
            provider = make_provider(max_connections=limit)
            state = await provider.read()
            await provider.aclose()
            return state, provider.request_count

    state, count = run(scenario)
    assert in_flight["peak"] == limit
    assert count == len(bodies) == 1 + 6 * 4 + 6 * 2
    assert len([r for r in state if r.kind == "interest"]) == 6 * 2
