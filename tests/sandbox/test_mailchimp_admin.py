"""Mailchimp sandbox: connection limit, injected faults, request counts and bulk seeding."""

from __future__ import annotations

import threading
from collections.abc import Callable

import httpx
from conftest_mailchimp import (  # noqa: F401  (fixtures register by being imported)
    MC_HOST,
    McApi,
    assert_problem,
    mc_api_fixture,
    mc_app_fixture,
    mc_client_fixture,
    mc_client_for,
    mc_db_path_fixture,
    mc_list_id_fixture,
    mc_make_app_fixture,
)

from reconciler.sandbox.mailchimp import MailchimpSandbox


def _wait_for_in_flight(api: McApi, expected: int) -> None:
    """Polls the admin API (which is neither counted nor limited) until requests are held."""
    for _ in range(2000):
        if api.admin("GET", "/stats").json()["in_flight"] == expected:
            return
        threading.Event().wait(0.005)
    raise AssertionError(f"never saw {expected} requests in flight")


def test_more_than_ten_requests_at_once_get_429(mc_app: MailchimpSandbox, mc_api: McApi) -> None:
    # Ten requests are held in flight by injected latency; the eleventh must be refused.
    mc_api.admin("POST", "/faults", json={"latency_ms": 1000, "count": 10})
    statuses: list[int] = []

    def call() -> None:
        with mc_client_for(mc_app) as client:
            statuses.append(client.get("/lists").status_code)

    threads = [threading.Thread(target=call) for _ in range(10)]
    for thread in threads:
        thread.start()
    _wait_for_in_flight(mc_api, 10)

    refused = mc_api.client.get("/lists")

    for thread in threads:
        thread.join()
    body = assert_problem(refused, 429, "Too Many Requests")
    assert "10 simultaneous connections" in body["detail"]
    assert statuses == [200] * 10
    assert mc_api.client.get("/lists").status_code == 200
    assert mc_api.admin("GET", "/stats").json()["in_flight"] == 0


def test_connection_limit_is_configurable(mc_make_app: Callable[..., MailchimpSandbox]) -> None:
    app = mc_make_app(max_connections=1)
    api = McApi(mc_client_for(app), app)
    api.admin("POST", "/faults", json={"latency_ms": 500})
    holder = threading.Thread(target=lambda: mc_client_for(app).get("/lists"))
    holder.start()
    _wait_for_in_flight(api, 1)

    assert_problem(api.client.get("/lists"), 429, "Too Many Requests")
    holder.join()


def test_injected_429_with_retry_after_then_normal_service(mc_api: McApi) -> None:
    mc_api.admin("POST", "/faults", json={"status": 429, "count": 2, "retry_after": 3})

    first = mc_api.client.get("/lists")
    second = mc_api.client.get("/lists")
    third = mc_api.client.get("/lists")

    for response in (first, second):
        assert_problem(response, 429, "Too Many Requests")
        assert response.headers["retry-after"] == "3"
    assert third.status_code == 200
    assert mc_api.admin("GET", "/faults").json() == {"faults": []}


def test_injected_5xx_and_bare_403(mc_api: McApi) -> None:
    mc_api.admin("POST", "/faults", json={"status": 500})
    mc_api.admin("POST", "/faults", json={"status": 503})
    mc_api.admin("POST", "/faults", json={"status": 403})

    assert_problem(mc_api.client.get("/lists"), 500, "Internal Server Error")
    assert_problem(mc_api.client.get("/lists"), 503, "Service Unavailable")
    throttled = mc_api.client.get("/lists")
    assert throttled.status_code == 403
    assert throttled.content == b""  # the throttling 403 has no JSON body
    assert mc_api.client.get("/lists").status_code == 200


def test_faults_apply_before_auth_and_can_be_cleared(
    mc_app: MailchimpSandbox, mc_api: McApi
) -> None:
    mc_api.admin("POST", "/faults", json={"status": 503, "count": 5})
    with mc_client_for(mc_app, key=None) as anonymous:
        assert anonymous.get("/lists").status_code == 503

    assert mc_api.admin("DELETE", "/faults").status_code == 204
    assert mc_api.client.get("/lists").status_code == 200


def test_latency_alone_delays_without_failing(mc_api: McApi) -> None:
    mc_api.admin("POST", "/faults", json={"latency_ms": 20})

    assert mc_api.client.get("/lists").status_code == 200


def test_bad_fault_requests_are_refused(mc_api: McApi) -> None:
    assert mc_api.admin("POST", "/faults", json={"status": 200}).status_code == 400
    assert mc_api.admin("POST", "/faults", json={"count": 2}).status_code == 400
    assert mc_api.admin("POST", "/faults", json={"status": 500, "count": 0}).status_code == 400


def test_stats_count_requests_per_path_template(mc_api: McApi, mc_list_id: str) -> None:
    mc_api.put_member(mc_list_id, "a@example.com")
    mc_api.put_member(mc_list_id, "b@example.com")
    mc_api.client.get(f"/lists/{mc_list_id}/members")
    mc_api.client.get("/lists/0000000000")
    mc_api.client.get("/tok3n-in-a-base-url/lists")
    mc_api.admin("GET", "/faults")

    stats = mc_api.admin("GET", "/stats").json()

    assert stats["requests"] == {
        "POST /3.0/lists": 1,
        "PUT /3.0/lists/{list_id}/members/{subscriber_hash}": 2,
        "GET /3.0/lists/{list_id}/members": 1,
        "GET /3.0/lists/{list_id}": 1,
        "GET (unknown route)": 1,  # never the raw path, which may hold a token
    }
    assert stats["total"] == 6
    assert mc_api.admin("DELETE", "/stats").status_code == 204
    assert mc_api.admin("GET", "/stats").json()["total"] == 0


def test_stats_and_faults_live_in_the_file(mc_make_app: Callable[..., MailchimpSandbox]) -> None:
    first = mc_make_app()
    McApi(mc_client_for(first), first).client.get("/lists")
    McApi(mc_client_for(first), first).admin("POST", "/faults", json={"status": 500})
    second = mc_make_app()

    assert_problem(mc_client_for(second).get("/lists"), 500, "Internal Server Error")
    stats = McApi(mc_client_for(second), second).admin("GET", "/stats").json()
    assert stats["requests"]["GET /3.0/lists"] == 2


def test_seed_members_in_bulk(mc_api: McApi, mc_list_id: str) -> None:
    mc_api.add_field(mc_list_id, name="Tier", type="text", tag="TIER")
    category = mc_api.add_category(mc_list_id, "Pets")
    cats = mc_api.add_interest(mc_list_id, category, "Cats")

    seeded = mc_api.admin(
        "POST",
        "/seed/members",
        json={
            "list_id": mc_list_id,
            "count": 2500,
            "email": "user{i}@example.com",
            "status": ["subscribed", "subscribed", "unsubscribed"],
            "merge_fields": {"FNAME": "User {i}", "TIER": ["gold", "silver", "bronze", "iron"]},
            "tags": ["Imported"],
            "interests": [cats],
            "members": [
                {"email_address": "vip@example.com", "status": "subscribed", "tags": ["VIP"]},
            ],
        },
    )

    assert seeded.json() == {"list_id": mc_list_id, "created": 2501, "skipped": 0}
    stats = mc_api.client.get(f"/lists/{mc_list_id}").json()["stats"]
    assert stats["member_count"] == 1667 + 1
    assert stats["unsubscribe_count"] == 833
    gold = mc_api.create_segment(
        mc_list_id,
        "Gold",
        options={
            "match": "all",
            "conditions": [
                {"condition_type": "TextMerge", "field": "TIER", "op": "is", "value": "gold"}
            ],
        },
    )
    # i % 4 == 0 is gold; of those, i % 3 == 2 are unsubscribed
    assert gold["member_count"] == sum(1 for i in range(2500) if i % 4 == 0 and i % 3 != 2)
    tags = mc_api.client.get(f"/lists/{mc_list_id}/tag-search").json()["tags"]
    counts = {
        t["name"]: mc_api.client.get(f"/lists/{mc_list_id}/segments/{t['id']}").json()[
            "member_count"
        ]
        for t in tags
    }
    assert counts == {"Imported": 1668, "VIP": 1}
    interest = mc_api.client.get(
        f"/lists/{mc_list_id}/interest-categories/{category}/interests/{cats}"
    )
    assert interest.json()["subscriber_count"] == "1668"

    again = mc_api.admin("POST", "/seed/members", json={"list_id": mc_list_id, "count": 10})
    assert again.json()["skipped"] == 0  # a different template: member{i}@example.com
    repeat = mc_api.admin("POST", "/seed/members", json={"list_id": mc_list_id, "count": 10})
    assert repeat.json() == {"list_id": mc_list_id, "created": 0, "skipped": 10}


def test_paging_a_seeded_list_sees_every_member_once_and_follows_writes(
    mc_api: McApi, mc_list_id: str
) -> None:
    mc_api.admin("POST", "/seed/members", json={"list_id": mc_list_id, "count": 3500})
    path = f"/lists/{mc_list_id}/members"
    fields: dict[str, str | int] = {"fields": "members.email_address,total_items", "count": 1000}

    def read_all() -> list[str]:
        emails: list[str] = []
        offset = 0
        while True:
            page = mc_api.client.get(path, params={**fields, "offset": offset}).json()
            emails += [m["email_address"] for m in page["members"]]
            offset += 1000
            if offset >= page["total_items"]:
                return emails

    first = read_all()
    assert len(first) == len(set(first)) == 3500
    mc_api.client.delete(f"{path}/{mc_api.put_member(mc_list_id, 'member5@example.com')['id']}")
    mc_api.put_member(mc_list_id, "late@example.com")

    second = read_all()
    assert len(second) == 3500
    assert "member5@example.com" not in second
    assert second[-1] == "late@example.com"
    middle = mc_api.client.get(path, params={**fields, "offset": 1500, "count": 2}).json()
    assert [m["email_address"] for m in middle["members"]] == [
        "member1501@example.com",
        "member1502@example.com",
    ]


def test_seed_rejects_bad_requests(mc_api: McApi, mc_list_id: str) -> None:
    assert mc_api.admin("POST", "/seed/members", json={"count": 3}).status_code == 400
    assert (
        mc_api.admin("POST", "/seed/members", json={"list_id": "nope", "count": 3}).status_code
        == 400
    )
    no_template = mc_api.admin(
        "POST",
        "/seed/members",
        json={"list_id": mc_list_id, "count": 3, "email": "same@example.com"},
    )
    assert no_template.status_code == 400
    bad_status = mc_api.admin(
        "POST", "/seed/members", json={"list_id": mc_list_id, "count": 1, "status": "archived"}
    )
    assert bad_status.status_code == 400
    assert mc_api.client.get(f"/lists/{mc_list_id}/members").json()["total_items"] == 0


def test_admin_calls_need_no_key(mc_app: MailchimpSandbox) -> None:
    with mc_client_for(mc_app, key=None) as anonymous:
        assert anonymous.get(f"{MC_HOST}/_sandbox/stats").status_code == 200
        assert anonymous.get(f"{MC_HOST}/_sandbox/nothing").status_code == 404


def test_api_root_and_ping(mc_client: httpx.Client) -> None:
    assert mc_client.get("/ping").json() == {"health_status": "Everything's Chimpy!"}
    assert mc_client.get("/").json()["account_id"] == "sandbox"
