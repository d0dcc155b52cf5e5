"""MailerLite sandbox: admin API (stats, bulk seeding), persistence, indexes, concurrency."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from mailerlite_support import ML_BASE_URL, ML_TOKEN, MlApi

from reconciler.sandbox.mailerlite import MailerLiteApp
from reconciler.sandbox.transport import SandboxTransport


def test_stats_count_api_requests_by_route_template(ml_api: MlApi) -> None:
    group = ml_api.create_group("G")
    ml_api.client.get(f"/api/groups/{group['id']}")
    ml_api.client.get("/api/groups/121212")
    ml_api.client.get("/api/nowhere")
    ml_api.client.post(
        "/api/batch",
        json={"requests": [{"method": "GET", "path": "api/groups"}] * 2},
    )
    ml_api.admin("GET", "/faults")  # admin calls are not counted

    stats = ml_api.admin("GET", "/stats").json()

    assert stats["total"] == 5
    assert stats["by_route"] == {
        "POST /api/groups": 1,
        "GET /api/groups/{group_id}": 2,
        "GET (unknown route)": 1,  # never the raw path, which may hold a token
        "POST /api/batch": 1,
    }
    assert stats["batched"] == {"GET /api/groups": 2} and stats["batched_total"] == 2


def test_stats_reset(ml_api: MlApi) -> None:
    ml_api.client.get("/api/groups")

    reset = ml_api.admin("DELETE", "/stats")

    assert reset.status_code == 204
    assert ml_api.admin("GET", "/stats").json()["total"] == 0


def test_unauthenticated_and_faulted_requests_are_counted_too(
    ml_api: MlApi, ml_make_client: Callable[..., httpx.Client], ml_app: MailerLiteApp
) -> None:
    ml_api.admin("POST", "/faults", {"status": 500})
    ml_api.client.get("/api/groups")
    ml_make_client(ml_app, token=None).get("/api/groups")

    assert ml_api.admin("GET", "/stats").json()["by_route"] == {"GET /api/groups": 2}


def test_generated_bulk_seed_with_cycled_values_and_a_group(ml_api: MlApi) -> None:
    ml_api.create_field("Tier")
    group = ml_api.create_group("Seeded")

    seeded = ml_api.admin(
        "POST",
        "/subscribers",
        {
            "generate": {
                "count": 3000,
                "email": "User{n}@Example.test",
                "fields": {"tier": ["gold", "silver", "bronze"], "name": "Person {n}"},
                "groups": [group["id"]],
            }
        },
    )
    count = ml_api.client.get("/api/subscribers", params={"limit": 0}).json()
    group_data = ml_api.client.get(f"/api/groups/{group['id']}").json()["data"]
    newest = ml_api.client.get("/api/subscribers", params={"limit": 1}).json()["data"][0]

    assert seeded.status_code == 201 and seeded.json() == {"created": 3000, "skipped": 0}
    assert count == {"total": 3000}
    assert group_data["active_count"] == 3000
    assert newest["email"] == "user3000@example.test"
    assert newest["fields"]["tier"] == "gold" and newest["fields"]["name"] == "Person 3000"
    assert newest["source"] == "import"


def test_members_stream_through_many_pages(ml_api: MlApi) -> None:
    group = ml_api.create_group("Big")
    ml_api.admin("POST", "/subscribers", {"generate": {"count": 2500, "groups": [group["id"]]}})
    seen = 0
    cursor = None
    while True:
        params: dict[str, str | int] = {"limit": 1000, "include": "groups"}
        if cursor:
            params["cursor"] = cursor
        body = ml_api.client.get(f"/api/groups/{group['id']}/subscribers", params=params).json()
        seen += len(body["data"])
        cursor = body["meta"]["next_cursor"]
        if cursor is None:
            break

    assert seen == 2500


def test_listed_seed_skips_known_emails_and_sets_status(ml_api: MlApi) -> None:
    ml_api.upsert("known@example.com")

    seeded = ml_api.admin(
        "POST",
        "/subscribers",
        {
            "subscribers": [
                {"email": "known@example.com"},
                {"email": "gone@example.com", "status": "unsubscribed"},
            ]
        },
    )
    gone = ml_api.client.get("/api/subscribers/gone@example.com").json()["data"]

    assert seeded.json() == {"created": 1, "skipped": 1}
    assert gone["status"] == "unsubscribed" and gone["unsubscribed_at"] is not None


@pytest.mark.parametrize(
    "payload",
    [
        {"subscribers": [{"email": "x@example.com", "fields": {"nope": 1}}]},
        {"subscribers": [{"email": "x@example.com", "groups": ["121212"]}]},
        {"subscribers": [{"email": "not-an-email"}]},
        {"generate": {"count": 2, "email": "fixed@example.com"}},
        {},
    ],
)
def test_bad_seed_payloads_are_refused_and_nothing_is_written(
    ml_api: MlApi, payload: dict[str, object]
) -> None:
    response = ml_api.admin("POST", "/subscribers", payload)

    assert response.status_code == 422
    assert set(response.json()) == {"message", "errors"}
    assert ml_api.client.get("/api/subscribers", params={"limit": 0}).json() == {"total": 0}


def test_unknown_admin_path(ml_api: MlApi) -> None:
    assert ml_api.admin("GET", "/nothing").status_code == 404
    assert ml_api.admin("PUT", "/stats").status_code == 405


def test_state_persists_when_the_file_is_reopened(
    ml_make_app: Callable[..., MailerLiteApp],
    ml_make_client: Callable[..., httpx.Client],
    ml_db_path: Path,
) -> None:
    first = ml_make_client(ml_make_app())
    group = first.post("/api/groups", json={"name": "Durable"}).json()["data"]
    sub = first.post("/api/subscribers", json={"email": "d@example.com", "groups": [group["id"]]})

    second = ml_make_client(ml_make_app())
    reopened = second.get(f"/api/subscribers/{sub.json()['data']['id']}").json()["data"]
    next_group = second.post("/api/groups", json={"name": "Next"}).json()["data"]
    fields = second.get("/api/fields").json()["meta"]["total"]

    assert [g["name"] for g in reopened["groups"]] == ["Durable"]
    assert int(next_group["id"]) > int(group["id"])
    assert fields == 8  # built-ins are seeded once, not again on reopen


def test_state_is_shared_with_another_process(ml_api: MlApi, ml_db_path: Path) -> None:
    ml_api.create_group("Made here")
    script = textwrap.dedent(
        f"""
        import httpx, json
        from reconciler.sandbox import open_app
        from reconciler.sandbox.transport import SandboxTransport
        app = open_app("mailerlite", {str(ml_db_path)!r})
        client = httpx.Client(transport=SandboxTransport(app), base_url={ML_BASE_URL!r},
                              headers={{"Authorization": "Bearer t"}})
        client.post("/api/groups", json={{"name": "Made there"}})
        print(json.dumps([g["name"] for g in client.get("/api/groups").json()["data"]]))
        app.close()
        """
    )

    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )

    assert out.stdout.strip() == '["Made here", "Made there"]'
    names = [g["name"] for g in ml_api.client.get("/api/groups").json()["data"]]
    assert names == ["Made here", "Made there"]


def test_file_uses_wal(ml_app: MailerLiteApp, ml_db_path: Path) -> None:
    with sqlite3.connect(ml_db_path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


@pytest.mark.parametrize(
    ("sql", "params"),
    [
        ("SELECT s.* FROM subscribers s WHERE s.id < ? ORDER BY s.id DESC LIMIT 5", (9,)),
        (
            "SELECT s.* FROM subscribers s WHERE s.status = ? AND s.id < ?"
            " ORDER BY s.id DESC LIMIT 5",
            ("active", 9),
        ),
        (
            "SELECT s.* FROM memberships m JOIN subscribers s ON s.id = m.subscriber_id"
            " WHERE m.group_id = ? AND m.status = ? AND m.subscriber_id < ?"
            " ORDER BY m.subscriber_id DESC LIMIT 5",
            (1, "active", 9),
        ),
        ("SELECT status, count(*) FROM memberships WHERE group_id = ? GROUP BY status", (1,)),
        ("SELECT group_id FROM memberships WHERE subscriber_id = ?", (1,)),
        ("SELECT * FROM subscribers WHERE email = ?", ("a@example.com",)),
        (
            "SELECT s.* FROM segment_members sm JOIN subscribers s ON s.id = sm.subscriber_id"
            " WHERE sm.segment_id = ? AND s.status = ? ORDER BY sm.subscriber_id DESC LIMIT 5",
            (1, "active"),
        ),
    ],
)
def test_paging_and_membership_queries_use_indexes(
    ml_app: MailerLiteApp, ml_db_path: Path, sql: str, params: tuple[object, ...]
) -> None:
    with sqlite3.connect(ml_db_path) as db:
        plan = " | ".join(row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {sql}", params))

    assert "TEMP B-TREE" not in plan, plan
    assert "SCAN s" not in plan and "SCAN m" not in plan and "SCAN subscribers" not in plan, plan


def test_concurrent_async_requests_are_served(ml_app: MailerLiteApp) -> None:
    async def scenario() -> list[int]:
        async with httpx.AsyncClient(
            transport=SandboxTransport(ml_app),
            base_url=ML_BASE_URL,
            headers={"Authorization": f"Bearer {ML_TOKEN}"},
        ) as client:
            answers = await asyncio.gather(
                *(
                    client.post("/api/subscribers", json={"email": f"c{n}@example.com"})
                    for n in range(40)
                )
            )
        return [answer.status_code for answer in answers]

    codes = asyncio.run(scenario())

    assert codes == [201] * 40
