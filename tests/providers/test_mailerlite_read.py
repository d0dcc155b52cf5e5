"""MailerLite read: recorded-shape list responses into the model, in few requests."""

from __future__ import annotations

import asyncio
import json

import httpx
import respx
from provider_support import BASE, TOKEN, fixture, make_provider, run

from reconciler.model import Field, Group, Segment, State, Webhook


def mock_lists(mock: respx.MockRouter) -> dict[str, respx.Route]:
    return {
        kind: mock.get(f"/api/{kind}").respond(200, json=fixture(f"{kind}-list"))
        for kind in ("fields", "groups", "segments", "webhooks")
    }


def test_read_maps_lists_to_the_model() -> None:
    async def scenario() -> tuple[State, int]:
        with respx.mock(base_url=BASE) as mock:
            mock_lists(mock)
            provider = make_provider()
            state = await provider.read()
            await provider.aclose()
            return state, provider.request_count

    state, count = run(scenario)
    assert state.provider == "mailerlite"
    assert count == 4
    fields = {r.key: r for r in state.of_kind("field")}
    assert all(isinstance(f, Field) for f in fields.values())
    builtin = {key for key, f in fields.items() if f.builtin}
    assert builtin == {"name", "last_name", "company", "country", "city", "phone", "state", "z_i_p"}
    total = fields["total_sales"]
    assert (total.id, total.name, total.type, total.builtin) == (
        "140215883726620012",
        "Total sales",
        "number",
        False,
    )
    assert str(total.address) == 'mailerlite.field["total_sales"]'
    assert fields["z_i_p"].id == "8"
    assert fields["joined_on"].type == "date"

    groups = state.of_kind("group")
    assert all(isinstance(g, Group) for g in groups)
    assert [(g.key, g.id) for g in groups] == [
        ("Active Partners", "140215902214458001"),
        ("Gold", "140215902214458002"),
        ("Partners", "140215902214458003"),
    ]
    segments = state.of_kind("segment")
    assert all(isinstance(s, Segment) for s in segments)
    assert [(s.key, s.id) for s in segments] == [
        ("Engaged last 30 days", "140216001180001001"),
        ("Never opened", "140216001180001002"),
    ]
    (webhook,) = state.of_kind("webhook")
    assert isinstance(webhook, Webhook)
    assert (webhook.key, webhook.id, webhook.events, webhook.enabled, webhook.batchable) == (
        "Unsubscribes",
        "131474011998962001",
        ("subscriber.unsubscribed",),
        True,
        False,
    )
    assert webhook.url is not None
    assert webhook.url.reveal() == "https://crm.example.com/hooks/ml?token=fixture-s3cret"
    assert "fixture-s3cret" not in repr(webhook) and "fixture-s3cret" not in str(webhook.url)
    assert all(isinstance(r.id, str) for r in state)


def test_read_asks_for_the_largest_pages_with_auth_and_json_headers() -> None:
    async def scenario() -> dict[str, respx.Route]:
        with respx.mock(base_url=BASE) as mock:
            routes = mock_lists(mock)
            provider = make_provider()
            await provider.read()
            await provider.aclose()
            return routes

    routes = run(scenario)
    limits = {kind: dict(route.calls.last.request.url.params) for kind, route in routes.items()}
    assert limits == {
        "fields": {"limit": "100", "page": "1"},
        "groups": {"limit": "1000", "page": "1"},
        "segments": {"limit": "250", "page": "1"},
        # The webhook list documents no limit: its own pages of 50 are followed.
        "webhooks": {"page": "1"},
    }
    request = routes["groups"].calls.last.request
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["accept"] == "application/json"
    assert all(route.call_count == 1 for route in routes.values())


def test_read_follows_pages_until_the_last() -> None:
    async def scenario() -> tuple[State, list[str]]:
        with respx.mock(base_url=BASE) as mock:
            mock.get("/api/fields").respond(200, json=fixture("fields-list"))
            mock.get("/api/segments").respond(200, json=fixture("segments-list"))
            mock.get("/api/webhooks").respond(200, json=fixture("webhooks-list"))
            groups = mock.get("/api/groups").mock(
                side_effect=lambda request: httpx.Response(
                    200, json=fixture(f"groups-page-{request.url.params['page']}")
                )
            )
            provider = make_provider()
            state = await provider.read()
            await provider.aclose()
            return state, [call.request.url.params["page"] for call in groups.calls]

    state, pages = run(scenario)
    assert pages == ["1", "2", "3"]
    assert [g.key for g in state.of_kind("group")] == [f"Imported {n}" for n in range(1, 6)]


class Overlap(httpx.AsyncBaseTransport):
    """Serves the list fixtures, yielding to the loop first, and records the overlap."""

    def __init__(self) -> None:
        self.current = 0
        self.peak = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.current += 1
        self.peak = max(self.peak, self.current)
        for _ in range(5):
            await asyncio.sleep(0)
        self.current -= 1
        kind = request.url.path.rsplit("/", 1)[-1]
        return httpx.Response(200, content=json.dumps(fixture(f"{kind}-list")).encode())


def test_the_four_lists_are_read_concurrently() -> None:
    transport = Overlap()

    async def scenario() -> State:
        provider = make_provider(transport=transport)
        state = await provider.read()
        await provider.aclose()
        return state

    state = run(scenario)
    assert transport.peak == 4
    assert len(state) == 11 + 3 + 2 + 1
