"""The MailerLite provider's side of rule-driven groups: reading subscribers as members,
and adding and removing them in batches with the group ids it learnt."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import httpx
from provider_support import SleepRecorder, config, create_group, make_provider, rename, run

from reconciler.engine.membership import Member, MemberRef, MembershipChange
from reconciler.model import Address
from reconciler.providers.base import MembershipOutcome
from reconciler.providers.mailerlite_scan import member_from
from reconciler.providers.registry import create_provider
from reconciler.rules import Status
from reconciler.sandbox import open_app
from reconciler.sandbox.transport import SandboxTransport

#: A list item as recorded (shape of PY `subscribers-list.yml` with `include=groups`).
ITEM: dict[str, Any] = {
    "id": "165971156405323676",
    "email": "ann@example.com",
    "status": "unsubscribed",
    "source": "api",
    "sent": 0,
    "opens_count": 0,
    "clicks_count": 0,
    "open_rate": 0,
    "click_rate": 0,
    "ip_address": None,
    "subscribed_at": "2024-03-01 09:30:00",
    "unsubscribed_at": "2025-01-02 10:00:00",
    "created_at": "2024-02-28 18:00:01",
    "updated_at": "2025-01-02 10:00:00",
    "fields": {"name": "Ann", "tier": "gold", "total_sales": 1200, "z_i_p": None},
    "groups": [{"id": "1", "name": "Partners", "active_count": 3}, {"id": "2", "name": "VIP"}],
    "opted_in_at": None,
    "optin_ip": None,
}


def test_a_listed_subscriber_becomes_a_member_as_rules_see_it():
    member = member_from(ITEM)
    assert member.id == "165971156405323676"
    view = member.view
    assert view.email == "ann@example.com"
    assert view.status is Status.UNSUBSCRIBED
    assert view.fields["tier"] == "gold" and view.fields["z_i_p"] is None
    assert view.groups == frozenset({"Partners", "VIP"})
    assert view.subscribed_at == dt.datetime(2024, 3, 1, 9, 30)
    assert view.created_at == dt.datetime(2024, 2, 28, 18, 0, 1)


def test_odd_values_do_not_stop_a_scan():
    member = member_from(
        {**ITEM, "status": "spam-trap", "groups": None, "subscribed_at": None, "created_at": "?"}
    )
    assert member.view.status == "spam-trap"  # unknown to every status predicate
    assert member.view.groups == frozenset()
    assert member.view.subscribed_at is None and member.view.created_at is None


def test_the_scan_walks_each_status_with_groups_1000_at_a_time_page_after_page():
    """Each status is walked explicitly: the fact sheet does not say which statuses the
    unfiltered list holds. Within a status, each cursor comes from the page before."""
    seen: list[dict[str, str]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/api/subscribers"
        params = dict(request.url.params)
        seen.append(params)
        status = params["filter[status]"]
        if status != "active":  # one (empty) page for the other statuses
            body = {"data": [], "links": {}, "meta": {"next_cursor": None}}
            return httpx.Response(200, json=body)
        page = {None: 1, "c2": 2, "c3": 3}[params.get("cursor")]
        body = {
            "data": [] if page == 3 else [{**ITEM, "id": str(page)}],
            "links": {},
            "meta": {"next_cursor": f"c{page + 1}" if page < 3 else None},
        }
        return httpx.Response(200, json=body)

    provider = make_provider(transport=httpx.MockTransport(answer))

    async def scenario() -> list[list[Member]]:
        try:
            return [page async for page in provider.scan_members(None)]
        finally:
            await provider.aclose()

    pages = run(scenario)
    # Every page, the empty ones too: the caller counts the pages read.
    assert sorted(m.id for page in pages for m in page) == ["1", "2"]
    assert len(pages) == 3 + 4
    base = {"limit": "1000", "include": "groups"}
    active = [p for p in seen if p["filter[status]"] == "active"]
    assert active == [
        {**base, "filter[status]": "active"},
        {**base, "filter[status]": "active", "cursor": "c2"},
        {**base, "filter[status]": "active", "cursor": "c3"},
    ]
    assert sorted({p["filter[status]"] for p in seen}) == [
        "active",
        "bounced",
        "junk",
        "unconfirmed",
        "unsubscribed",
    ]
    assert provider.request_count == 7


def _api(db: Path) -> httpx.Client:
    return httpx.Client(
        transport=SandboxTransport(open_app("mailerlite", db)),
        base_url="http://sandbox.invalid",
        headers={"Authorization": "Bearer test"},
    )


def _members(client: httpx.Client, group_id: str) -> set[str]:
    body = client.get(
        f"/api/groups/{group_id}/subscribers", params={"limit": 1000, "filter[status]": "active"}
    ).json()
    return {item["email"] for item in body["data"]}


def test_members_are_added_and_removed_in_batches_of_50_using_ids_from_apply(tmp_path: Path):
    db = tmp_path / "ml.db"
    with _api(db) as client:
        made = client.post(
            "/_sandbox/subscribers",
            json={"generate": {"count": 120, "email": "s{n}@example.test"}},
        )
        assert made.status_code == 201
        old = client.post("/api/groups", json={"name": "Old"}).json()["data"]["id"]
        listed = client.get("/api/subscribers", params={"limit": 1000}).json()["data"]
    ids = {item["email"]: item["id"] for item in listed}
    with _api(db) as client:
        for email in ("s1@example.test", "s2@example.test"):
            client.post(f"/api/subscribers/{ids[email]}/groups/{old}")

    provider = create_provider(config(sandbox=db, token=None), sleep=SleepRecorder())
    ref = {email: MemberRef(i, email) for email, i in ids.items()}
    fresh = Address.of("mailerlite", "group", "Fresh")
    renamed = Address.of("mailerlite", "group", "Renamed")
    unknown = MemberRef("999999999", "ghost@example.test")
    changes = [
        # 100 adds to a group created moments ago: two batches (50 + 50)...
        MembershipChange(fresh, [ref[f"s{n}@example.test"] for n in range(1, 101)], [], 0),
        # ...then, in the same batch, an add, a remove and a subscriber that is gone.
        MembershipChange(renamed, [ref["s3@example.test"], unknown], [ref["s1@example.test"]], 2),
    ]
    progress: list[MembershipOutcome] = []

    async def scenario() -> list[MembershipOutcome]:
        try:
            await provider.read()
            applied = await provider.apply(
                [create_group("Fresh"), rename("group", "Old", "Renamed", str(old))]
            )
            assert applied.ok, applied.failed
            return await provider.apply_membership(changes, progress.append)
        finally:
            await provider.aclose()

    with _api(db) as client:
        client.delete("/_sandbox/stats")
    fresh_outcome, renamed_outcome = run(scenario)

    assert (fresh_outcome.added, fresh_outcome.removed, fresh_outcome.ok) == (100, 0, True)
    assert (renamed_outcome.added, renamed_outcome.removed, renamed_outcome.failed) == (1, 1, 1)
    assert "1 of 3 member changes failed" in renamed_outcome.error
    assert "ghost@example.test" in renamed_outcome.error and "422" in renamed_outcome.error
    # After each batch (they run concurrently), the running totals of the changes it touched.
    assert sorted((o.change.address.name, o.added) for o in progress) == [
        ("Fresh", 50),
        ("Fresh", 100),
        ("Renamed", 1),
    ]
    with _api(db) as client:
        stats = client.get("/_sandbox/stats").json()
        groups = {g["name"]: g["id"] for g in client.get("/api/groups").json()["data"]}
        assert _members(client, groups["Fresh"]) == {f"s{n}@example.test" for n in range(1, 101)}
        assert _members(client, groups["Renamed"]) == {"s2@example.test", "s3@example.test"}
    # 103 member writes: 3 batches, and no request of their own.
    assert stats["by_route"]["POST /api/batch"] == 3
    assert "POST /api/subscribers/{subscriber}/groups/{group_id}" not in stats["by_route"]
    assert stats["batched"]["POST /api/subscribers/{subscriber}/groups/{group_id}"] == 102
    assert stats["batched"]["DELETE /api/subscribers/{subscriber}/groups/{group_id}"] == 1


def test_a_group_without_an_id_fails_without_a_request(tmp_path: Path):
    provider = create_provider(config(sandbox=tmp_path / "ml.db", token=None))
    change = MembershipChange(
        Address.of("mailerlite", "group", "Nowhere"), [MemberRef("1", "a@example.test")], [], 0
    )

    async def scenario() -> list[MembershipOutcome]:
        try:
            await provider.read()
            before = provider.request_count
            outcomes = await provider.apply_membership([change])
            assert provider.request_count == before
            return outcomes
        finally:
            await provider.aclose()

    (outcome,) = run(scenario)
    assert not outcome.ok and outcome.failed == 1
    assert "has no MailerLite id" in outcome.error
    json.dumps(outcome.error)  # a plain message, safe to print or log
