"""Mailchimp rule-driven tags, on recorded-shape responses: scanning contacts and batches.

The account read is the fixture account (audience "Pet Care Club", tags VIP = 30101 and
"Adopted 2024" = 30102); the members collection is synthesised per request from the
`offset` and `count` asked for, the way the API pages it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
from provider_support import SleepRecorder, run
from test_mailchimp_provider_support import (
    API,
    AUDIENCE,
    BASE,
    PETS,
    config,
    create,
    fixture,
    make_provider,
    mock_account,
)

from reconciler.engine.membership import Member, MemberRef, MembershipChange
from reconciler.model import Address, Audience, Tag
from reconciler.providers.base import MembershipOutcome, ProviderError
from reconciler.providers.mailchimp import Mailchimp
from reconciler.providers.mailchimp_members import MEMBER_FIELDS
from reconciler.providers.registry import create_provider
from reconciler.rules import Status
from reconciler.sandbox import open_app
from reconciler.sandbox.transport import SandboxTransport

MEMBERS = f"{API}/lists/{PETS}/members"
VIP = AUDIENCE.child("tag", "VIP")
STATUSES = ["subscribed", "unsubscribed", "pending", "cleaned", "transactional"]


def email(i: int) -> str:
    return f"owner{i}@pets.example"


def digest(address: str) -> str:
    return hashlib.md5(address.lower().encode()).hexdigest()


def contact(i: int, **extra: Any) -> dict[str, Any]:
    return {
        "id": digest(email(i)),
        "email_address": email(i),
        "status": STATUSES[i % len(STATUSES)],
        "merge_fields": {"FNAME": f"Owner {i}", "VISITS": i % 7, "PETTYPE": ""},
        "tags": [{"id": 30101, "name": "VIP"}] if i % 3 == 0 else [],
        "tags_count": 1 if i % 3 == 0 else 0,
        "timestamp_opt": "2024-05-10T13:02:44+00:00",
        "timestamp_signup": "",
        **extra,
    }


def members_route(
    contacts: list[dict[str, Any]], seen: list[httpx.Request]
) -> Callable[[httpx.Request], Any]:
    """Answers GET members like the API: a window of `contacts` and the total."""

    async def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        await asyncio.sleep(0)
        offset = int(request.url.params.get("offset", 0))
        count = min(int(request.url.params.get("count", 10)), 1000)
        window = contacts[offset : offset + count]
        return httpx.Response(200, json={"members": window, "total_items": len(contacts)})

    return answer


def scan(
    contacts: list[dict[str, Any]],
    *,
    extra: Callable[[respx.MockRouter], None] | None = None,
    stop_after: int | None = None,
    **overrides: Any,
) -> tuple[list[list[Member]], list[httpx.Request], respx.MockRouter]:
    seen: list[httpx.Request] = []

    async def scenario() -> tuple[list[list[Member]], respx.MockRouter]:
        with respx.mock(assert_all_called=False) as mock:
            mock_account(mock)
            if extra is not None:  # first: respx answers with the first route that matches
                extra(mock)
            mock.get(MEMBERS).mock(side_effect=members_route(contacts, seen))
            provider = make_provider(**overrides)
            pages: list[list[Member]] = []
            try:
                await provider.read()
                async for page in provider.scan_members(AUDIENCE):
                    pages.append(page)
                    if stop_after is not None and len(pages) >= stop_after:
                        break
            finally:
                await provider.aclose()
            return pages, mock

    pages, mock = run(scenario)
    return pages, seen, mock


# --- scanning ----------------------------------------------------------------------------


def test_scan_pages_by_1000_with_only_the_fields_rules_read() -> None:
    pages, seen, _ = scan([contact(i) for i in range(2500)])
    assert [len(page) for page in pages] == [1000, 1000, 500]
    assert [m.id for page in pages for m in page] == [email(i) for i in range(2500)]
    assert sorted(int(r.url.params["offset"]) for r in seen) == [0, 1000, 2000]
    assert {r.url.params["count"] for r in seen} == {"1000"}
    fields = set(seen[0].url.params["fields"].split(","))
    assert fields == set(MEMBER_FIELDS.split(","))
    assert {
        "members.email_address",
        "members.status",
        "members.merge_fields",
        "members.tags",
        "members.tags_count",
        "members.timestamp_opt",
        "members.timestamp_signup",
        "total_items",
    } <= fields


def test_a_contact_becomes_what_rules_see() -> None:
    data = contact(
        3,
        status="pending",
        timestamp_opt="2024-05-10T13:02:44+00:00",
        timestamp_signup="2024-05-09T08:00:00+00:00",
    )
    bare = contact(4, status="subscribed", timestamp_opt="", timestamp_signup="")
    imported = contact(5, timestamp_signup="")
    pages, _, _ = scan([data, bare, imported])
    first, second, third = pages[0]
    assert first.id == first.view.email == email(3)
    assert first.view.status is Status.UNCONFIRMED
    assert first.view.fields == {"FNAME": "Owner 3", "VISITS": 3, "PETTYPE": ""}
    assert set(first.view.tags) == {"VIP"}
    assert first.view.subscribed_at == dt.datetime(2024, 5, 10, 13, 2, 44, tzinfo=dt.UTC)
    assert first.view.created_at == dt.datetime(2024, 5, 9, 8, 0, tzinfo=dt.UTC)
    assert second.view.status is Status.ACTIVE
    assert (second.view.subscribed_at, second.view.created_at) == (None, None)
    # Without a signup time (API and imports), joining is opting in.
    assert third.view.created_at == third.view.subscribed_at is not None


def test_archived_contacts_are_left_out_but_paging_steps_over_them() -> None:
    contacts = [contact(i, status="archived" if i < 1000 else "subscribed") for i in range(1200)]
    pages, seen, _ = scan(contacts)
    assert [len(page) for page in pages] == [0, 200]
    assert sorted(int(r.url.params["offset"]) for r in seen) == [0, 1000]


def test_an_empty_audience_is_one_request() -> None:
    pages, seen, _ = scan([])
    assert pages == [[]] and len(seen) == 1


@pytest.mark.parametrize("limit", [1, 3, 8])
def test_pages_after_the_first_are_read_ahead_up_to_max_connections(limit: int) -> None:
    in_flight = {"now": 0, "peak": 0}
    contacts = [contact(i) for i in range(12_000)]
    seen: list[httpx.Request] = []
    answer = members_route(contacts, seen)

    async def counted(request: httpx.Request) -> httpx.Response:
        in_flight["now"] += 1
        in_flight["peak"] = max(in_flight["peak"], in_flight["now"])
        for _ in range(10):
            await asyncio.sleep(0)
        in_flight["now"] -= 1
        return await answer(request)

    async def scenario() -> int:
        with respx.mock(assert_all_called=False) as mock:
            mock_account(mock)
            mock.get(MEMBERS).mock(side_effect=counted)
            provider = make_provider(max_connections=limit)
            await provider.read()
            total = 0
            async for page in provider.scan_members(AUDIENCE):
                total += len(page)
            await provider.aclose()
            return total

    assert run(scenario) == 12_000
    assert in_flight["peak"] == limit
    assert len(seen) == 12


def test_stopping_early_cancels_the_pages_read_ahead() -> None:
    pages, seen, _ = scan([contact(i) for i in range(9000)], stop_after=1, max_connections=3)
    assert len(pages) == 1
    # The first page, then at most the window read ahead; nothing after the stop.
    assert len(seen) <= 1 + 3


def test_more_than_50_tags_are_read_in_full_for_that_contact_only() -> None:
    listed = [{"id": 40000 + n, "name": f"Tag {n}"} for n in range(50)]
    crowded = contact(0, tags=listed, tags_count=53)
    plain = contact(1, tags=[{"id": 30101, "name": "VIP"}], tags_count=1)
    all_tags = [{"id": 40000 + n, "name": f"Tag {n}", "date_added": ""} for n in range(53)]
    tag_requests: list[httpx.Request] = []

    def tags_answer(request: httpx.Request) -> httpx.Response:
        tag_requests.append(request)
        return httpx.Response(200, json={"tags": all_tags, "total_items": 53})

    def routes(mock: respx.MockRouter) -> None:
        mock.get(f"{MEMBERS}/{digest(email(0))}/tags").mock(side_effect=tags_answer)

    pages, _, _ = scan([crowded, plain], extra=routes)
    first, second = pages[0]
    assert set(first.view.tags) == {f"Tag {n}" for n in range(53)}
    assert set(second.view.tags) == {"VIP"}
    (request,) = tag_requests
    assert request.url.params["count"] == "1000"
    assert "tags.name" in request.url.params["fields"]


def test_a_scope_that_is_not_an_audience_is_refused() -> None:
    provider = make_provider()
    with pytest.raises(ProviderError, match="per audience"):
        provider.scan_members(None)
    run(provider.aclose)


def test_an_audience_the_account_does_not_have_yet_has_no_contacts() -> None:
    async def scenario() -> list[list[Member]]:
        with respx.mock(assert_all_called=False) as mock:
            mock_account(mock)
            members = mock.get(url__regex=rf"{API}/lists/.*/members")
            provider = make_provider()
            pages = [
                page
                async for page in provider.scan_members(Address.of("mailchimp", "audience", "New"))
            ]
            await provider.aclose()
            assert not members.called
            return pages

    assert run(scenario) == []


def test_a_failed_page_fails_the_scan_with_the_providers_message() -> None:
    def routes(mock: respx.MockRouter) -> None:
        mock.get(MEMBERS, params={"offset": "1000"}).respond(404, json=fixture("error-404"))

    with pytest.raises(
        ProviderError, match='Reading the contacts of audience "Pet Care Club" failed'
    ):
        scan([contact(i) for i in range(2500)], extra=routes, max_attempts=1)


# --- changing membership -----------------------------------------------------------------


def refs(start: int, count: int) -> list[MemberRef]:
    return [MemberRef(email(i), email(i)) for i in range(start, start + count)]


def batch_answer(bodies: list[Any]) -> Callable[[httpx.Request], httpx.Response]:
    def answer(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        bodies.append((request.url.params.get("fields"), body))
        return httpx.Response(
            200,
            json={
                "total_added": len(body.get("members_to_add", [])),
                "total_removed": len(body.get("members_to_remove", [])),
                "errors": [],
                "error_count": 0,
            },
        )

    return answer


def change_members(
    changes: list[MembershipChange],
    routes: Callable[[respx.MockRouter], None],
    before: Callable[[Mailchimp], Any] | None = None,
) -> tuple[list[MembershipOutcome], list[MembershipOutcome]]:
    reported: list[MembershipOutcome] = []

    async def scenario() -> list[MembershipOutcome]:
        with respx.mock(assert_all_called=False) as mock:
            mock_account(mock)
            routes(mock)
            provider = make_provider()
            try:
                await provider.read()
                if before is not None:
                    await before(provider)
                return await provider.apply_membership(changes, reported.append)
            finally:
                await provider.aclose()

    return run(scenario), reported


def test_adds_and_removes_go_in_batches_of_at_most_500_each() -> None:
    bodies: list[Any] = []
    change = MembershipChange(VIP, add=refs(0, 1200), remove=refs(5000, 300), current_size=41)

    def routes(mock: respx.MockRouter) -> None:
        mock.post(f"{API}/lists/{PETS}/segments/30101").mock(side_effect=batch_answer(bodies))

    outcomes, reported = change_members([change], routes)
    assert len(bodies) == 3
    assert all(fields and "total_added" in fields and "errors" in fields for fields, _ in bodies)
    sent = [body for _, body in bodies]
    assert sorted(len(b.get("members_to_add", [])) for b in sent) == [200, 500, 500]
    assert sorted(len(b.get("members_to_remove", [])) for b in sent) == [0, 0, 300]
    assert all(len(b.get("members_to_add", [])) <= 500 for b in sent)
    added = [e for b in sent for e in b.get("members_to_add", [])]
    assert sorted(added) == sorted(email(i) for i in range(1200))
    assert [e for b in sent for e in b.get("members_to_remove", [])] == [
        email(i) for i in range(5000, 5300)
    ]
    (outcome,) = outcomes
    assert (outcome.added, outcome.removed, outcome.ok) == (1200, 300, True)
    assert reported == outcomes


def test_a_tag_created_earlier_in_the_same_apply_is_found_by_its_new_id() -> None:
    foster = AUDIENCE.child("tag", "Foster carer")
    bodies: list[Any] = []

    def routes(mock: respx.MockRouter) -> None:
        mock.post(f"{API}/lists/{PETS}/segments").respond(200, json=fixture("tag-created"))
        mock.post(f"{API}/lists/{PETS}/segments/30110").mock(side_effect=batch_answer(bodies))

    async def create_tag(provider: Mailchimp) -> None:
        result = await provider.apply([create(Tag(address=foster))])
        assert result.ok

    change = MembershipChange(foster, add=refs(0, 2))
    outcomes, _ = change_members([change], routes, before=create_tag)
    assert [o.added for o in outcomes] == [2]
    assert bodies[0][1] == {"members_to_add": [email(0), email(1)]}


def test_tags_are_found_whatever_their_case() -> None:
    bodies: list[Any] = []

    def routes(mock: respx.MockRouter) -> None:
        mock.post(f"{API}/lists/{PETS}/segments/30102").mock(side_effect=batch_answer(bodies))

    change = MembershipChange(AUDIENCE.child("tag", "adopted 2024"), remove=refs(0, 1))
    outcomes, _ = change_members([change], routes)
    assert outcomes[0].removed == 1 and outcomes[0].ok


def test_addresses_mailchimp_refuses_are_reported_with_the_counts_it_made() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            json={
                "total_added": 2,
                "total_removed": 0,
                "errors": [
                    {
                        "email_addresses": [email(i) for i in range(2, 7)],
                        "error": "These addresses are not members of this list.",
                    }
                ],
                "error_count": 5,
            },
        )

    def routes(mock: respx.MockRouter) -> None:
        mock.post(f"{API}/lists/{PETS}/segments/30101").mock(side_effect=answer)

    (outcome,), _ = change_members([MembershipChange(VIP, add=refs(0, 7))], routes)
    assert (outcome.added, outcome.ok) == (2, False)
    assert "did not change 5 address(es)" in outcome.error
    assert f"{email(2)}, {email(3)}, {email(4)} and 2 more" in outcome.error
    assert "These addresses are not members of this list" in outcome.error


def test_a_failed_request_is_reported_and_the_other_batches_still_count() -> None:
    calls = {"n": 0}

    def answer(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        body = json.loads(request.content)
        if len(body.get("members_to_add", [])) == 100:
            return httpx.Response(400, json=fixture("error-400-merge-field"))
        return httpx.Response(200, json={"total_added": 500, "total_removed": 0, "errors": []})

    def routes(mock: respx.MockRouter) -> None:
        mock.post(f"{API}/lists/{PETS}/segments/30101").mock(side_effect=answer)

    unknown = MembershipChange(AUDIENCE.child("tag", "Nope"), add=refs(0, 1))
    elsewhere = MembershipChange(AUDIENCE.child("segment", "Saved"), add=refs(0, 1))
    outcomes, reported = change_members(
        [MembershipChange(VIP, add=refs(0, 600)), unknown, elsewhere], routes
    )
    first, second, third = outcomes
    assert (first.added, first.ok) == (500, False)
    assert "400" in first.error or "Invalid Resource" in first.error
    assert calls["n"] == 2
    assert not second.ok and 'has no tag "Nope"' in second.error
    assert not third.ok and "tags only" in third.error
    assert reported == outcomes


def test_nothing_to_change_sends_nothing() -> None:
    def routes(mock: respx.MockRouter) -> None:
        mock.post(url__regex=rf"{API}/lists/.*/segments/.*").respond(500)

    (outcome,), _ = change_members([MembershipChange(VIP)], routes)
    assert (outcome.added, outcome.removed, outcome.ok) == (0, 0, True)


def test_membership_without_a_read_reads_the_ids_first() -> None:
    bodies: list[Any] = []

    async def scenario() -> list[MembershipOutcome]:
        with respx.mock(assert_all_called=False) as mock:
            mock_account(mock)
            mock.post(f"{API}/lists/{PETS}/segments/30101").mock(side_effect=batch_answer(bodies))
            provider = make_provider()
            try:
                return await provider.apply_membership([MembershipChange(VIP, add=refs(0, 1))])
            finally:
                await provider.aclose()

    (outcome,) = run(scenario)
    assert outcome.ok and outcome.added == 1


def test_base_url_is_the_one_the_fixtures_answer() -> None:
    # Guards the helpers above: every route they build lives under the configured base.
    assert API.startswith(BASE)


# --- on the sandbox ------------------------------------------------------------------------


def test_on_the_sandbox_a_contact_with_55_tags_is_read_whole_and_batches_land(
    tmp_path: Path,
) -> None:
    provider = create_provider(
        config(sandbox=tmp_path / "mc.db", api_key=None, base_url=None), sleep=SleepRecorder()
    )
    assert isinstance(provider, Mailchimp)
    audience = Address.of("mailchimp", "audience", "Club")
    busy = [f"Badge {n:02}" for n in range(55)]

    async def scenario() -> tuple[list[Member], list[MembershipOutcome], list[Member]]:
        try:
            club = Audience(
                address=audience,
                contact={"company": "C", "address1": "A", "city": "B", "country": "GB"},
                permission_reminder="You joined the club.",
                campaign_defaults={
                    "from_name": "Club",
                    "from_email": "club@example.com",
                    "subject": "",
                    "language": "en",
                },
                email_type_option=False,
            )
            tag = Tag(address=audience.child("tag", "Regular"))
            assert (await provider.apply([create(club), create(tag)])).ok
            list_id = (await provider.read()).get(audience).id  # type: ignore[union-attr]
            members = [{"email_address": email(i), "status": "subscribed"} for i in range(700)]
            members[0]["tags"] = busy
            admin = httpx.Client(
                transport=SandboxTransport(open_app("mailchimp", tmp_path / "mc.db")),
                base_url="http://sandbox.invalid",
            )
            with admin:
                seeded = admin.post(
                    "/_sandbox/seed/members", json={"list_id": list_id, "members": members}
                )
                assert seeded.status_code == 200, seeded.text
            before = [m async for page in provider.scan_members(audience) for m in page]
            change = MembershipChange(
                audience.child("tag", "regular"), add=[MemberRef(m.id, m.id) for m in before]
            )
            outcomes = await provider.apply_membership([change])
            after = [m async for page in provider.scan_members(audience) for m in page]
            return before, outcomes, after
        finally:
            await provider.aclose()

    before, outcomes, after = run(scenario)
    assert len(before) == 700
    assert set(before[0].view.tags) == set(busy)
    assert [(o.added, o.removed, o.ok) for o in outcomes] == [(700, 0, True)]
    assert all("Regular" in m.view.tags for m in after)
    assert set(after[0].view.tags) == {*busy, "Regular"}
