"""MailerLite apply: the request each action sends, batching, and stopping on failure."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import httpx
import respx
from provider_support import (
    BASE,
    create_field,
    create_group,
    delete,
    fixture,
    make_provider,
    rename,
    replace_field,
    run,
    update_field,
)

from reconciler.engine.plan import Action, Change
from reconciler.model import Address, Segment
from reconciler.providers.ambiguity import MAX_ROUNDS
from reconciler.providers.base import ApplyResult, Outcome

EMPTY_PAGE = {"data": [], "links": {"next": None}, "meta": {"current_page": 1, "last_page": 1}}


def apply(
    changes: Sequence[Change], routes: Any
) -> tuple[ApplyResult, list[Outcome], list[httpx.Request]]:
    """Apply with respx routes set up by `routes(mock)`; return result, progress, and the
    write requests (reads, which settle lost answers and duplicates, find an empty
    account unless `routes` says otherwise; test_ambiguous_writes covers them)."""
    reported: list[Outcome] = []

    async def scenario() -> tuple[ApplyResult, list[httpx.Request]]:
        with respx.mock(base_url=BASE, assert_all_called=False) as mock:
            routes(mock)
            for collection in ("groups", "fields", "segments"):
                mock.get(f"/api/{collection}").respond(200, json=EMPTY_PAGE)
            provider = make_provider()
            result = await provider.apply(changes, reported.append)
            await provider.aclose()
            return result, [c.request for c in mock.calls if c.request.method != "GET"]

    result, requests = run(scenario)
    return result, reported, requests


def sent(request: httpx.Request) -> tuple[str, str, Any]:
    body = json.loads(request.content) if request.content else None
    return request.method, request.url.path, body


def test_create_group_posts_its_name_and_returns_the_new_id() -> None:
    result, reported, requests = apply(
        [create_group("Donors")],
        lambda m: m.post("/api/groups").respond(201, json=fixture("group-created")),
    )
    assert [sent(r) for r in requests] == [("POST", "/api/groups", {"name": "Donors"})]
    (outcome,) = result.outcomes
    assert outcome.ok and outcome.result is not None
    assert outcome.result.id == "140215902214458010"
    assert reported == result.outcomes


def test_create_field_posts_name_and_type() -> None:
    result, _, requests = apply(
        [create_field("donation_total", "number", name="Donation total")],
        lambda m: m.post("/api/fields").respond(201, json=fixture("field-created")),
    )
    assert [sent(r) for r in requests] == [
        ("POST", "/api/fields", {"name": "Donation total", "type": "number"})
    ]
    assert result.outcomes[0].warning == ""
    assert result.outcomes[0].result.key == "donation_total"


def test_create_field_without_a_name_uses_the_key() -> None:
    _, _, requests = apply(
        [create_field("donation_total", "number")],
        lambda m: m.post("/api/fields").respond(201, json=fixture("field-created")),
    )
    assert sent(requests[0])[2] == {"name": "donation_total", "type": "number"}


def test_a_derived_key_other_than_declared_is_ok_with_a_warning() -> None:
    result, _, _ = apply(
        [create_field("pet_kind", name="Pet Type")],
        lambda m: m.post("/api/fields").respond(201, json=fixture("field-created-other-key")),
    )
    (outcome,) = result.outcomes
    assert outcome.ok
    assert outcome.result.address == Address.of("mailerlite", "field", "pet_type")
    assert '"pet_type"' in outcome.warning and '"pet_kind"' in outcome.warning
    assert "declare" in outcome.warning.lower()


def test_rename_group_puts_the_new_name_to_the_old_id() -> None:
    result, _, requests = apply(
        [rename("group", "Gold", "Gold Partners", "140215902214458002")],
        lambda m: m.put("/api/groups/140215902214458002").respond(
            200, json=fixture("group-renamed")
        ),
    )
    assert [sent(r) for r in requests] == [
        ("PUT", "/api/groups/140215902214458002", {"name": "Gold Partners"})
    ]
    outcome = result.outcomes[0]
    assert outcome.result.id == "140215902214458002"
    assert outcome.result.key == "Gold Partners"


def test_rename_segment_puts_to_the_segment() -> None:
    _, _, requests = apply(
        [rename("segment", "Never opened", "Dormant", "140216001180001002")],
        lambda m: m.put("/api/segments/140216001180001002").respond(
            200, json=fixture("segment-renamed")
        ),
    )
    assert [sent(r) for r in requests] == [
        ("PUT", "/api/segments/140216001180001002", {"name": "Dormant"})
    ]


def test_update_field_sends_only_the_name() -> None:
    _, _, requests = apply(
        [update_field("partner_key", "140215883726620011", "Partner key", "Partner ID")],
        lambda m: m.put("/api/fields/140215883726620011").respond(
            200, json=fixture("field-renamed")
        ),
    )
    assert [sent(r) for r in requests] == [
        ("PUT", "/api/fields/140215883726620011", {"name": "Partner ID"})
    ]


def test_delete_sends_delete_to_the_id() -> None:
    result, _, requests = apply(
        [delete("group", "Gold", "140215902214458002")],
        lambda m: m.delete("/api/groups/140215902214458002").respond(204),
    )
    assert [sent(r) for r in requests] == [("DELETE", "/api/groups/140215902214458002", None)]
    assert result.ok and result.outcomes[0].result is None


def test_replace_deletes_then_creates_the_field() -> None:
    def routes(m: respx.MockRouter) -> None:
        m.delete("/api/fields/140215883726620012").respond(204)
        m.post("/api/fields").respond(201, json=fixture("field-created"))

    result, _, requests = apply(
        [replace_field("donation_total", "140215883726620012", "Donation total", "text", "number")],
        routes,
    )
    assert [sent(r) for r in requests] == [
        ("DELETE", "/api/fields/140215883726620012", None),
        ("POST", "/api/fields", {"name": "Donation total", "type": "number"}),
    ]
    assert result.ok and result.outcomes[0].result.id == "140215883726620020"


def test_replace_whose_create_fails_says_the_field_is_gone() -> None:
    def routes(m: respx.MockRouter) -> None:
        m.delete("/api/fields/140215883726620012").respond(204)
        m.post("/api/fields").respond(422, json=fixture("error-422-name"))

    result, _, _ = apply(
        [replace_field("donation_total", "140215883726620012", "x" * 300, "text", "number")],
        routes,
    )
    error = result.outcomes[0].error
    assert "deleted but could not be created again" in error
    assert "may not be greater than 255 characters" in error


def batch_echo(request: httpx.Request) -> httpx.Response:
    """A batch endpoint that creates every group it is sent."""
    subs = json.loads(request.content)["requests"]
    responses = [
        {"code": 201, "body": {"data": {"id": f"9{n:05d}", "name": sub["body"]["name"]}}}
        for n, sub in enumerate(subs)
    ]
    return httpx.Response(
        200, json={"total": len(subs), "successful": len(subs), "failed": 0, "responses": responses}
    )


def test_many_creates_go_through_batches_of_fifty() -> None:
    changes = [create_group(f"Region {n:03d}") for n in range(120)]
    result, reported, requests = apply(
        changes, lambda m: m.post("/api/batch").mock(side_effect=batch_echo)
    )
    assert [r.url.path for r in requests] == ["/api/batch"] * 3
    batches = [json.loads(r.content)["requests"] for r in requests]
    assert [len(b) for b in batches] == [50, 50, 20]
    assert batches[0][0] == {"method": "POST", "path": "api/groups", "body": {"name": "Region 000"}}
    assert [sub["body"]["name"] for b in batches for sub in b] == [c.address.name for c in changes]
    assert result.ok and len(result.outcomes) == 120
    assert [o.change for o in reported] == changes
    assert all(isinstance(o.result.id, str) for o in result.outcomes)


def test_a_failed_sub_request_fails_its_change_and_stops_the_apply() -> None:
    changes = [
        create_field("tier"),
        create_field("tier_copy", name="Tier"),
        create_field("status"),
        rename("group", "Gold", "Gold Partners", "140215902214458002"),
    ]
    result, reported, requests = apply(
        changes, lambda m: m.post("/api/batch").respond(200, json=fixture("batch-field-422"))
    )
    assert [r.url.path for r in requests] == ["/api/batch"]
    assert len(json.loads(requests[0].content)["requests"]) == 3
    assert [o.ok for o in result.outcomes] == [True, False, True]
    failed = result.failed[0]
    assert failed.change is changes[1]
    assert "name: Field name must be unique" in failed.error
    assert "tier_copy" in failed.error
    assert reported == result.outcomes
    assert changes[3] not in [o.change for o in result.outcomes]


def test_phases_are_batched_separately_and_in_order() -> None:
    changes = [
        create_group("A"),
        create_group("B"),
        rename("group", "Old C", "C", "31"),
        rename("segment", "Old S", "S", "41"),
        delete("field", "legacy", "51"),
    ]

    def batch(request: httpx.Request) -> httpx.Response:
        subs = json.loads(request.content)["requests"]
        return httpx.Response(
            200,
            json={
                "responses": [
                    {"code": 200, "body": {"data": {"id": str(n), "name": s["body"]["name"]}}}
                    for n, s in enumerate(subs)
                ]
            },
        )

    def routes(m: respx.MockRouter) -> None:
        m.post("/api/batch").mock(side_effect=batch)
        m.delete("/api/fields/51").respond(204)

    result, _, requests = apply(changes, routes)
    assert result.ok
    assert [sent(r)[:2] for r in requests] == [
        ("POST", "/api/batch"),
        ("POST", "/api/batch"),
        ("DELETE", "/api/fields/51"),
    ]
    assert [s["path"] for s in json.loads(requests[1].content)["requests"]] == [
        "api/groups/31",
        "api/segments/41",
    ]


def test_dependent_renames_do_not_share_a_batch() -> None:
    # "B" must be free before "A" can take its name.
    changes = [rename("group", "B", "C", "2"), rename("group", "A", "B", "1")]

    def routes(m: respx.MockRouter) -> None:
        m.put("/api/groups/2").respond(200, json={"data": {"id": "2", "name": "C"}})
        m.put("/api/groups/1").respond(200, json={"data": {"id": "1", "name": "B"}})

    result, _, requests = apply(changes, routes)
    assert result.ok
    assert [sent(r)[:2] for r in requests] == [("PUT", "/api/groups/2"), ("PUT", "/api/groups/1")]


def test_a_vanished_object_fails_with_advice_and_stops() -> None:
    changes = [delete("group", "Gold", "140215902214458002"), create_group("After")]

    def routes(m: respx.MockRouter) -> None:
        m.delete("/api/groups/140215902214458002").respond(404, json=fixture("error-404-group"))

    result, _, requests = apply(changes, routes)
    (outcome,) = result.outcomes
    assert "since the plan was made" in outcome.error and "espform plan" in outcome.error
    assert len(requests) == 1


def test_stop_at_the_first_failure_sends_nothing_after_it() -> None:
    changes = [create_group("x" * 300), delete("group", "Gold", "7"), delete("group", "Old", "8")]

    def routes(m: respx.MockRouter) -> None:
        m.post("/api/groups").respond(422, json=fixture("error-422-name"))

    result, reported, requests = apply(changes, routes)
    assert len(requests) == 1
    assert len(result.outcomes) == 1 == len(reported)
    assert "name: The name may not be greater than 255 characters." in result.failed[0].error


def test_creating_a_segment_fails_with_the_hint_and_sends_nothing() -> None:
    segment = Address.of("mailerlite", "segment", "VIP")
    change = Change(segment, Action.CREATE, None, Segment(address=segment))
    result, _, requests = apply([change], lambda m: None)
    assert requests == []
    assert "rule" in result.outcomes[0].error and "group" in result.outcomes[0].error


def test_a_batch_answer_without_one_result_per_change_leaves_them_all_unknown() -> None:
    changes = [create_group("A"), create_group("B"), delete("group", "Old", "8")]
    result, reported, requests = apply(
        changes, lambda m: m.post("/api/batch").respond(200, json={"responses": []})
    )
    # Each time the account, read again, shows nothing made: sent again, a bounded
    # number of times, then left unknown.
    assert [r.url.path for r in requests] == ["/api/batch"] * MAX_ROUNDS
    assert [o.change for o in result.outcomes] == changes[:2] == [o.change for o in reported]
    assert all(o.unknown and not o.ok for o in result.outcomes)
    assert "did not list one result per change (2 sent)" in result.outcomes[1].error
