"""Mailchimp sandbox: members (upsert, statuses, archive), member tags, batch subscribe."""

from __future__ import annotations

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


def _member_path(list_id: str, email: str) -> str:
    return f"/lists/{list_id}/members/{md5_hash(email)}"


def test_put_creates_by_lowercase_md5_and_keeps_the_case_sent(
    mc_api: McApi, mc_list_id: str
) -> None:
    response = mc_api.client.put(
        _member_path(mc_list_id, "Ann.Owner@Example.com"),
        json={"email_address": "Ann.Owner@Example.com", "status_if_new": "pending"},
    )

    assert response.status_code == 200
    member = response.json()
    assert member["id"] == md5_hash("ann.owner@example.com")
    assert member["email_address"] == "Ann.Owner@Example.com"
    assert member["status"] == "pending"
    assert member["list_id"] == mc_list_id
    assert member["merge_fields"] == {
        "FNAME": "",
        "LNAME": "",
        "ADDRESS": "",
        "PHONE": "",
        "BIRTHDAY": "",
    }
    assert member["tags"] == []
    assert member["tags_count"] == 0
    by_email = mc_api.client.get(f"/lists/{mc_list_id}/members/ann.owner@example.com")
    assert by_email.json()["id"] == member["id"]
    by_contact = mc_api.client.get(f"/lists/{mc_list_id}/members/{member['contact_id']}")
    assert by_contact.json()["id"] == member["id"]


def test_status_if_new_only_applies_to_new_contacts(mc_api: McApi, mc_list_id: str) -> None:
    mc_api.put_member(mc_list_id, "a@example.com", status_if_new="subscribed")

    again = mc_api.put_member(mc_list_id, "a@example.com", status_if_new="unsubscribed")
    assert again["status"] == "subscribed"

    changed = mc_api.put_member(mc_list_id, "a@example.com", status="unsubscribed")
    assert changed["status"] == "unsubscribed"
    assert changed["unsubscribe_reason"]

    only_fields = mc_api.client.put(
        _member_path(mc_list_id, "a@example.com"), json={"merge_fields": {"FNAME": "Ann"}}
    )
    assert only_fields.json()["merge_fields"]["FNAME"] == "Ann"
    assert only_fields.json()["status"] == "unsubscribed"


def test_put_of_a_new_contact_needs_an_address_and_a_status(mc_api: McApi, mc_list_id: str) -> None:
    path = _member_path(mc_list_id, "new@example.com")
    assert error_fields(mc_api.client.put(path, json={"status_if_new": "subscribed"})) == {
        "email_address"
    }
    assert error_fields(mc_api.client.put(path, json={"email_address": "new@example.com"})) == {
        "status_if_new"
    }
    mismatch = mc_api.client.put(
        path, json={"email_address": "other@example.com", "status_if_new": "subscribed"}
    )
    assert_problem(mismatch, 400, "Invalid Resource")
    bad_status = mc_api.client.put(
        path, json={"email_address": "new@example.com", "status_if_new": "archived"}
    )
    assert error_fields(bad_status) == {"status_if_new"}
    bad_email = mc_api.client.post(
        f"/lists/{mc_list_id}/members", json={"email_address": "nope", "status": "subscribed"}
    )
    assert assert_problem(bad_email, 400, "Invalid Resource")["detail"] == (
        "Please provide a valid email address."
    )


@pytest.mark.parametrize(
    "status", ["subscribed", "unsubscribed", "cleaned", "pending", "transactional"]
)
def test_every_writable_status(mc_api: McApi, mc_list_id: str, status: str) -> None:
    response = mc_api.client.post(
        f"/lists/{mc_list_id}/members", json={"email_address": "a@example.com", "status": status}
    )

    assert response.json()["status"] == status
    listed = mc_api.client.get(f"/lists/{mc_list_id}/members", params={"status": status})
    assert listed.json()["total_items"] == 1


def test_post_of_an_existing_contact_is_member_exists(mc_api: McApi, mc_list_id: str) -> None:
    mc_api.put_member(mc_list_id, "a@example.com")

    response = mc_api.client.post(
        f"/lists/{mc_list_id}/members",
        json={"email_address": "A@example.com", "status": "subscribed"},
    )

    body = assert_problem(response, 400, "Member Exists")
    assert "type" not in body  # recorded without a type


def test_changing_the_address_onto_another_member_is_member_exists(
    mc_api: McApi, mc_list_id: str
) -> None:
    mc_api.put_member(mc_list_id, "a@example.com")
    mc_api.put_member(mc_list_id, "b@example.com")

    clash = mc_api.client.patch(
        _member_path(mc_list_id, "a@example.com"), json={"email_address": "b@example.com"}
    )
    assert_problem(clash, 400, "Member Exists")

    moved = mc_api.client.patch(
        _member_path(mc_list_id, "a@example.com"), json={"email_address": "c@example.com"}
    )
    assert moved.json()["id"] == md5_hash("c@example.com")
    assert_problem(
        mc_api.client.get(_member_path(mc_list_id, "a@example.com")), 404, "Resource Not Found"
    )


def test_delete_archives_and_refuses_archived_pending_and_cleaned(
    mc_api: McApi, mc_list_id: str
) -> None:
    mc_api.put_member(mc_list_id, "a@example.com")
    path = _member_path(mc_list_id, "a@example.com")

    archived = mc_api.client.delete(path)

    assert archived.status_code == 204
    assert archived.content == b""
    assert mc_api.client.get(path).json()["status"] == "archived"
    assert mc_api.client.get(f"/lists/{mc_list_id}/members").json()["total_items"] == 0
    again = mc_api.client.delete(path)
    assert_problem(again, 405, "Method Not Allowed")
    assert again.headers["allow"] == "GET, PUT"

    for status in ("pending", "cleaned"):
        email = f"{status}@example.com"
        mc_api.put_member(mc_list_id, email, status_if_new=status)
        assert_problem(
            mc_api.client.delete(_member_path(mc_list_id, email)), 405, "Method Not Allowed"
        )
    assert_problem(
        mc_api.client.delete(_member_path(mc_list_id, "nobody@example.com")),
        404,
        "Resource Not Found",
    )


def test_put_brings_back_an_archived_contact(mc_api: McApi, mc_list_id: str) -> None:
    mc_api.put_member(mc_list_id, "a@example.com")
    mc_api.client.delete(_member_path(mc_list_id, "a@example.com"))

    back = mc_api.put_member(mc_list_id, "a@example.com", status_if_new="subscribed")

    assert back["status"] == "subscribed"


def test_subscribing_an_unsubscribed_contact_is_a_compliance_state(
    mc_api: McApi, mc_list_id: str
) -> None:
    mc_api.put_member(mc_list_id, "a@example.com", status_if_new="unsubscribed")
    path = _member_path(mc_list_id, "a@example.com")

    refused = mc_api.client.patch(path, json={"status": "subscribed"})

    assert "type" not in assert_problem(refused, 400, "Member In Compliance State")
    assert mc_api.client.patch(path, json={"status": "pending"}).json()["status"] == "pending"


def test_permanently_deleted_contacts_cannot_be_re_added(mc_api: McApi, mc_list_id: str) -> None:
    mc_api.put_member(mc_list_id, "a@example.com")
    path = _member_path(mc_list_id, "a@example.com")

    erased = mc_api.client.post(f"{path}/actions/delete-permanent")
    assert erased.status_code == 204
    assert_problem(mc_api.client.get(path), 404, "Resource Not Found")

    again = mc_api.client.put(
        path, json={"email_address": "a@example.com", "status_if_new": "subscribed"}
    )
    assert_problem(again, 400, "Forgotten Email Not Subscribed")


def test_member_tags_are_set_by_name_and_answer_204(mc_api: McApi, mc_list_id: str) -> None:
    mc_api.put_member(mc_list_id, "a@example.com")
    path = _member_path(mc_list_id, "a@example.com") + "/tags"

    response = mc_api.client.post(
        path,
        json={"tags": [{"name": "VIP", "status": "active"}, {"name": "Gold", "status": "active"}]},
    )

    assert response.status_code == 204
    assert response.content == b""
    assert response.headers["content-type"].startswith("application/json")
    tags = mc_api.client.get(path).json()
    assert tags["total_items"] == 2
    assert {t["name"] for t in tags["tags"]} == {"VIP", "Gold"}
    assert all(t["date_added"] for t in tags["tags"])

    mc_api.client.post(
        path,
        json={"tags": [{"name": "vip", "status": "inactive"}, {"name": "New", "status": "active"}]},
    )
    member = mc_api.client.get(_member_path(mc_list_id, "a@example.com")).json()
    assert {t["name"] for t in member["tags"]} == {"Gold", "New"}
    assert member["tags_count"] == 2


def test_member_tags_validation_and_unknown_member(mc_api: McApi, mc_list_id: str) -> None:
    mc_api.put_member(mc_list_id, "a@example.com")
    path = _member_path(mc_list_id, "a@example.com") + "/tags"

    bad = mc_api.client.post(
        path, json={"tags": [{"name": "VIP", "status": "on"}, {"status": "active"}]}
    )
    assert error_fields(bad) == {"tags[0].status", "tags[1].name"}
    unknown = mc_api.client.post(
        _member_path(mc_list_id, "nobody@example.com") + "/tags",
        json={"tags": [{"name": "VIP", "status": "active"}]},
    )
    assert_problem(unknown, 404, "Resource Not Found")


def test_member_shows_at_most_fifty_tags(mc_api: McApi, mc_list_id: str) -> None:
    mc_api.put_member(mc_list_id, "a@example.com")
    mc_api.tag(mc_list_id, "a@example.com", *(f"Tag {i:02d}" for i in range(55)))

    member = mc_api.client.get(_member_path(mc_list_id, "a@example.com")).json()

    assert len(member["tags"]) == 50
    assert member["tags_count"] == 55


def test_member_listing_filters_and_pages(mc_api: McApi, mc_list_id: str) -> None:
    for i in range(15):
        mc_api.put_member(mc_list_id, f"m{i:02d}@example.com", vip=i == 3)
    mc_api.client.delete(_member_path(mc_list_id, "m00@example.com"))
    path = f"/lists/{mc_list_id}/members"

    page = mc_api.client.get(path, params={"count": 10, "offset": 10}).json()
    assert page["total_items"] == 14
    assert [m["email_address"] for m in page["members"]] == [
        f"m{i:02d}@example.com" for i in range(11, 15)
    ]
    assert mc_api.client.get(path, params={"status": "archived"}).json()["total_items"] == 1
    vip = mc_api.client.get(path, params={"vip_only": "true"}).json()
    assert [m["email_address"] for m in vip["members"]] == ["m03@example.com"]
    unique = page["members"][0]["unique_email_id"]
    found = mc_api.client.get(path, params={"unique_email_id": unique}).json()
    assert [m["unique_email_id"] for m in found["members"]] == [unique]
    trimmed = mc_api.client.get(
        path, params={"fields": "members.email_address,total_items", "count": 1}
    ).json()
    assert trimmed == {"members": [{"email_address": "m01@example.com"}], "total_items": 14}


def test_batch_subscribe_creates_updates_and_reports_errors(mc_api: McApi, mc_list_id: str) -> None:
    mc_api.put_member(mc_list_id, "old@example.com", merge_fields={"FNAME": "Old"})

    response = mc_api.client.post(
        f"/lists/{mc_list_id}",
        json={
            "members": [
                {"email_address": "new@example.com", "status": "subscribed"},
                {
                    "email_address": "old@example.com",
                    "status": "subscribed",
                    "merge_fields": {"FNAME": "New"},
                },
                {"email_address": "broken", "status": "subscribed"},
            ],
            "update_existing": True,
        },
    )

    assert response.status_code == 200
    body = response.json()
    assert [m["email_address"] for m in body["new_members"]] == ["new@example.com"]
    assert [m["merge_fields"]["FNAME"] for m in body["updated_members"]] == ["New"]
    assert body["total_created"] == 1
    assert body["total_updated"] == 1
    assert body["error_count"] == 1
    assert body["errors"][0]["email_address"] == "broken"
    assert body["errors"][0]["error_code"] == "ERROR_GENERIC"
    assert set(body["errors"][0]) == {
        "email_address",
        "error",
        "error_code",
        "field",
        "field_message",
    }


def test_batch_subscribe_without_update_existing_reports_existing_contacts(
    mc_api: McApi, mc_list_id: str
) -> None:
    mc_api.put_member(mc_list_id, "old@example.com")

    body = mc_api.client.post(
        f"/lists/{mc_list_id}",
        json={"members": [{"email_address": "old@example.com", "status": "unsubscribed"}]},
    ).json()

    assert body["errors"][0]["error_code"] == "ERROR_CONTACT_EXISTS"
    member = mc_api.client.get(_member_path(mc_list_id, "old@example.com")).json()
    assert member["status"] == "subscribed"


def test_batch_subscribe_takes_at_most_500(mc_api: McApi, mc_list_id: str) -> None:
    members = [{"email_address": f"m{i}@example.com", "status": "subscribed"} for i in range(501)]

    refused = mc_api.client.post(f"/lists/{mc_list_id}", json={"members": members})

    assert error_fields(refused) == {"members"}
    accepted = mc_api.client.post(f"/lists/{mc_list_id}", json={"members": members[:500]})
    assert accepted.json()["total_created"] == 500


def test_batch_subscribe_duplicates(mc_api: McApi, mc_list_id: str) -> None:
    members = [
        {"email_address": "a@example.com", "status": "subscribed"},
        {"email_address": "A@example.com", "status": "unsubscribed"},
    ]
    path = f"/lists/{mc_list_id}"

    skipped = mc_api.client.post(
        path, params={"skip_duplicate_check": "true"}, json={"members": members}
    )
    assert skipped.json()["total_created"] == 1
    assert skipped.json()["error_count"] == 0
    assert skipped.json()["new_members"][0]["status"] == "subscribed"
