"""MailerLite sandbox: segments (seeded through the admin API; no create in /api)."""

from __future__ import annotations

from typing import Any

from mailerlite_support import MlApi

SEGMENT_KEYS = {"id", "name", "total", "open_rate", "click_rate", "created_at"}


def _seed_segment(ml_api: MlApi, **payload: Any) -> dict[str, Any]:
    response = ml_api.admin("POST", "/segments", payload)
    assert response.status_code == 201, response.text
    return response.json()["data"]


def test_list_segment_counts_its_active_members(ml_api: MlApi) -> None:
    for email in ("a@example.com", "b@example.com", "c@example.com"):
        ml_api.upsert(email)
    ml_api.upsert("c@example.com", status="unsubscribed")

    segment = _seed_segment(
        ml_api, name="VIP", emails=["a@example.com", "B@example.com", "c@example.com"]
    )
    members = ml_api.client.get(f"/api/segments/{segment['id']}/subscribers").json()

    assert set(segment) == SEGMENT_KEYS
    assert segment["total"] == 2
    assert [s["email"] for s in members["data"]] == ["b@example.com", "a@example.com"]
    assert all("groups" not in s for s in members["data"])
    assert members["meta"]["per_page"] == 50
    unsubscribed = ml_api.client.get(
        f"/api/segments/{segment['id']}/subscribers", params={"filter[status]": "unsubscribed"}
    ).json()
    assert [s["email"] for s in unsubscribed["data"]] == ["c@example.com"]


def test_filter_segment_is_evaluated_when_read(ml_api: MlApi) -> None:
    ml_api.create_field("Tier")
    ml_api.upsert("g1@example.com", fields={"tier": "gold"})
    ml_api.upsert("s1@example.com", fields={"tier": "silver"})
    segment = _seed_segment(ml_api, name="Gold", filter={"field": "tier", "equals": "gold"})

    ml_api.upsert("g2@example.com", fields={"tier": "gold"})
    ml_api.upsert("s1@example.com", fields={"tier": "gold"})
    ml_api.upsert("g1@example.com", fields={"tier": "bronze"})
    fetched = ml_api.client.get(f"/api/segments/{segment['id']}").json()["data"]
    members = ml_api.client.get(f"/api/segments/{segment['id']}/subscribers").json()["data"]

    assert segment["total"] == 1
    assert fetched["total"] == 2
    assert sorted(s["email"] for s in members) == ["g2@example.com", "s1@example.com"]


def test_list_is_page_based_with_automation_counts(ml_api: MlApi) -> None:
    for n in range(3):
        _seed_segment(ml_api, name=f"Segment {n}", emails=[])

    body = ml_api.client.get("/api/segments", params={"limit": 2}).json()
    fetched = ml_api.client.get(f"/api/segments/{body['data'][0]['id']}").json()["data"]

    assert [s["name"] for s in body["data"]] == ["Segment 0", "Segment 1"]
    assert body["data"][0]["automations_using_segment_count"] == 0
    assert body["meta"]["last_page"] == 2 and body["meta"]["total"] == 3
    assert "automations_using_segment_count" not in fetched


def test_rename_delete_and_no_create(ml_api: MlApi) -> None:
    segment = _seed_segment(ml_api, name="Old", emails=[])

    renamed = ml_api.client.put(f"/api/segments/{segment['id']}", json={"name": "New"})
    too_long = ml_api.client.put(f"/api/segments/{segment['id']}", json={"name": "n" * 256})
    create = ml_api.client.post("/api/segments", json={"name": "Nope"})
    deleted = ml_api.client.delete(f"/api/segments/{segment['id']}")
    unknown = ml_api.client.put("/api/segments/123123", json={"name": "x"})

    assert renamed.status_code == 200 and renamed.json()["data"]["name"] == "New"
    assert renamed.json()["data"]["id"] == segment["id"]
    assert too_long.status_code == 422
    assert create.status_code == 405
    assert deleted.status_code == 204
    assert unknown.status_code == 404
    assert unknown.json() == {"message": "No query results for model [App\\Models\\Segment] 123123"}


def test_member_paging_quirks(ml_api: MlApi) -> None:
    emails = [f"m{n}@example.com" for n in range(4)]
    ids = [ml_api.upsert(email)["id"] for email in emails]
    segment = _seed_segment(ml_api, name="All", emails=emails)
    url = f"/api/segments/{segment['id']}/subscribers"

    first = ml_api.client.get(url, params={"limit": 3}).json()
    after = ml_api.client.get(url, params={"limit": 3, "after": ids[1]}).json()
    following = ml_api.client.get(
        url, params={"limit": 3, "cursor": first["meta"]["next_cursor"]}
    ).json()

    assert first["meta"]["per_page"] == "3"  # recorded: the limit echoed as a string
    assert [s["id"] for s in first["data"]] == ids[::-1][:3]
    assert [s["id"] for s in following["data"]] == [ids[0]]
    assert [s["id"] for s in after["data"]] == [ids[0]]


def test_seeding_errors(ml_api: MlApi) -> None:
    unknown_email = ml_api.admin("POST", "/segments", {"name": "X", "emails": ["no@example.com"]})
    unknown_field = ml_api.admin(
        "POST", "/segments", {"name": "X", "filter": {"field": "tier", "equals": 1}}
    )
    both = ml_api.admin(
        "POST",
        "/segments",
        {"name": "X", "emails": [], "filter": {"field": "status", "equals": "active"}},
    )

    assert unknown_email.status_code == 422 and "emails" in unknown_email.json()["errors"]
    assert unknown_field.status_code == 422
    assert both.status_code == 422
