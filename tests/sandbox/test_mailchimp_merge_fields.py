"""Mailchimp sandbox: merge fields (audience fields) and member merge values."""

from __future__ import annotations

import httpx
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


def _fields(client: httpx.Client, list_id: str) -> dict[str, dict[str, object]]:
    body = client.get(f"/lists/{list_id}/merge-fields", params={"count": 100}).json()
    return {f["tag"]: f for f in body["merge_fields"]}


def test_new_audience_has_the_default_fields_of_a_real_one(
    mc_client: httpx.Client, mc_list_id: str
) -> None:
    body = mc_client.get(f"/lists/{mc_list_id}/merge-fields").json()

    assert body["total_items"] == 5
    assert body["list_id"] == mc_list_id
    fields = {f["tag"]: f for f in body["merge_fields"]}
    assert {tag: f["type"] for tag, f in fields.items()} == {
        "FNAME": "text",
        "LNAME": "text",
        "ADDRESS": "address",
        "PHONE": "phone",
        "BIRTHDAY": "birthday",
    }
    assert fields["FNAME"]["options"] == {"size": 25}
    assert fields["FNAME"]["public"] is True
    assert fields["ADDRESS"]["options"] == {"default_country": 164}
    assert fields["ADDRESS"]["public"] is False
    assert fields["PHONE"]["options"] == {"phone_format": "none"}
    assert fields["BIRTHDAY"]["options"] == {"date_format": "MM/DD"}
    assert "EMAIL" not in fields


@pytest.mark.parametrize(
    ("type_", "options", "expected"),
    [
        ("text", {"size": 40}, {"size": 40}),
        ("number", None, {}),
        ("address", {"default_country": 13}, {"default_country": 13}),
        ("phone", {"phone_format": "international"}, {"phone_format": "International"}),
        ("date", {"date_format": "dd/mm/yyyy"}, {"date_format": "DD/MM/YYYY"}),
        ("url", None, {}),
        ("imageurl", None, {}),
        ("radio", {"choices": ["Cat", "Dog"]}, {"choices": ["Cat", "Dog"]}),
        ("dropdown", {"choices": ["Gold", "Silver"]}, {"choices": ["Gold", "Silver"]}),
        ("birthday", {"date_format": "DD/MM"}, {"date_format": "DD/MM"}),
        ("zip", None, {}),
    ],
)
def test_every_type_with_its_options(
    mc_api: McApi, mc_list_id: str, type_: str, options: dict[str, object] | None, expected: object
) -> None:
    body: dict[str, object] = {"name": f"A {type_}", "type": type_, "tag": "CUSTOM"}
    if options is not None:
        body["options"] = options

    created = mc_api.add_field(mc_list_id, **body)

    assert created["type"] == type_
    assert created["options"] == expected
    assert created["merge_id"] == 6
    assert created["merge_field_limit"] == 30
    assert created["total_items"] == 6
    fetched = mc_api.client.get(f"/lists/{mc_list_id}/merge-fields/6").json()
    assert "merge_field_limit" not in fetched  # only POST answers carry the allowance
    assert fetched["options"] == expected


def test_unknown_type_and_bad_options_are_refused(mc_client: httpx.Client, mc_list_id: str) -> None:
    path = f"/lists/{mc_list_id}/merge-fields"
    bad_type = mc_client.post(path, json={"name": "X", "type": "boolean"})
    assert error_fields(bad_type) == {"type"}
    bad_format = mc_client.post(
        path, json={"name": "X", "type": "date", "options": {"date_format": "YYYY"}}
    )
    assert error_fields(bad_format) == {"options.date_format"}
    no_name = mc_client.post(path, json={"type": "text"})
    assert error_fields(no_name) == {"name"}


def test_tags_are_uppercased_and_limited_to_ten_characters(mc_api: McApi, mc_list_id: str) -> None:
    assert mc_api.add_field(mc_list_id, name="Tier", type="text", tag="tier")["tag"] == "TIER"

    path = f"/lists/{mc_list_id}/merge-fields"
    too_long = mc_api.client.post(path, json={"name": "X", "type": "text", "tag": "CUSTOMERTYPE"})
    assert_problem(too_long, 400, "Invalid Resource")
    assert error_fields(too_long) == {"tag"}
    bad_chars = mc_api.client.post(path, json={"name": "X", "type": "text", "tag": "PET-TYPE"})
    assert error_fields(bad_chars) == {"tag"}
    taken = mc_api.client.post(path, json={"name": "Again", "type": "text", "tag": "Tier"})
    assert error_fields(taken) == {"tag"}

    assert mc_api.add_field(mc_list_id, name="No tag", type="number")["tag"] == "MMERGE7"


def test_type_cannot_be_changed_but_other_attributes_can(mc_api: McApi, mc_list_id: str) -> None:
    field = mc_api.add_field(mc_list_id, name="Lifetime value", type="number", tag="LTV")
    path = f"/lists/{mc_list_id}/merge-fields/{field['merge_id']}"

    refused = mc_api.client.patch(path, json={"type": "text"})

    assert_problem(refused, 400, "Invalid Resource")
    assert error_fields(refused) == {"type"}
    assert mc_api.client.get(path).json()["type"] == "number"

    same = mc_api.client.patch(path, json={"type": "number", "name": "LTV", "public": True})
    assert same.status_code == 200
    assert same.json()["name"] == "LTV"
    assert same.json()["public"] is True


def test_renaming_a_tag_keeps_member_values(mc_api: McApi, mc_list_id: str) -> None:
    field = mc_api.add_field(mc_list_id, name="Pet", type="text", tag="PET")
    mc_api.put_member(mc_list_id, "owner@example.com", merge_fields={"PET": "Cat"})

    path = f"/lists/{mc_list_id}/merge-fields/{field['merge_id']}"
    assert mc_api.client.patch(path, json={"tag": "pettype"}).json()["tag"] == "PETTYPE"

    member = mc_api.client.get(f"/lists/{mc_list_id}/members/{md5_hash('owner@example.com')}")
    assert member.json()["merge_fields"]["PETTYPE"] == "Cat"
    assert "PET" not in member.json()["merge_fields"]


def test_delete_field_removes_it_and_its_values(mc_api: McApi, mc_list_id: str) -> None:
    field = mc_api.add_field(mc_list_id, name="Pet", type="text", tag="PET")
    mc_api.put_member(mc_list_id, "owner@example.com", merge_fields={"PET": "Cat"})
    path = f"/lists/{mc_list_id}/merge-fields/{field['merge_id']}"

    deleted = mc_api.client.delete(path)

    assert deleted.status_code == 204
    assert_problem(mc_api.client.get(path), 404, "Resource Not Found")
    member = mc_api.put_member(mc_list_id, "owner@example.com")
    assert "PET" not in member["merge_fields"]
    again = mc_api.add_field(mc_list_id, name="Pet", type="text", tag="PET")
    assert again["merge_id"] != field["merge_id"]
    assert mc_api.put_member(mc_list_id, "owner@example.com")["merge_fields"]["PET"] == ""


def test_field_allowance_is_thirty(mc_api: McApi, mc_list_id: str) -> None:
    for i in range(25):
        mc_api.add_field(mc_list_id, name=f"Field {i}", type="text")

    refused = mc_api.client.post(
        f"/lists/{mc_list_id}/merge-fields", json={"name": "One too many", "type": "text"}
    )

    assert_problem(refused, 400, "Invalid Resource")


def test_collection_filters_by_type_and_pages(mc_api: McApi, mc_list_id: str) -> None:
    mc_api.add_field(mc_list_id, name="Score", type="number", tag="SCORE", required=True)
    path = f"/lists/{mc_list_id}/merge-fields"

    numbers = mc_api.client.get(path, params={"type": "number"}).json()
    assert [f["tag"] for f in numbers["merge_fields"]] == ["SCORE"]
    required = mc_api.client.get(path, params={"required": "true"}).json()
    assert required["total_items"] == 1
    page = mc_api.client.get(path, params={"count": 2, "offset": 1}).json()
    assert [f["tag"] for f in page["merge_fields"]] == ["LNAME", "ADDRESS"]
    assert page["total_items"] == 6


def test_member_values_take_the_shapes_the_api_returns(mc_api: McApi, mc_list_id: str) -> None:
    mc_api.add_field(mc_list_id, name="LTV", type="number", tag="LTV")
    mc_api.add_field(mc_list_id, name="Joined", type="date", tag="JOINED")
    mc_api.add_field(
        mc_list_id,
        name="Tier",
        type="dropdown",
        tag="TIER",
        options={"choices": ["gold", "silver"]},
    )

    member = mc_api.put_member(
        mc_list_id,
        "owner@example.com",
        merge_fields={
            "FNAME": "Ann",
            "LTV": "668.3",
            "JOINED": "12/21/1980",
            "TIER": "gold",
            "BIRTHDAY": "02/29",
            "ADDRESS": {"addr1": "1 Road", "city": "Leeds", "state": "WY", "zip": "LS1"},
            "email_address": "ignored@example.com",
        },
    )

    values = member["merge_fields"]
    assert values["LTV"] == 668.3
    assert values["JOINED"] == "1980-12-21"
    assert values["BIRTHDAY"] == "02/29"
    assert values["ADDRESS"]["city"] == "Leeds"
    assert values["ADDRESS"]["addr2"] == ""
    assert values["LNAME"] == ""
    assert values["PHONE"] == ""
    assert "email_address" not in values
    assert member["full_name"] == "Ann"


def test_bad_merge_values_fail_with_errors_per_tag(mc_api: McApi, mc_list_id: str) -> None:
    mc_api.add_field(mc_list_id, name="LTV", type="number", tag="LTV")
    mc_api.add_field(
        mc_list_id, name="Tier", type="radio", tag="TIER", options={"choices": ["gold"]}
    )

    response = mc_api.client.put(
        f"/lists/{mc_list_id}/members/{md5_hash('x@example.com')}",
        json={
            "email_address": "x@example.com",
            "status_if_new": "subscribed",
            "merge_fields": {"LTV": "lots", "TIER": "platinum"},
        },
    )

    body = assert_problem(response, 400, "Invalid Resource")
    assert body["detail"] == "Your merge fields were invalid."
    assert {"field": "LTV", "message": "Please enter a number"} in body["errors"]
    assert error_fields(response) == {"LTV", "TIER"}


def test_required_fields_are_enforced_unless_skipped(mc_api: McApi, mc_list_id: str) -> None:
    mc_api.add_field(mc_list_id, name="Pet", type="text", tag="PET", required=True)
    path = f"/lists/{mc_list_id}/members"

    missing = mc_api.client.post(
        path, json={"email_address": "a@example.com", "status": "subscribed"}
    )
    assert error_fields(missing) == {"PET"}

    skipped = mc_api.client.post(
        path,
        params={"skip_merge_validation": "true"},
        json={"email_address": "a@example.com", "status": "subscribed"},
    )
    assert skipped.status_code == 200
