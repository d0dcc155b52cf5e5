"""MailerLite sandbox: groups, their page-based list and their cursor-paged members."""

from __future__ import annotations

import re

import httpx
from mailerlite_support import MlApi

from reconciler.sandbox.mailerlite.paging import page_envelope

GROUP_KEYS = {
    "id",
    "name",
    "active_count",
    "sent_count",
    "opens_count",
    "open_rate",
    "clicks_count",
    "click_rate",
    "unsubscribed_count",
    "unconfirmed_count",
    "bounced_count",
    "junk_count",
    "created_at",
}
PAGE_META_KEYS = {"current_page", "from", "last_page", "links", "path", "per_page", "to", "total"}


def test_create_answers_201_with_a_group_object(ml_api: MlApi) -> None:
    response = ml_api.client.post("/api/groups", json={"name": "Partners"})

    assert response.status_code == 201
    group = response.json()["data"]
    assert set(group) == GROUP_KEYS
    assert isinstance(group["id"], str) and group["id"].isdigit() and int(group["id"]) > 2**53
    assert group["name"] == "Partners"
    assert group["active_count"] == 0 and group["open_rate"] == {"float": 0, "string": "0%"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", group["created_at"])
    assert group["created_at"] == "2026-01-01 00:00:00"  # from the injected clock


def test_list_pages_with_full_meta_and_links(ml_api: MlApi) -> None:
    for name in ["g", "a", "e", "c", "f", "b", "d"]:
        ml_api.create_group(name)

    first = ml_api.client.get("/api/groups", params={"limit": 3, "page": 1}).json()
    last = ml_api.client.get("/api/groups", params={"limit": 3, "page": 3}).json()

    assert [g["name"] for g in first["data"]] == ["a", "b", "c"]  # name order by default
    assert set(first["meta"]) == PAGE_META_KEYS
    assert first["meta"] | {"links": None} == {
        "current_page": 1,
        "from": 1,
        "last_page": 3,
        "links": None,
        "path": "https://connect.mailerlite.com/api/groups",
        "per_page": 3,
        "to": 3,
        "total": 7,
    }
    assert first["links"] == {
        "first": "https://connect.mailerlite.com/api/groups?page=1",
        "last": "https://connect.mailerlite.com/api/groups?page=3",
        "prev": None,
        "next": "https://connect.mailerlite.com/api/groups?page=2",
    }
    labels = [(link["label"], link["active"]) for link in first["meta"]["links"]]
    assert labels == [
        ("&laquo; Previous", False),
        ("1", True),
        ("2", False),
        ("3", False),
        ("Next &raquo;", False),
    ]
    assert [g["name"] for g in last["data"]] == ["g"]
    assert (last["meta"]["from"], last["meta"]["to"]) == (7, 7)
    assert last["links"]["next"] is None
    assert last["links"]["prev"] == "https://connect.mailerlite.com/api/groups?page=2"

    beyond = ml_api.client.get("/api/groups", params={"limit": 3, "page": 9}).json()
    assert beyond["data"] == [] and beyond["meta"]["from"] is None


def test_list_filters_by_partial_name_and_sorts(ml_api: MlApi) -> None:
    partners = ml_api.create_group("Active Partners")
    ml_api.create_group("Gold partners")
    ml_api.create_group("Newsletter")
    ml_api.upsert("p@example.com", groups=[partners["id"]])

    found = ml_api.client.get("/api/groups", params={"filter[name]": "PARTNER"}).json()
    by_name_desc = ml_api.client.get("/api/groups", params={"sort": "-name"}).json()
    by_total_desc = ml_api.client.get("/api/groups", params={"sort": "-total"}).json()
    bad_sort = ml_api.client.get("/api/groups", params={"sort": "colour"})

    assert [g["name"] for g in found["data"]] == ["Active Partners", "Gold partners"]
    assert found["meta"]["total"] == 2
    assert [g["name"] for g in by_name_desc["data"]] == [
        "Newsletter",
        "Gold partners",
        "Active Partners",
    ]
    assert by_total_desc["data"][0]["name"] == "Active Partners"
    assert bad_sort.status_code == 422
    assert bad_sort.json()["errors"] == {"sort": ["The selected sort is invalid."]}


def test_list_limit_is_validated(ml_api: MlApi) -> None:
    too_big = ml_api.client.get("/api/groups", params={"limit": 1001})
    not_a_number = ml_api.client.get("/api/groups", params={"limit": "ten"})

    assert too_big.status_code == 422
    assert too_big.json() == {
        "message": "The limit may not be greater than 1000.",
        "errors": {"limit": ["The limit may not be greater than 1000."]},
    }
    assert not_a_number.json()["errors"] == {"limit": ["The limit must be an integer."]}
    assert ml_api.client.get("/api/groups", params={"limit": 1000}).status_code == 200


def test_get_rename_and_delete(ml_api: MlApi) -> None:
    group = ml_api.create_group("Gold")

    fetched = ml_api.client.get(f"/api/groups/{group['id']}")
    renamed = ml_api.client.put(f"/api/groups/{group['id']}", json={"name": "Gold Partners"})
    deleted = ml_api.client.delete(f"/api/groups/{group['id']}")
    again = ml_api.client.delete(f"/api/groups/{group['id']}")

    assert fetched.status_code == 200 and fetched.json()["data"] == group
    assert renamed.status_code == 200
    assert renamed.json()["data"]["id"] == group["id"]
    assert renamed.json()["data"]["name"] == "Gold Partners"
    assert deleted.status_code == 204 and deleted.content == b""
    assert again.status_code == 404
    assert again.json() == {
        "message": f"No query results for model [App\\Models\\Group\\Group] {group['id']}"
    }
    assert "\n" in again.text  # recorded model 404s are pretty-printed


def test_name_is_required_and_at_most_255_characters(ml_api: MlApi) -> None:
    missing = ml_api.client.post("/api/groups", json={})
    too_long = ml_api.client.post("/api/groups", json={"name": "x" * 256})
    group = ml_api.create_group("x" * 255)
    rename_too_long = ml_api.client.put(f"/api/groups/{group['id']}", json={"name": "y" * 256})
    rename_unknown = ml_api.client.put("/api/groups/121212", json={"name": "y" * 256})

    assert missing.status_code == 422
    assert missing.json() == {
        "message": "The name field is required.",
        "errors": {"name": ["The name field is required."]},
    }
    assert too_long.status_code == 422
    assert too_long.json()["message"] == "The name may not be greater than 255 characters."
    assert rename_too_long.status_code == 422
    assert rename_unknown.status_code == 404  # the id is checked before the body


def test_duplicate_group_names_are_accepted(ml_api: MlApi) -> None:
    first = ml_api.create_group("Imported")
    second = ml_api.create_group("Imported")

    assert first["id"] != second["id"]


def test_counts_follow_member_statuses(ml_api: MlApi) -> None:
    group = ml_api.create_group("Mixed")
    ml_api.upsert("a@example.com", groups=[group["id"]])
    ml_api.upsert("b@example.com", groups=[group["id"]])
    ml_api.upsert("c@example.com", groups=[group["id"]], status="unsubscribed")
    ml_api.upsert("d@example.com", groups=[group["id"]], status="bounced")
    ml_api.upsert("b@example.com", status="junk")

    data = ml_api.client.get(f"/api/groups/{group['id']}").json()["data"]

    assert (data["active_count"], data["unsubscribed_count"]) == (1, 1)
    assert (data["bounced_count"], data["junk_count"], data["unconfirmed_count"]) == (1, 1, 0)


def _members(client: httpx.Client, group_id: str, **params: str | int) -> httpx.Response:
    return client.get(f"/api/groups/{group_id}/subscribers", params=params)


def test_members_are_cursor_paged_newest_first_and_active_by_default(ml_api: MlApi) -> None:
    group = ml_api.create_group("Members")
    emails = [f"m{n}@example.com" for n in range(7)]
    for email in emails:
        ml_api.upsert(email, groups=[group["id"]])
    ml_api.upsert("gone@example.com", groups=[group["id"]], status="unsubscribed")

    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, str | int] = {"limit": 3}
        if cursor:
            params["cursor"] = cursor
        body = _members(ml_api.client, group["id"], **params).json()
        assert set(body) == {"data", "links", "meta"}
        assert set(body["meta"]) == {"path", "per_page", "next_cursor", "prev_cursor"}
        assert body["links"]["first"] is None and body["links"]["last"] is None
        assert (body["meta"]["prev_cursor"] is None) == (pages == 0)
        seen += [item["email"] for item in body["data"]]
        pages += 1
        cursor = body["meta"]["next_cursor"]
        if cursor is None:
            assert body["links"]["next"] is None
            break
        assert body["links"]["next"].endswith(f"?cursor={cursor}")

    assert pages == 3
    assert seen == list(reversed(emails))
    unsubscribed = _members(ml_api.client, group["id"], **{"filter[status]": "unsubscribed"})
    assert [s["email"] for s in unsubscribed.json()["data"]] == ["gone@example.com"]


def test_members_default_page_size_and_maximum(ml_api: MlApi) -> None:
    group = ml_api.create_group("Sizes")

    default = _members(ml_api.client, group["id"]).json()
    too_big = _members(ml_api.client, group["id"], limit=1001)

    assert default["meta"]["per_page"] == 50
    assert too_big.status_code == 422


def test_members_include_groups_only_on_request(ml_api: MlApi) -> None:
    group = ml_api.create_group("With groups")
    ml_api.upsert("x@example.com", groups=[group["id"]])

    plain = _members(ml_api.client, group["id"]).json()["data"][0]
    included = _members(ml_api.client, group["id"], include="groups").json()["data"][0]

    assert "groups" not in plain
    assert [g["id"] for g in included["groups"]] == [group["id"]]
    assert included["groups"][0]["active_count"] == 1


def test_members_quirks_and_errors(ml_api: MlApi) -> None:
    group = ml_api.create_group("Quirks")
    ml_api.upsert("q@example.com", groups=[group["id"]])

    bad_cursor = _members(ml_api.client, group["id"], limit=5, cursor=1)
    page_ignored = _members(ml_api.client, group["id"], page=4)
    unknown = _members(ml_api.client, "121212")
    bad_status = _members(ml_api.client, group["id"], **{"filter[status]": "gone"})

    assert bad_cursor.status_code == 200 and bad_cursor.json()["data"] == []
    assert [s["email"] for s in page_ignored.json()["data"]] == ["q@example.com"]
    assert unknown.status_code == 404
    assert (
        unknown.json()["message"] == "No query results for model [App\\Models\\Group\\Group] 121212"
    )
    assert bad_status.status_code == 422


def test_page_links_elide_long_runs_like_laravel() -> None:
    def labels(page: int) -> list[str]:
        envelope = page_envelope([{}], total=20, page=page, per_page=1, url="u")
        return [link["label"] for link in envelope["meta"]["links"]][1:-1]

    assert labels(1) == ["1", "2", "3", "4", "5", "6", "7", "8", "9", "...", "19", "20"]
    assert labels(10) == ["1", "2", "...", "7", "8", "9", "10", "11", "12", "13", "...", "19", "20"]
    assert labels(20) == ["1", "2", "...", *[str(n) for n in range(12, 21)]]
