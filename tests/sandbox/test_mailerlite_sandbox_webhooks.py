"""MailerLite sandbox: /api/webhooks as the fact sheet (2.6) and the recorded SDK traffic say."""

from __future__ import annotations

from mailerlite_support import MlApi

URL = "https://crm.example.com/hooks/ml?token=abc"
WEBHOOK_KEYS = {
    "id", "name", "url", "events", "enabled", "is_blocked", "secret", "created_at",
    "updated_at", "batchable", "version", "last_fired_at", "response_code",
}  # fmt: skip


def test_create_answers_201_with_the_recorded_object(ml_api: MlApi) -> None:
    body = {"name": "Unsubscribes", "url": URL, "events": ["subscriber.unsubscribed"]}
    response = ml_api.client.post("/api/webhooks", json=body)

    assert response.status_code == 201
    made = response.json()["data"]
    assert set(made) == WEBHOOK_KEYS
    assert isinstance(made["id"], str) and made["secret"]
    assert (made["url"], made["events"], made["enabled"], made["batchable"]) == (
        URL,
        ["subscriber.unsubscribed"],
        True,
        False,
    )
    assert made["version"] == "2022-01"


def test_create_needs_url_and_known_events(ml_api: MlApi) -> None:
    missing = ml_api.client.post("/api/webhooks", json={"name": "x"})
    unknown = ml_api.client.post(
        "/api/webhooks", json={"url": URL, "events": ["subscriber.created", "nope"]}
    )

    assert missing.status_code == 422
    assert missing.json()["errors"] == {
        "url": ["The url field is required."],
        "events": ["The events field is required."],
    }
    assert unknown.status_code == 422
    assert unknown.json()["errors"] == {"events.1": ["The selected events.1 is invalid."]}
    assert ml_api.client.get("/api/webhooks").json()["data"] == []


def test_batch_only_events_need_a_batchable_webhook(ml_api: MlApi) -> None:
    body = {"url": URL, "events": ["campaign.open"]}
    refused = ml_api.client.post("/api/webhooks", json=body)
    accepted = ml_api.client.post("/api/webhooks", json={**body, "batchable": True})

    assert refused.status_code == 422
    assert "only available for batchable webhooks" in refused.json()["errors"]["events.0"][0]
    assert accepted.status_code == 201


def test_put_changes_only_the_keys_it_sends(ml_api: MlApi) -> None:
    body = {"name": "Hook", "url": URL, "events": ["subscriber.created"]}
    made = ml_api.client.post("/api/webhooks", json=body).json()["data"]

    response = ml_api.client.put(f"/api/webhooks/{made['id']}", json={"enabled": False})

    assert response.status_code == 200
    updated = response.json()["data"]
    assert (updated["id"], updated["name"], updated["url"], updated["events"]) == (
        made["id"],
        "Hook",
        URL,
        ["subscriber.created"],
    )
    assert updated["enabled"] is False
    assert ml_api.client.get(f"/api/webhooks/{made['id']}").json()["data"] == updated


def test_delete_answers_204_then_the_model_404(ml_api: MlApi) -> None:
    made = ml_api.client.post(
        "/api/webhooks", json={"url": URL, "events": ["subscriber.created"]}
    ).json()["data"]

    assert ml_api.client.delete(f"/api/webhooks/{made['id']}").status_code == 204
    again = ml_api.client.delete(f"/api/webhooks/{made['id']}")

    assert again.status_code == 404
    assert again.json()["message"] == (
        f"No query results for model [App\\Models\\Webhook] {made['id']}"
    )


def test_the_list_is_paged_50_at_a_time(ml_api: MlApi) -> None:
    for n in range(51):
        body = {"name": f"Hook {n}", "url": f"{URL}{n}", "events": ["subscriber.created"]}
        assert ml_api.client.post("/api/webhooks", json=body).status_code == 201

    first = ml_api.client.get("/api/webhooks").json()
    second = ml_api.client.get("/api/webhooks", params={"page": 2}).json()

    assert len(first["data"]) == 50 and first["meta"]["per_page"] == 50
    assert first["links"]["next"] is not None
    assert [w["name"] for w in second["data"]] == ["Hook 50"]
    assert second["links"]["next"] is None
