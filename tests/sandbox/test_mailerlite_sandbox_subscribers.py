"""MailerLite sandbox: subscribers (upsert, update, list, count) and group membership."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
from mailerlite_support import MlApi

SUBSCRIBER_404 = {"message": "No query results for model [App\\Models\\Subscriber\\Subscriber]."}


def _decode(cursor: str) -> object:
    return json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))


def test_upsert_creates_201_then_updates_200_and_lowercases(ml_api: MlApi) -> None:
    created = ml_api.client.post("/api/subscribers", json={"email": "MNMnx@Email.com"})
    again = ml_api.client.post("/api/subscribers", json={"email": "mnmnx@email.com"})

    assert created.status_code == 201
    assert again.status_code == 200
    data = created.json()["data"]
    assert data["email"] == "mnmnx@email.com"
    assert again.json()["data"]["id"] == data["id"]
    assert data["status"] == "active" and data["source"] == "api"
    assert data["groups"] == []
    assert data["subscribed_at"] == "2026-01-01 00:00:00"
    assert isinstance(data["open_rate"], int | float)


def test_fields_list_every_account_key_with_null_where_unset(ml_api: MlApi) -> None:
    ml_api.create_field("Tier")

    data = ml_api.upsert("f@example.com", fields={"name": "Ann", "unknown_key": "x"})

    assert data["fields"] == {
        "name": "Ann",
        "last_name": None,
        "company": None,
        "country": None,
        "city": None,
        "phone": None,
        "state": None,
        "z_i_p": None,
        "tier": None,
    }


def test_upsert_is_additive_for_fields_and_groups(ml_api: MlApi) -> None:
    first = ml_api.create_group("First")
    second = ml_api.create_group("Second")
    ml_api.upsert("a@example.com", fields={"name": "Ann", "city": "Oslo"}, groups=[first["id"]])

    data = ml_api.upsert("a@example.com", fields={"city": "Bergen"}, groups=[second["id"]])

    assert data["fields"]["name"] == "Ann"  # not removed by omission
    assert data["fields"]["city"] == "Bergen"
    assert sorted(g["name"] for g in data["groups"]) == ["First", "Second"]


def test_null_clears_a_field_value(ml_api: MlApi) -> None:
    ml_api.upsert("n@example.com", fields={"last_name": "Smith"})

    data = ml_api.upsert("n@example.com", fields={"last_name": None})

    assert data["fields"]["last_name"] is None


def test_number_fields_store_numbers(ml_api: MlApi) -> None:
    ml_api.create_field("Total sales", "number")

    data = ml_api.upsert("s@example.com", fields={"total_sales": "12.5"})

    assert data["fields"]["total_sales"] == 12.5


def test_put_replaces_groups_and_can_change_the_email(ml_api: MlApi) -> None:
    keep = ml_api.create_group("Keep")
    drop = ml_api.create_group("Drop")
    sub = ml_api.upsert("p@example.com", groups=[keep["id"], drop["id"]], fields={"city": "Rome"})

    response = ml_api.client.put(
        f"/api/subscribers/{sub['id']}",
        json={"email": "New@Example.com", "groups": [keep["id"]]},
    )

    assert response.status_code == 200
    data = response.json()["data"]
    assert [g["id"] for g in data["groups"]] == [keep["id"]]
    assert data["email"] == "new@example.com" and data["fields"]["city"] == "Rome"
    members = ml_api.client.get(f"/api/groups/{drop['id']}/subscribers").json()["data"]
    assert members == []


def test_put_without_groups_keeps_membership_and_rejects_taken_email(ml_api: MlApi) -> None:
    group = ml_api.create_group("G")
    sub = ml_api.upsert("one@example.com", groups=[group["id"]])
    ml_api.upsert("two@example.com")

    kept = ml_api.client.put(f"/api/subscribers/{sub['id']}", json={"fields": {"city": "X"}})
    taken = ml_api.client.put(f"/api/subscribers/{sub['id']}", json={"email": "two@example.com"})
    unknown = ml_api.client.put("/api/subscribers/123123", json={})

    assert [g["id"] for g in kept.json()["data"]["groups"]] == [group["id"]]
    assert taken.status_code == 422
    assert taken.json()["errors"] == {"email": ["The email has already been taken."]}
    assert unknown.status_code == 404


def test_unsubscribed_bounced_and_junk_cannot_be_reactivated(ml_api: MlApi) -> None:
    for status in ("unsubscribed", "bounced", "junk"):
        sub = ml_api.upsert(f"{status}@example.com", status=status)

        upserted = ml_api.upsert(f"{status}@example.com", status="active")
        put = ml_api.client.put(f"/api/subscribers/{sub['id']}", json={"status": "active"})

        assert upserted["status"] == status
        assert put.json()["data"]["status"] == status
    active = ml_api.upsert("active@example.com")
    assert ml_api.upsert("active@example.com", status="unsubscribed")["status"] == "unsubscribed"
    assert active["unsubscribed_at"] is None


def test_get_by_id_or_email_and_delete(ml_api: MlApi) -> None:
    sub = ml_api.upsert("get@example.com")

    by_id = ml_api.client.get(f"/api/subscribers/{sub['id']}")
    by_email = ml_api.client.get("/api/subscribers/GET@example.com")
    deleted = ml_api.client.delete(f"/api/subscribers/{sub['id']}")
    after = ml_api.client.get(f"/api/subscribers/{sub['id']}")
    delete_unknown = ml_api.client.delete("/api/subscribers/123123")

    assert by_id.status_code == 200 and by_id.json()["data"] == sub
    assert by_email.json()["data"]["id"] == sub["id"]
    assert deleted.status_code == 204
    assert after.status_code == 404 and after.json() == SUBSCRIBER_404
    assert delete_unknown.status_code == 404 and delete_unknown.json() == SUBSCRIBER_404


def test_upsert_validation(ml_api: MlApi) -> None:
    no_email = ml_api.client.post("/api/subscribers", json={})
    bad_email = ml_api.client.post("/api/subscribers", json={"email": "nope"})
    bad_group = ml_api.client.post(
        "/api/subscribers", json={"email": "g@example.com", "groups": ["121212"]}
    )
    bad_status = ml_api.client.post(
        "/api/subscribers", json={"email": "g@example.com", "status": "sleepy"}
    )

    assert no_email.status_code == 422
    assert no_email.json()["errors"] == {"email": ["The email field is required."]}
    assert bad_email.json()["message"] == "The email must be a valid email address."
    assert bad_group.json()["errors"] == {"groups.0": ["The selected groups.0 is invalid."]}
    assert bad_status.status_code == 422
    assert ml_api.client.get("/api/subscribers/g@example.com").status_code == 404


def _list(client: httpx.Client, **params: str | int) -> dict[str, Any]:
    response = client.get("/api/subscribers", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_list_is_cursor_paged_newest_first_in_both_directions(ml_api: MlApi) -> None:
    ids = [ml_api.upsert(f"s{n}@example.com")["id"] for n in range(5)]

    first = _list(ml_api.client, limit=2)
    second = _list(ml_api.client, limit=2, cursor=first["meta"]["next_cursor"])
    third = _list(ml_api.client, limit=2, cursor=second["meta"]["next_cursor"])
    back = _list(ml_api.client, limit=2, cursor=second["meta"]["prev_cursor"])

    assert [s["id"] for s in first["data"]] == ids[::-1][:2]
    assert [s["id"] for s in second["data"]] == ids[::-1][2:4]
    assert [s["id"] for s in third["data"]] == ids[::-1][4:]
    assert third["meta"]["next_cursor"] is None
    assert first["meta"]["prev_cursor"] is None
    assert [s["id"] for s in back["data"]] == [s["id"] for s in first["data"]]
    assert back["meta"]["prev_cursor"] is None
    assert _decode(first["meta"]["next_cursor"]) == {
        "id": int(ids[3]),
        "_pointsToNextItems": True,
    }
    assert _decode(second["meta"]["prev_cursor"]) == {
        "id": int(ids[2]),
        "_pointsToNextItems": False,
    }
    assert first["meta"]["per_page"] == 2
    assert first["meta"]["path"] == "https://connect.mailerlite.com/api/subscribers"


def test_list_defaults_filters_and_includes(ml_api: MlApi) -> None:
    group = ml_api.create_group("G")
    ml_api.upsert("a@example.com", groups=[group["id"]])
    ml_api.upsert("u@example.com", status="unsubscribed")

    everyone = _list(ml_api.client)
    unsubscribed = _list(ml_api.client, **{"filter[status]": "unsubscribed"})
    with_groups = _list(ml_api.client, include="groups")

    assert everyone["meta"]["per_page"] == 25
    assert [s["email"] for s in everyone["data"]] == ["u@example.com", "a@example.com"]
    assert all("groups" not in s for s in everyone["data"])
    assert [s["email"] for s in unsubscribed["data"]] == ["u@example.com"]
    assert [[g["name"] for g in s["groups"]] for s in with_groups["data"]] == [[], ["G"]]
    assert _list(ml_api.client, cursor="not-a-cursor")["data"] == []


def test_limit_zero_counts(ml_api: MlApi) -> None:
    for n in range(3):
        ml_api.upsert(f"c{n}@example.com")
    ml_api.upsert("x@example.com", status="unsubscribed")

    assert _list(ml_api.client, limit=0) == {"total": 4}
    assert _list(ml_api.client, limit=0, **{"filter[status]": "active"}) == {"total": 3}


def test_assign_returns_the_group_and_unassign_answers_204(ml_api: MlApi) -> None:
    group = ml_api.create_group("Target")
    sub = ml_api.upsert("m@example.com")

    assigned = ml_api.client.post(f"/api/subscribers/{sub['id']}/groups/{group['id']}")
    twice = ml_api.client.post(f"/api/subscribers/{sub['id']}/groups/{group['id']}")
    in_group = ml_api.client.get(f"/api/groups/{group['id']}/subscribers").json()["data"]
    unassigned = ml_api.client.delete(f"/api/subscribers/{sub['id']}/groups/{group['id']}")
    after = ml_api.client.get(f"/api/groups/{group['id']}/subscribers").json()["data"]

    assert assigned.status_code == 200
    assert assigned.json()["data"]["id"] == group["id"]
    assert assigned.json()["data"]["active_count"] == 1
    assert twice.status_code == 200 and twice.json()["data"]["active_count"] == 1
    assert [s["id"] for s in in_group] == [sub["id"]]
    assert unassigned.status_code == 204
    assert after == []


def test_assign_and_unassign_with_bad_ids(ml_api: MlApi) -> None:
    group = ml_api.create_group("Target")
    sub = ml_api.upsert("m@example.com")

    bad_group = ml_api.client.post(f"/api/subscribers/{sub['id']}/groups/121212")
    bad_sub = ml_api.client.post(f"/api/subscribers/123/groups/{group['id']}")
    unassign_bad = ml_api.client.delete(f"/api/subscribers/{sub['id']}/groups/121212")

    invalid_id = {
        "message": "The selected id is invalid.",
        "errors": {"id": ["The selected id is invalid."]},
    }
    assert bad_group.status_code == 422 and bad_group.json() == invalid_id
    assert bad_sub.status_code == 422 and bad_sub.json() == invalid_id
    assert unassign_bad.status_code == 404 and unassign_bad.json() == {"message": ""}


def test_deleting_a_group_keeps_its_subscribers(ml_api: MlApi) -> None:
    group = ml_api.create_group("Temporary")
    sub = ml_api.upsert("stay@example.com", groups=[group["id"]])

    ml_api.client.delete(f"/api/groups/{group['id']}")

    assert ml_api.client.get(f"/api/subscribers/{sub['id']}").json()["data"]["groups"] == []
