"""The official Mailchimp Marketing SDK (mailchimp-marketing) against the served sandbox.

The SDK builds URLs as `api_client.host + path`, replacing the word "server" with the
data centre; pointing `host` at the loopback server's `/3.0` is all it takes. It raises
`ApiClientError(text, status_code)` for error answers and returns the raw response for
204s (their empty body is not JSON).
"""

from __future__ import annotations

import json

import mailchimp_marketing
import pytest
from conftest_mailchimp import (  # noqa: F401  (fixtures register by being imported)
    MC_KEY,
    audience_body,
    mc_app_fixture,
    mc_db_path_fixture,
    mc_make_app_fixture,
    mc_server_fixture,
    md5_hash,
)
from mailchimp_marketing.api_client import ApiClientError

pytestmark = pytest.mark.serve


@pytest.fixture
def sdk(mc_server: str) -> mailchimp_marketing.Client:
    client = mailchimp_marketing.Client()
    client.set_config({"api_key": MC_KEY, "timeout": 10})
    client.api_client.host = f"{mc_server}/3.0"
    return client


@pytest.fixture
def list_id(sdk: mailchimp_marketing.Client) -> str:
    return str(sdk.lists.create_list(audience_body("SDK audience"))["id"])


def test_lists(sdk: mailchimp_marketing.Client, list_id: str) -> None:
    listed = sdk.lists.get_all_lists(fields=["lists.id", "lists.name", "total_items"], count=1000)
    assert listed == {"lists": [{"id": list_id, "name": "SDK audience"}], "total_items": 1}

    updated = sdk.lists.update_list(list_id, {"name": "Renamed"})
    assert updated["name"] == "Renamed"
    assert sdk.lists.get_list(list_id)["name"] == "Renamed"


def test_errors_surface_as_api_client_errors(
    sdk: mailchimp_marketing.Client, mc_server: str
) -> None:
    with pytest.raises(ApiClientError) as missing:
        sdk.lists.get_list("0000000000")
    assert missing.value.status_code == 404
    assert json.loads(missing.value.text)["title"] == "Resource Not Found"

    wrong_key = mailchimp_marketing.Client()
    wrong_key.set_config({"api_key": "ffffffffffffffffffffffffffffffff-us1"})
    wrong_key.api_client.host = f"{mc_server}/3.0"
    with pytest.raises(ApiClientError) as refused:
        wrong_key.lists.get_all_lists()
    assert refused.value.status_code == 401


def test_merge_fields(sdk: mailchimp_marketing.Client, list_id: str) -> None:
    tags = {f["tag"] for f in sdk.lists.get_list_merge_fields(list_id)["merge_fields"]}
    assert tags == {"FNAME", "LNAME", "ADDRESS", "PHONE", "BIRTHDAY"}

    created = sdk.lists.add_list_merge_field(
        list_id,
        {"name": "Tier", "type": "dropdown", "tag": "tier", "options": {"choices": ["gold"]}},
    )
    assert created["tag"] == "TIER"
    merge_id = created["merge_id"]
    updated = sdk.lists.update_list_merge_field(list_id, merge_id, {"name": "Loyalty tier"})
    assert updated["name"] == "Loyalty tier"
    with pytest.raises(ApiClientError) as refused:
        sdk.lists.update_list_merge_field(list_id, merge_id, {"type": "text"})
    assert refused.value.status_code == 400
    assert sdk.lists.delete_list_merge_field(list_id, merge_id).status_code == 204


def test_interest_categories_and_interests(sdk: mailchimp_marketing.Client, list_id: str) -> None:
    category = sdk.lists.create_list_interest_category(
        list_id, {"title": "Pets", "type": "checkboxes"}
    )
    interest = sdk.lists.create_interest_category_interest(
        list_id, category["id"], {"name": "Cats"}
    )

    listed = sdk.lists.list_interest_category_interests(list_id, category["id"])
    assert [i["id"] for i in listed["interests"]] == [interest["id"]]
    assert listed["interests"][0]["subscriber_count"] == "0"
    categories = sdk.lists.get_list_interest_categories(list_id)
    assert categories["categories"][0]["title"] == "Pets"
    renamed = sdk.lists.update_interest_category_interest(
        list_id, category["id"], interest["id"], {"name": "Kittens"}
    )
    assert renamed["name"] == "Kittens"


def test_members_and_tags(sdk: mailchimp_marketing.Client, list_id: str) -> None:
    email = "Owner@Example.com"
    member = sdk.lists.set_list_member(
        list_id, md5_hash(email), {"email_address": email, "status_if_new": "subscribed"}
    )
    assert member["id"] == md5_hash(email)
    # The SDK percent-encodes path parameters; the raw address works as a member key.
    assert sdk.lists.get_list_member(list_id, email)["email_address"] == email

    response = sdk.lists.update_list_member_tags(
        list_id, md5_hash(email), {"tags": [{"name": "VIP", "status": "active"}]}
    )
    assert response.status_code == 204
    tags = sdk.lists.get_list_member_tags(list_id, md5_hash(email))
    assert [t["name"] for t in tags["tags"]] == ["VIP"]
    assert sdk.lists.tag_search(list_id, name="V")["tags"][0]["name"] == "VIP"

    page = sdk.lists.get_list_members_info(list_id, count=1000, exclude_fields=["members._links"])
    assert page["total_items"] == 1
    assert "_links" not in page["members"][0]

    assert sdk.lists.delete_list_member(list_id, md5_hash(email)).status_code == 204
    with pytest.raises(ApiClientError) as again:
        sdk.lists.delete_list_member(list_id, md5_hash(email))
    assert again.value.status_code == 405


def test_batch_subscribe(sdk: mailchimp_marketing.Client, list_id: str) -> None:
    result = sdk.lists.batch_list_members(
        list_id,
        {
            "members": [
                {"email_address": f"m{i}@example.com", "status": "subscribed"} for i in range(3)
            ]
        },
    )

    assert result["total_created"] == 3
    assert result["error_count"] == 0


def test_segments(sdk: mailchimp_marketing.Client, list_id: str) -> None:
    for email in ("a@example.com", "b@example.com"):
        sdk.lists.set_list_member(
            list_id,
            md5_hash(email),
            {
                "email_address": email,
                "status_if_new": "subscribed",
                "merge_fields": {"FNAME": email[0]},
            },
        )
    saved = sdk.lists.create_segment(
        list_id,
        {
            "name": "A people",
            "options": {
                "match": "all",
                "conditions": [
                    {"condition_type": "TextMerge", "field": "FNAME", "op": "is", "value": "a"}
                ],
            },
        },
    )
    assert saved["member_count"] == 1
    members = sdk.lists.get_segment_members_list(list_id, saved["id"])
    assert [m["email_address"] for m in members["members"]] == ["a@example.com"]

    tag = sdk.lists.create_segment(list_id, {"name": "Imported", "static_segment": []})
    batch = sdk.lists.batch_segment_members(
        {"members_to_add": ["a@example.com", "b@example.com"]}, list_id, tag["id"]
    )
    assert batch["total_added"] == 2
    listed = sdk.lists.list_segments(list_id, type="static")
    assert [(s["name"], s["member_count"]) for s in listed["segments"]] == [("Imported", 2)]
    assert sdk.lists.delete_segment(list_id, tag["id"]).status_code == 204
