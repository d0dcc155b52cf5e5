"""Mailchimp sandbox: saved segments (conditions, member_count), static segments and tags."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from conftest_mailchimp import (  # noqa: F401  (fixtures register by being imported)
    McApi,
    assert_problem,
    error_fields,
    mc_api_fixture,
    mc_app_fixture,
    mc_client_fixture,
    mc_db_path_fixture,
    mc_list_id_fixture,
    mc_make_app_fixture,
    md5_hash,
)


@pytest.fixture
def audience(mc_api: McApi, mc_list_id: str) -> dict[str, Any]:
    """Four subscribed members and one unsubscribed one with varied data."""
    mc_api.add_field(
        mc_list_id,
        name="Tier",
        type="dropdown",
        tag="TIER",
        options={"choices": ["gold", "silver"]},
    )
    mc_api.add_field(mc_list_id, name="Orders", type="number", tag="ORDERS")
    mc_api.add_field(mc_list_id, name="Joined", type="date", tag="JOINED")
    pets = mc_api.add_category(mc_list_id, "Pets")
    cats = mc_api.add_interest(mc_list_id, pets, "Cats")
    dogs = mc_api.add_interest(mc_list_id, pets, "Dogs")
    people = {
        "ann@shop.example": {
            "FNAME": "Ann",
            "TIER": "gold",
            "ORDERS": 12,
            "JOINED": "2020-01-15",
            "BIRTHDAY": "03/14",
        },
        "bob@mail.example": {"FNAME": "Bob", "TIER": "silver", "ORDERS": 3, "JOINED": "2022-06-01"},
        "cat@shop.example": {"FNAME": "Catherine", "TIER": "gold", "ORDERS": 0},
        "dan@mail.example": {"FNAME": "", "ORDERS": 7},
    }
    for email, fields in people.items():
        mc_api.put_member(
            mc_list_id, email, merge_fields=fields, language="de" if email.startswith("d") else "en"
        )
    mc_api.put_member(mc_list_id, "ann@shop.example", interests={cats: True, dogs: True}, vip=True)
    mc_api.put_member(mc_list_id, "bob@mail.example", interests={dogs: True})
    mc_api.put_member(
        mc_list_id,
        "eve@shop.example",
        status_if_new="unsubscribed",
        merge_fields={"FNAME": "Eve", "TIER": "gold"},
    )
    mc_api.tag(mc_list_id, "ann@shop.example", "VIP")
    mc_api.tag(mc_list_id, "dan@mail.example", "VIP")
    mc_api.tag(mc_list_id, "eve@shop.example", "VIP")
    vip = mc_api.client.get(f"/lists/{mc_list_id}/tag-search", params={"name": "VIP"}).json()
    return {
        "list_id": mc_list_id,
        "pets": pets,
        "cats": cats,
        "dogs": dogs,
        "vip": vip["tags"][0]["id"],
    }


_names = itertools.count()


def _count(mc_api: McApi, list_id: str, match: str, *conditions: dict[str, Any]) -> int:
    segment = mc_api.create_segment(
        list_id, f"Segment {next(_names)}", options={"match": match, "conditions": list(conditions)}
    )
    assert segment["options"]["conditions"] == list(conditions)  # stored as sent
    return int(segment["member_count"])


def _text(field: str, op: str, value: Any = None, kind: str = "TextMerge") -> dict[str, Any]:
    condition = {"condition_type": kind, "field": field, "op": op}
    if value is not None:
        condition["value"] = value
    return condition


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (_text("FNAME", "is", "ann"), 1),
        (_text("FNAME", "not", "Ann"), 3),
        (_text("FNAME", "contains", "at"), 1),
        (_text("FNAME", "notcontain", "n"), 2),
        (_text("FNAME", "starts", "Ca"), 1),
        (_text("FNAME", "ends", "ob"), 1),
        (_text("FNAME", "blank"), 1),
        (_text("FNAME", "blank_not"), 3),
        (_text("ORDERS", "greater", 5), 2),
        (_text("ORDERS", "less", "4"), 2),
        (_text("ORDERS", "is", 0), 1),
        (_text("TIER", "is", "gold", "SelectMerge"), 2),
        (_text("TIER", "not", "gold", "SelectMerge"), 2),
        (_text("TIER", "blank", kind="SelectMerge"), 1),
        (_text("JOINED", "greater", "2021-01-01", "DateMerge"), 1),
        (_text("JOINED", "less", "06/01/2022", "DateMerge"), 1),
        (_text("JOINED", "blank", kind="DateMerge"), 2),
        (_text("BIRTHDAY", "is", "03/14", "BirthdayMerge"), 1),
        (_text("EMAIL", "ends", "@shop.example", "EmailAddress"), 2),
        (_text("merge0", "contains", "BOB", "EmailAddress"), 1),
        ({"condition_type": "Language", "field": "language", "op": "is", "value": "de"}, 1),
        ({"condition_type": "VIP", "field": "gmonkey", "op": "member"}, 1),
        ({"condition_type": "Aim", "field": "aim", "op": "open", "value": "any"}, 0),
        ({"condition_type": "Aim", "field": "aim", "op": "noopen", "value": "any"}, 4),
    ],
)
def test_member_count_of_single_conditions(
    mc_api: McApi, audience: dict[str, Any], condition: dict[str, Any], expected: int
) -> None:
    assert _count(mc_api, audience["list_id"], "all", condition) == expected


def test_member_count_of_interest_and_tag_conditions(
    mc_api: McApi, audience: dict[str, Any]
) -> None:
    list_id, field = audience["list_id"], f"interests-{audience['pets']}"
    cats, dogs = audience["cats"], audience["dogs"]

    def interests(op: str, *ids: str) -> dict[str, Any]:
        return {"condition_type": "Interests", "field": field, "op": op, "value": list(ids)}

    assert _count(mc_api, list_id, "all", interests("interestcontains", cats, dogs)) == 2
    assert _count(mc_api, list_id, "all", interests("interestcontainsall", cats, dogs)) == 1
    assert _count(mc_api, list_id, "all", interests("interestnotcontains", dogs)) == 2

    def tagged(op: str) -> dict[str, Any]:
        return {
            "condition_type": "StaticSegment",
            "field": "static_segment",
            "op": op,
            "value": audience["vip"],
        }

    # eve is tagged too, but unsubscribed: member_count counts subscribed members only
    assert _count(mc_api, list_id, "all", tagged("static_is")) == 2
    assert _count(mc_api, list_id, "all", tagged("static_not")) == 2


def test_match_any_and_all(mc_api: McApi, audience: dict[str, Any]) -> None:
    gold = _text("TIER", "is", "gold", "SelectMerge")
    many_orders = _text("ORDERS", "greater", 5)

    assert _count(mc_api, audience["list_id"], "all", gold, many_orders) == 1
    assert _count(mc_api, audience["list_id"], "any", gold, many_orders) == 3


def test_include_flags_widen_member_count_and_listing(
    mc_api: McApi, audience: dict[str, Any]
) -> None:
    list_id = audience["list_id"]
    segment = mc_api.create_segment(
        list_id,
        "Gold",
        options={"match": "all", "conditions": [_text("TIER", "is", "gold", "SelectMerge")]},
    )
    path = f"/lists/{list_id}/segments/{segment['id']}"

    assert mc_api.client.get(path).json()["member_count"] == 2
    widened = mc_api.client.get(path, params={"include_unsubscribed": "true"}).json()
    assert widened["member_count"] == 3
    members = mc_api.client.get(f"{path}/members").json()
    assert members["total_items"] == 2
    assert {m["email_address"] for m in members["members"]} == {
        "ann@shop.example",
        "cat@shop.example",
    }


def test_patch_options_replaces_the_conditions(mc_api: McApi, audience: dict[str, Any]) -> None:
    list_id = audience["list_id"]
    segment = mc_api.create_segment(
        list_id,
        "Gold",
        options={"match": "all", "conditions": [_text("TIER", "is", "gold", "SelectMerge")]},
    )
    path = f"/lists/{list_id}/segments/{segment['id']}"

    new_options = {"match": "any", "conditions": [_text("FNAME", "is", "Bob")]}
    patched = mc_api.client.patch(path, json={"name": "Bobs", "options": new_options}).json()

    assert patched["name"] == "Bobs"
    assert patched["options"] == new_options
    assert patched["member_count"] == 1
    assert patched["type"] == "saved"


def test_bad_conditions_are_refused_naming_each_part(
    mc_api: McApi, audience: dict[str, Any]
) -> None:
    options = {
        "match": "most",
        "conditions": [
            {"condition_type": "Nonsense", "field": "x", "op": "is"},
            {"condition_type": "TextMerge", "field": "NOPE", "op": "is", "value": "a"},
            {"condition_type": "TextMerge", "field": "FNAME", "op": "matches", "value": "a"},
            {
                "condition_type": "StaticSegment",
                "field": "static_segment",
                "op": "static_is",
                "value": 0,
            },
            {
                "condition_type": "Interests",
                "field": "interests-0000000000",
                "op": "interestcontains",
                "value": ["x"],
            },
            {"condition_type": "DateMerge", "field": "FNAME", "op": "is", "value": "2020-01-01"},
            {"condition_type": "Language", "field": "language", "op": "is"},
        ],
    }

    response = mc_api.client.post(
        f"/lists/{audience['list_id']}/segments", json={"name": "Bad", "options": options}
    )

    assert_problem(response, 400, "Invalid Resource")
    assert error_fields(response) == {
        "options.match",
        "options.conditions[0].condition_type",
        "options.conditions[1].field",
        "options.conditions[2].op",
        "options.conditions[3].value",
        "options.conditions[4].field",
        "options.conditions[5].field",
        "options.conditions[6].value",
    }


def test_segment_needs_exactly_one_of_options_and_static_segment(
    mc_api: McApi, mc_list_id: str
) -> None:
    path = f"/lists/{mc_list_id}/segments"
    neither = mc_api.client.post(path, json={"name": "Nothing"})
    assert assert_problem(neither, 400, "Invalid Resource")["detail"] == (
        'Must provide either an "options" field or a "static_segment" field.'
    )
    both = mc_api.client.post(
        path,
        json={
            "name": "Both",
            "static_segment": [],
            "options": {"match": "any", "conditions": [_text("FNAME", "blank")]},
        },
    )
    assert_problem(both, 400, "Invalid Resource")


def test_static_segments_are_tags(mc_api: McApi, mc_list_id: str) -> None:
    for email in ("a@example.com", "b@example.com", "c@example.com"):
        mc_api.put_member(mc_list_id, email)

    segment = mc_api.create_segment(
        mc_list_id,
        "Imported",
        static_segment=["a@example.com", "B@example.com", "stranger@example.com"],
    )

    assert segment["type"] == "static"
    assert segment["member_count"] == 2
    assert "options" not in segment
    found = mc_api.client.get(f"/lists/{mc_list_id}/tag-search", params={"name": "imp"}).json()
    assert found == {"tags": [{"id": segment["id"], "name": "Imported"}], "total_items": 1}
    member = mc_api.client.get(f"/lists/{mc_list_id}/members/{md5_hash('a@example.com')}").json()
    assert member["tags"] == [{"id": segment["id"], "name": "Imported"}]

    path = f"/lists/{mc_list_id}/segments/{segment['id']}"
    emptied = mc_api.client.patch(path, json={"static_segment": []})
    assert emptied.json()["member_count"] == 0


def test_static_batch_add_and_remove(mc_api: McApi, mc_list_id: str) -> None:
    for email in ("a@example.com", "b@example.com", "c@example.com"):
        mc_api.put_member(mc_list_id, email)
    segment = mc_api.create_segment(mc_list_id, "Gold", static_segment=["a@example.com"])
    path = f"/lists/{mc_list_id}/segments/{segment['id']}"

    body = mc_api.client.post(
        path,
        json={
            "members_to_add": ["b@example.com", "c@example.com", "ghost@example.com"],
            "members_to_remove": ["a@example.com"],
        },
    ).json()

    assert body["total_added"] == 2
    assert body["total_removed"] == 1
    assert {m["email_address"] for m in body["members_added"]} == {"b@example.com", "c@example.com"}
    assert [m["email_address"] for m in body["members_removed"]] == ["a@example.com"]
    assert body["error_count"] == 1
    assert body["errors"][0]["email_addresses"] == ["ghost@example.com"]
    members = mc_api.client.get(f"{path}/members").json()
    assert {m["email_address"] for m in members["members"]} == {"b@example.com", "c@example.com"}


def test_static_batch_limits_and_saved_segments(mc_api: McApi, audience: dict[str, Any]) -> None:
    list_id = audience["list_id"]
    tag_path = f"/lists/{list_id}/segments/{audience['vip']}"
    many = [f"m{i}@example.com" for i in range(501)]

    too_many = mc_api.client.post(
        tag_path, json={"members_to_add": many, "members_to_remove": many}
    )
    assert error_fields(too_many) == {"members_to_add", "members_to_remove"}
    assert mc_api.client.post(tag_path, json={"members_to_add": many[:500]}).status_code == 200

    saved = mc_api.create_segment(
        list_id, "Saved", options={"match": "any", "conditions": [_text("FNAME", "blank")]}
    )
    refused = mc_api.client.post(
        f"/lists/{list_id}/segments/{saved['id']}", json={"members_to_add": ["ann@shop.example"]}
    )
    assert assert_problem(refused, 400, "Invalid Resource")["detail"] == (
        f"A Static Segment with an id of {saved['id']} does not exist for this list."
    )


def test_single_static_member_add_and_remove(mc_api: McApi, mc_list_id: str) -> None:
    mc_api.put_member(mc_list_id, "a@example.com")
    segment = mc_api.create_segment(mc_list_id, "Gold", static_segment=[])
    path = f"/lists/{mc_list_id}/segments/{segment['id']}/members"

    added = mc_api.client.post(path, json={"email_address": "a@example.com"})
    assert added.json()["email_address"] == "a@example.com"
    assert mc_api.client.get(path).json()["total_items"] == 1

    removed = mc_api.client.delete(f"{path}/{md5_hash('a@example.com')}")
    assert removed.status_code == 204
    assert mc_api.client.get(path).json()["total_items"] == 0
    assert_problem(
        mc_api.client.delete(f"{path}/{md5_hash('a@example.com')}"), 404, "Resource Not Found"
    )


def test_segment_listing_filters_by_type_and_delete(
    mc_api: McApi, audience: dict[str, Any]
) -> None:
    list_id = audience["list_id"]
    saved = mc_api.create_segment(
        list_id, "Saved", options={"match": "any", "conditions": [_text("FNAME", "blank")]}
    )
    path = f"/lists/{list_id}/segments"

    assert [
        s["name"] for s in mc_api.client.get(path, params={"type": "static"}).json()["segments"]
    ] == ["VIP"]
    assert [
        s["id"] for s in mc_api.client.get(path, params={"type": "saved"}).json()["segments"]
    ] == [saved["id"]]
    assert mc_api.client.get(path).json()["total_items"] == 2

    assert mc_api.client.delete(f"{path}/{saved['id']}").status_code == 204
    assert_problem(mc_api.client.get(f"{path}/{saved['id']}"), 404, "Resource Not Found")


def test_tag_names_are_unique_and_tag_search_is_a_prefix_match(
    mc_api: McApi, mc_list_id: str
) -> None:
    mc_api.create_segment(mc_list_id, "Gold", static_segment=[])
    mc_api.create_segment(mc_list_id, "Golden retriever", static_segment=[])
    mc_api.create_segment(mc_list_id, "Silver", static_segment=[])

    duplicate = mc_api.client.post(
        f"/lists/{mc_list_id}/segments", json={"name": "gold", "static_segment": []}
    )
    assert error_fields(duplicate) == {"name"}
    found = mc_api.client.get(f"/lists/{mc_list_id}/tag-search", params={"name": "gol"}).json()
    assert [t["name"] for t in found["tags"]] == ["Gold", "Golden retriever"]
    everything = mc_api.client.get(f"/lists/{mc_list_id}/tag-search").json()
    assert everything["total_items"] == 3
