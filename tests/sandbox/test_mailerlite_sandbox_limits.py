"""MailerLite sandbox: authentication, routing errors, rate limits and injected faults."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from mailerlite_support import MlApi, MlClock

from reconciler.sandbox.mailerlite import MailerLiteApp

UNAUTHENTICATED = {"message": "Unauthenticated."}


@pytest.mark.parametrize("header", [None, "", "Bearer ", "Basic abc", "Bearer wrong"])
def test_401_without_a_valid_bearer_token(
    ml_make_app: Callable[..., MailerLiteApp],
    ml_make_client: Callable[..., httpx.Client],
    header: str | None,
) -> None:
    client = ml_make_client(ml_make_app(token="right"), token=None)
    headers = {} if header is None else {"Authorization": header}

    response = client.get("/api/groups", headers=headers)

    assert response.status_code == 401
    assert response.json() == UNAUTHENTICATED
    assert not any(name.startswith("x-ratelimit") for name in response.headers)


def test_the_configured_token_is_accepted_and_any_token_without_one(
    ml_make_app: Callable[..., MailerLiteApp], ml_make_client: Callable[..., httpx.Client]
) -> None:
    strict = ml_make_client(ml_make_app(token="right"), token="right")
    lenient = ml_make_client(ml_make_app(db_path=":memory:"), token="anything")

    assert strict.get("/api/groups").status_code == 200
    assert lenient.get("/api/groups").status_code == 200


def test_unknown_route_and_wrong_method(ml_api: MlApi) -> None:
    unknown = ml_api.client.get("/api/campaigns/list")
    wrong_method = ml_api.client.patch("/api/groups", json={})

    assert unknown.status_code == 404
    assert unknown.json() == {"message": "The route api/campaigns/list could not be found."}
    assert wrong_method.status_code == 405
    assert "PATCH method is not supported" in wrong_method.json()["message"]
    assert wrong_method.headers["allow"] == "GET, HEAD, POST"


def test_invalid_json_counts_as_no_input(ml_api: MlApi) -> None:
    response = ml_api.client.post(
        "/api/groups", content=b"{not json", headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 422
    assert response.json()["errors"] == {"name": ["The name field is required."]}


def test_rate_limit_headers_on_success_and_404(
    ml_make_app: Callable[..., MailerLiteApp], ml_make_client: Callable[..., httpx.Client]
) -> None:
    client = ml_make_client(ml_make_app(rate_limit=120))
    first = client.get("/api/groups")
    missing = client.get("/api/groups/121212")

    assert first.headers["x-ratelimit-limit"] == "120"
    assert first.headers["x-ratelimit-remaining"] == "119"
    assert missing.headers["x-ratelimit-remaining"] == "118"


def test_429_past_the_budget_until_the_window_resets(
    ml_make_app: Callable[..., MailerLiteApp],
    ml_make_client: Callable[..., httpx.Client],
    ml_clock: MlClock,
) -> None:
    client = ml_make_client(ml_make_app(rate_limit=3))

    allowed = [client.get("/api/groups") for _ in range(3)]
    ml_clock.advance(20)
    refused = client.get("/api/groups")
    ml_clock.advance(40)
    reset = client.get("/api/groups")

    assert [r.headers["x-ratelimit-remaining"] for r in allowed] == ["2", "1", "0"]
    assert refused.status_code == 429
    assert refused.json() == {"message": "Too Many Attempts."}
    assert refused.headers["retry-after"] == "40"
    assert refused.headers["x-ratelimit-remaining"] == "0"
    assert refused.headers["x-ratelimit-limit"] == "3"
    assert reset.status_code == 200 and reset.headers["x-ratelimit-remaining"] == "2"


def test_no_429_and_no_budget_headers_without_a_rate_limit(ml_api: MlApi) -> None:
    answers = [ml_api.client.get("/api/groups") for _ in range(130)]

    assert {r.status_code for r in answers} == {200}
    assert not any(name.startswith("x-ratelimit") for r in answers for name in r.headers)


def test_refusals_are_counted_in_the_stats(
    ml_make_app: Callable[..., MailerLiteApp], ml_make_client: Callable[..., httpx.Client]
) -> None:
    app = ml_make_app(rate_limit=2)
    client = ml_make_client(app)
    codes = [client.get("/api/groups").status_code for _ in range(5)]

    stats = client.get("/_sandbox/stats").json()
    assert codes == [200, 200, 429, 429, 429]
    assert stats["throttled_total"] == 3 and stats["total"] == 5


def _arm(ml_api: MlApi, **fault: object) -> None:
    response = ml_api.admin("POST", "/faults", fault)
    assert response.status_code == 201, response.text


def test_injected_429_and_5xx_strike_the_next_requests(ml_api: MlApi) -> None:
    _arm(ml_api, status=429, count=2, retry_after=7)
    _arm(ml_api, status=503)

    answers = [ml_api.client.get("/api/groups") for _ in range(4)]

    assert [r.status_code for r in answers] == [429, 429, 503, 200]
    assert answers[0].json() == {"message": "Too Many Attempts."}
    assert answers[0].headers["retry-after"] == "7"
    assert answers[0].headers["x-ratelimit-remaining"] == "0"
    assert answers[2].json() == {"message": "Service Unavailable"}


def test_injected_drops_close_the_connection(ml_api: MlApi) -> None:
    _arm(ml_api, drop=1)

    with pytest.raises(httpx.RemoteProtocolError):
        ml_api.client.get("/api/groups")
    assert ml_api.client.get("/api/groups").status_code == 200


def test_injected_latency_delays_then_serves(ml_api: MlApi, ml_sleeps: list[float]) -> None:
    _arm(ml_api, latency_ms=250, count=2)

    codes = [ml_api.client.get("/api/groups").status_code for _ in range(3)]

    assert codes == [200, 200, 200]
    assert ml_sleeps == [0.25, 0.25]


def test_faults_can_be_listed_and_cleared(ml_api: MlApi) -> None:
    _arm(ml_api, drop=1, status=500, count=1)

    pending = ml_api.admin("GET", "/faults").json()["pending"]
    cleared = ml_api.admin("DELETE", "/faults")

    assert [(f["drop"], f["status"]) for f in pending] == [(True, None), (False, 500)]
    assert cleared.status_code == 204
    assert ml_api.client.get("/api/groups").status_code == 200


def test_bad_fault_payloads_are_refused(ml_api: MlApi) -> None:
    assert ml_api.admin("POST", "/faults", {"status": 200}).status_code == 422
    assert ml_api.admin("POST", "/faults", {"colour": 1}).status_code == 422
    assert ml_api.admin("POST", "/faults", {}).status_code == 422


def test_head_is_served_by_get_routes(ml_api: MlApi) -> None:
    response = ml_api.client.head("/api/groups")

    assert response.status_code == 200
    assert ml_api.admin("GET", "/stats").json()["by_route"] == {"GET /api/groups": 1}
