"""MailerLite sandbox: POST /api/batch."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from mailerlite_support import MlApi, MlClock

from reconciler.sandbox.mailerlite import MailerLiteApp


def _batch(client: httpx.Client, requests: Any) -> httpx.Response:
    return client.post("/api/batch", json={"requests": requests})


def test_results_come_back_in_order_inside_a_200(ml_api: MlApi) -> None:
    ml_api.create_field("Tier")

    response = _batch(
        ml_api.client,
        [
            {"method": "POST", "path": "api/fields", "body": {"name": "Tier", "type": "text"}},
            {"method": "POST", "path": "/api/groups", "body": {"name": "From batch"}},
            {"method": "GET", "path": "api/campaigns/list"},
            {"method": "GET", "path": "api/groups?limit=1"},
            {"method": "DELETE", "path": "api/groups/121212"},
        ],
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["total"], body["successful"], body["failed"]) == (5, 2, 3)
    codes = [r["code"] for r in body["responses"]]
    assert codes == [422, 201, 404, 200, 404]
    assert body["responses"][0]["body"] == {
        "message": "Field name must be unique",
        "errors": {"name": ["Field name must be unique"]},
    }
    assert body["responses"][1]["body"]["data"]["name"] == "From batch"
    assert body["responses"][2]["body"] == {
        "message": "The route api/campaigns/list could not be found."
    }
    assert body["responses"][3]["body"]["meta"]["per_page"] == 1
    groups = ml_api.client.get("/api/groups").json()["data"]
    assert [g["name"] for g in groups] == ["From batch"]


def test_204_sub_responses_have_a_null_body(ml_api: MlApi) -> None:
    group = ml_api.create_group("Doomed")

    body = _batch(ml_api.client, [{"method": "DELETE", "path": f"api/groups/{group['id']}"}])

    assert body.json()["responses"] == [{"code": 204, "body": None}]


def test_at_most_50_requests(ml_api: MlApi) -> None:
    fifty = [{"method": "GET", "path": "api/groups"}] * 50

    ok = _batch(ml_api.client, fifty)
    too_many = _batch(ml_api.client, [*fifty, {"method": "GET", "path": "api/groups"}])

    assert ok.status_code == 200 and ok.json()["total"] == 50
    assert too_many.status_code == 422
    assert too_many.json()["errors"] == {
        "requests": ["The requests may not have more than 50 items."]
    }


def test_envelope_errors_are_keyed_by_position(ml_api: MlApi) -> None:
    response = _batch(
        ml_api.client,
        [
            {"method": "GET", "path": "api/groups"},
            {"method": "FETCH", "path": "api/groups"},
            {"path": "api/groups"},
            {"method": "GET", "path": "groups"},
        ],
    )
    empty = ml_api.client.post("/api/batch", json={})

    assert response.status_code == 422
    errors = response.json()["errors"]
    assert errors == {
        "requests.1.method": ["The selected requests.1.method is invalid."],
        "requests.2.method": ["The requests.2.method field is required."],
        "requests.3.path": ["The requests.3.path format is invalid."],
    }
    assert response.json()["message"] == "The selected requests.1.method is invalid."
    assert empty.json()["errors"] == {"requests": ["The requests field is required."]}


def test_a_batch_is_not_nested(ml_api: MlApi) -> None:
    response = _batch(ml_api.client, [{"method": "POST", "path": "api/batch", "body": {}}])

    assert response.json()["responses"][0]["code"] == 404


def test_webhooks_are_not_reached_from_a_batch(ml_api: MlApi) -> None:
    body = {"url": "https://crm.example.com/hook", "events": ["subscriber.created"]}
    response = _batch(
        ml_api.client,
        [
            {"method": "POST", "path": "api/webhooks", "body": body},
            {"method": "GET", "path": "api/webhooks"},
            {"method": "DELETE", "path": "api/webhooks/1"},
        ],
    )

    assert [r["code"] for r in response.json()["responses"]] == [404, 404, 404]
    assert ml_api.client.get("/api/webhooks").json()["data"] == []


def _upserts(n: int) -> list[dict[str, Any]]:
    return [
        {"method": "POST", "path": "api/subscribers", "body": {"email": f"i{k}@example.com"}}
        for k in range(n)
    ]


def test_import_batches_have_their_own_budget_when_limits_are_on(
    ml_make_app: Callable[..., MailerLiteApp],
    ml_make_client: Callable[..., httpx.Client],
    ml_clock: MlClock,
) -> None:
    client = ml_make_client(ml_make_app(rate_limit=100))

    imports = [_batch(client, _upserts(2)) for _ in range(5)]
    sixth = _batch(client, _upserts(2))
    mixed = _batch(client, [*_upserts(1), {"method": "GET", "path": "api/groups"}])
    ml_clock.advance(60)
    after_window = _batch(client, _upserts(1))

    assert [r.status_code for r in imports] == [200] * 5
    assert imports[0].json()["responses"][0]["code"] == 201
    assert sixth.status_code == 429
    assert sixth.json() == {"message": "You're being rate limited on import creation."}
    assert int(sixth.headers["retry-after"]) > 0
    assert mixed.status_code == 200
    assert after_window.status_code == 200


def test_import_budget_is_not_enforced_without_rate_limit(ml_api: MlApi) -> None:
    codes = [_batch(ml_api.client, _upserts(1)).status_code for _ in range(7)]

    assert codes == [200] * 7
