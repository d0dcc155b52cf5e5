"""MailerLite sandbox: automations, made through the admin API and read only in /api."""

from __future__ import annotations

from typing import Any

from mailerlite_support import MlApi

#: Top-level keys of a recorded automation (PY `automations-list.yml`, 2024-02).
AUTOMATION_KEYS = {
    "id", "name", "enabled", "trigger_data", "triggers", "complete", "broken", "warnings",
    "emails_count", "stats", "created_at", "steps",
}  # fmt: skip


def _seed(ml_api: MlApi, **payload: Any) -> dict[str, Any]:
    response = ml_api.admin("POST", "/automations", payload)
    assert response.status_code == 201, response.text
    return response.json()["data"]


def _join(*group_ids: str) -> list[dict[str, Any]]:
    return [{"type": "subscriber_joins_group", "group_ids": list(group_ids)}]


def test_list_is_page_based_with_group_join_triggers(ml_api: MlApi) -> None:
    group = ml_api.create_group("Partners")
    for n in range(3):
        _seed(ml_api, name=f"Welcome {n}", enabled=n != 1, triggers=_join(group["id"]))

    first = ml_api.client.get("/api/automations", params={"limit": 2}).json()
    second = ml_api.client.get("/api/automations", params={"limit": 2, "page": 2}).json()
    default = ml_api.client.get("/api/automations").json()

    items = first["data"] + second["data"]
    assert [a["name"] for a in items] == ["Welcome 2", "Welcome 1", "Welcome 0"]
    assert set(items[0]) == AUTOMATION_KEYS
    assert [a["enabled"] for a in items] == [True, False, True]
    (trigger,) = items[0]["triggers"]
    assert trigger["type"] == "subscriber_joins_group"
    assert trigger["group_ids"] == [group["id"]]
    assert [(g["id"], g["name"]) for g in trigger["groups"]] == [(group["id"], "Partners")]
    assert trigger["broken"] is False and items[0]["broken"] is False
    assert first["meta"]["last_page"] == 2 and first["links"]["next"].endswith("page=2")
    assert second["links"]["next"] is None
    assert default["meta"]["per_page"] == 10


def test_trigger_follows_rename_and_survives_group_delete(ml_api: MlApi) -> None:
    group = ml_api.create_group("Partners")
    made = _seed(ml_api, name="Welcome", enabled=True, triggers=_join(group["id"]))

    ml_api.client.put(f"/api/groups/{group['id']}", json={"name": "Resellers"})
    renamed = ml_api.client.get(f"/api/automations/{made['id']}").json()["data"]
    assert renamed["triggers"][0]["groups"][0]["name"] == "Resellers"

    assert ml_api.client.delete(f"/api/groups/{group['id']}").status_code == 204
    after = ml_api.client.get(f"/api/automations/{made['id']}").json()["data"]
    (trigger,) = after["triggers"]
    assert trigger["group_ids"] == [group["id"]]
    assert trigger["groups"][0]["name"] == "Resellers"
    assert trigger["broken"] is True and after["broken"] is True


def test_api_cannot_create_change_or_delete_automations(ml_api: MlApi) -> None:
    group = ml_api.create_group("Partners")
    made = _seed(ml_api, name="Welcome", triggers=_join(group["id"]))

    created = ml_api.client.post("/api/automations", json={"name": "X"})
    changed = ml_api.client.put(f"/api/automations/{made['id']}", json={"name": "X"})
    deleted = ml_api.client.delete(f"/api/automations/{made['id']}")
    unknown = ml_api.client.get("/api/automations/123")

    assert [r.status_code for r in (created, changed, deleted)] == [405, 405, 405]
    assert "Supported methods: GET, HEAD" in created.json()["message"]
    assert unknown.status_code == 404
    assert made["enabled"] is False  # the app makes automations as drafts


def test_admin_refuses_unknown_groups_and_bad_triggers(ml_api: MlApi) -> None:
    unknown = ml_api.admin("POST", "/automations", {"name": "W", "triggers": _join("42")})
    bad_type = ml_api.admin("POST", "/automations", {"name": "W", "triggers": [{"type": "x"}]})
    no_groups = ml_api.admin("POST", "/automations", {"name": "W", "triggers": _join()})

    assert [r.status_code for r in (unknown, bad_type, no_groups)] == [422, 422, 422]
    assert "group 42 does not exist" in unknown.json()["message"]
    assert ml_api.client.get("/api/automations").json()["data"] == []
