"""The shared HTTP client: retries, auth secrecy, concurrency bound, paging."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
import respx
from provider_support import SleepRecorder, run
from pydantic import SecretStr

from reconciler.providers.answers import BadAnswer
from reconciler.providers.base import ProviderError
from reconciler.providers.http import HttpClient, HttpFailure, bearer

BASE = "https://esp.example.test"
SECRET = "s3cr3t-value-never-shown"


class Failures:
    """An ErrorMapper that records what it was given."""

    def __init__(self) -> None:
        self.seen: list[HttpFailure] = []

    def __call__(self, failure: HttpFailure) -> ProviderError:
        self.seen.append(failure)
        return ProviderError(f"mapped {failure.status} after {failure.attempts}")


def client(sleep: SleepRecorder, **options: Any) -> HttpClient:
    return HttpClient(BASE, authorization=bearer(SecretStr(SECRET)), sleep=sleep, **options)


def test_429_honours_integer_retry_after_then_succeeds() -> None:
    sleep = SleepRecorder()

    async def scenario() -> tuple[Any, int]:
        with respx.mock(base_url=BASE) as mock:
            mock.get("/things").mock(
                side_effect=[
                    httpx.Response(429, headers={"Retry-After": "17"}, json={"message": "slow"}),
                    httpx.Response(200, json={"ok": True}),
                ]
            )
            http = client(sleep)
            body = await http.get("/things")
            await http.aclose()
            return body, http.request_count

    body, count = run(scenario)
    assert body == {"ok": True}
    assert sleep.calls == [17.0]
    assert count == 2


def test_5xx_twice_then_success_backs_off_exponentially() -> None:
    sleep = SleepRecorder()

    async def scenario() -> int:
        with respx.mock(base_url=BASE) as mock:
            mock.get("/things").mock(
                side_effect=[httpx.Response(503), httpx.Response(502), httpx.Response(200, json={})]
            )
            http = client(sleep, backoff=0.5)
            await http.get("/things")
            await http.aclose()
            return http.request_count

    assert run(scenario) == 3
    assert sleep.calls == [0.5, 1.0]


def test_reads_are_retried_after_a_dropped_connection_and_a_408() -> None:
    sleep = SleepRecorder()

    async def scenario() -> int:
        with respx.mock(base_url=BASE) as mock:
            mock.get("/things").mock(
                side_effect=[
                    httpx.RemoteProtocolError("Server disconnected without sending a response."),
                    httpx.Response(408),
                    httpx.Response(200, json={"id": "9"}),
                ]
            )
            http = client(sleep)
            assert await http.get("/things") == {"id": "9"}
            await http.aclose()
            return http.request_count

    assert run(scenario) == 3
    assert len(sleep.calls) == 2


def test_a_create_is_not_sent_again_when_it_may_have_been_carried_out() -> None:
    """A 5xx or a connection lost mid-request may have created the object already."""

    async def scenario(failure: httpx.Response | Exception) -> int:
        with respx.mock(base_url=BASE) as mock:
            mock.post("/things").mock(side_effect=[failure, httpx.Response(201, json={"id": "9"})])
            http = client(SleepRecorder())
            with pytest.raises(ProviderError):
                await http.request_json("POST", "/things", json={"a": 1})
            await http.aclose()
            return http.request_count

    assert run(lambda: scenario(httpx.Response(503))) == 1
    assert run(lambda: scenario(httpx.RemoteProtocolError("Server disconnected"))) == 1


def test_a_create_is_retried_when_it_cannot_have_reached_the_server() -> None:
    async def scenario() -> int:
        with respx.mock(base_url=BASE) as mock:
            mock.post("/things").mock(
                side_effect=[
                    httpx.ConnectError("connection refused"),
                    httpx.Response(429, headers={"Retry-After": "1"}),
                    httpx.Response(408),
                    httpx.Response(201, json={"id": "9"}),
                ]
            )
            http = client(SleepRecorder())
            assert await http.request_json("POST", "/things", json={}) == {"id": "9"}
            await http.aclose()
            return http.request_count

    assert run(scenario) == 4


def test_a_transport_error_quoting_the_header_never_shows_the_token() -> None:
    """h11 rejects a header value with a newline and quotes the whole header."""
    sleep = SleepRecorder()

    async def scenario() -> str:
        with respx.mock(base_url=BASE) as mock:
            mock.get("/things").mock(
                side_effect=httpx.LocalProtocolError(f"Illegal header value b'Bearer {SECRET}\\n'")
            )
            http = client(sleep)
            with pytest.raises(ProviderError) as raised:
                await http.get("/things")
            await http.aclose()
            assert http.request_count == 1  # a malformed request is not sent again
            return str(raised.value)

    message = run(scenario)
    assert SECRET not in message
    assert "[redacted]" in message


def test_basic_credentials_are_scrubbed_in_every_form() -> None:
    from reconciler.providers.http import basic

    key = "0123456789abcdef0123456789abcdef-us6"
    http = HttpClient(BASE, authorization=basic("espform", SecretStr(key)))
    header = basic("espform", SecretStr(key)).get_secret_value()
    encoded = header.split(" ", 1)[1]
    text = f"{header} / {encoded} / {key}"
    scrubbed = http._scrub(text)
    assert key not in scrubbed and encoded not in scrubbed
    assert scrubbed.count("[redacted]") == 3
    asyncio.run(http.aclose())


def test_an_error_answer_quoting_the_base_path_or_the_token_is_scrubbed() -> None:
    """A proxy route in base_url may hold a token; a 404 often quotes the route back."""
    path_secret = "p4th-s3cret-segment"
    base = f"{BASE}/{path_secret}"

    async def scenario() -> HttpFailure:
        failures = Failures()
        with respx.mock(base_url=base) as mock:
            message = f"The route {path_secret}/api/things could not be found ({SECRET})."
            mock.get("/api/things").respond(404, json={"message": message, "errors": [message]})
            http = HttpClient(base, authorization=bearer(SecretStr(SECRET)), error_mapper=failures)
            with pytest.raises(ProviderError):
                await http.get("/api/things")
            await http.aclose()
        return failures.seen[0]

    failure = run(scenario)
    shown = json.dumps(failure.payload)
    assert path_secret not in shown and SECRET not in shown
    assert failure.payload["message"] == (
        "The route [redacted]/api/things could not be found ([redacted])."
    )


def test_only_long_base_path_segments_count_as_secrets() -> None:
    from reconciler.urls import path_secrets

    found = path_secrets("https://proxy.example/esp/t%2Fk3n-abcdefgh/3.0")
    assert "esp/t%2Fk3n-abcdefgh/3.0" in found and "t%2Fk3n-abcdefgh" in found
    assert "t/k3n-abcdefgh" in found  # decoded too
    assert not {"esp", "3.0"} & set(found)
    assert path_secrets("https://connect.mailerlite.com") == []


def test_page_paging_refuses_a_server_that_ignores_the_page_number() -> None:
    """Stopping quietly would plan from page 1 of 5 and create what already exists."""

    async def scenario() -> int:
        with respx.mock(base_url=BASE) as mock:
            route = mock.get("/items").respond(
                200,
                json={
                    "data": [{"id": "1"}],
                    "links": {"next": f"{BASE}/items?page=2"},
                    "meta": {"current_page": 1, "last_page": 5},
                },
            )
            http = client(SleepRecorder())
            with pytest.raises(BadAnswer, match=r"GET /items\?page=2 .*current_page is 1"):
                _ = [page async for page in http.pages("/items")]
            await http.aclose()
            return route.call_count

    assert run(scenario) == 2


def test_exhausted_retries_raise_the_mapped_error() -> None:
    sleep, failures = SleepRecorder(), Failures()

    async def scenario() -> int:
        with respx.mock(base_url=BASE) as mock:
            mock.get("/things").respond(503, json={"message": "down"})
            http = client(sleep, max_attempts=3, error_mapper=failures)
            with pytest.raises(ProviderError, match="mapped 503 after 3"):
                await http.get("/things", context="reading things")
            await http.aclose()
            return http.request_count

    assert run(scenario) == 3
    assert len(sleep.calls) == 2
    (failure,) = failures.seen
    assert failure.payload == {"message": "down"}
    assert failure.context == "reading things"


def test_transport_errors_exhausted_report_no_status() -> None:
    failures = Failures()

    async def scenario() -> None:
        with respx.mock(base_url=BASE) as mock:
            mock.get("/things").mock(side_effect=httpx.ConnectError("connection refused"))
            http = client(SleepRecorder(), max_attempts=2, error_mapper=failures)
            with pytest.raises(ProviderError):
                await http.get("/things")
            await http.aclose()

    run(scenario)
    (failure,) = failures.seen
    assert failure.status is None
    assert "connection refused" in failure.transport_error


def test_retry_after_beyond_the_limit_fails_at_once_with_the_wait() -> None:
    sleep, failures = SleepRecorder(), Failures()

    async def scenario() -> int:
        with respx.mock(base_url=BASE) as mock:
            mock.get("/things").respond(429, headers={"Retry-After": "3600"})
            http = client(sleep, error_mapper=failures, max_retry_wait=120)
            with pytest.raises(ProviderError):
                await http.get("/things")
            await http.aclose()
            return http.request_count

    assert run(scenario) == 1
    assert sleep.calls == []
    assert failures.seen[0].retry_after == 3600.0


def test_client_errors_are_not_retried() -> None:
    sleep, failures = SleepRecorder(), Failures()

    async def scenario() -> int:
        with respx.mock(base_url=BASE) as mock:
            mock.put("/things/1").respond(422, json={"errors": {"name": ["too long"]}})
            http = client(sleep, error_mapper=failures)
            with pytest.raises(ProviderError):
                await http.request("PUT", "/things/1", json={"name": "x"})
            await http.aclose()
            return http.request_count

    assert run(scenario) == 1
    assert sleep.calls == []
    assert failures.seen[0].payload == {"errors": {"name": ["too long"]}}


def test_credential_is_sent_but_never_shown() -> None:
    async def scenario() -> tuple[httpx.Request, HttpClient]:
        with respx.mock(base_url=BASE) as mock:
            route = mock.get("/things").respond(200, json={})
            http = client(SleepRecorder())
            await http.get("/things")
            await http.aclose()
            return route.calls.last.request, http

    request, http = run(scenario)
    assert request.headers["authorization"] == f"Bearer {SECRET}"
    assert request.headers["accept"] == "application/json"
    for text in (repr(http), repr(http._client.auth), repr(dict(http._client.headers))):
        assert SECRET not in text


class InFlight(httpx.AsyncBaseTransport):
    """Answers after yielding to the loop a few times, tracking how many overlap."""

    def __init__(self, answer: Any = None) -> None:
        self.current = 0
        self.peak = 0
        self.answer = answer if answer is not None else {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.current += 1
        self.peak = max(self.peak, self.current)
        for _ in range(5):
            await asyncio.sleep(0)
        self.current -= 1
        return httpx.Response(200, content=json.dumps(self.answer).encode())


def test_concurrency_is_bounded_by_the_semaphore() -> None:
    transport = InFlight()

    async def scenario() -> None:
        http = client(SleepRecorder(), max_concurrency=2, transport=transport)
        await asyncio.gather(*(http.get(f"/things/{n}") for n in range(6)))
        await http.aclose()

    run(scenario)
    assert transport.peak == 2


def page(number: int, last: int, items: list[int], next_link: bool | None = None) -> dict[str, Any]:
    has_next = number < last if next_link is None else next_link
    return {
        "data": [{"id": str(i)} for i in items],
        "links": {"next": f"{BASE}/things?page={number + 1}" if has_next else None},
        "meta": {"current_page": number, "last_page": last},
    }


def collect_pages(responses: dict[int, dict[str, Any]]) -> tuple[list[list[str]], list[str]]:
    async def scenario() -> tuple[list[list[str]], list[str]]:
        with respx.mock(base_url=BASE) as mock:
            route = mock.get("/things").mock(
                side_effect=lambda request: httpx.Response(
                    200, json=responses[int(request.url.params["page"])]
                )
            )
            http = client(SleepRecorder())
            seen = [
                [item["id"] for item in data]
                async for data in http.pages("/things", params={"limit": 2})
            ]
            await http.aclose()
            return seen, [str(call.request.url.params) for call in route.calls]

    return run(scenario)


def test_pages_follow_links_next_until_null() -> None:
    seen, queries = collect_pages(
        {1: page(1, 3, [1, 2]), 2: page(2, 3, [3, 4]), 3: page(3, 3, [5])}
    )
    assert seen == [["1", "2"], ["3", "4"], ["5"]]
    assert queries == ["limit=2&page=1", "limit=2&page=2", "limit=2&page=3"]


def test_pages_stop_at_the_last_page_even_if_a_next_link_is_present() -> None:
    seen, _ = collect_pages({1: page(1, 2, [1], next_link=True), 2: page(2, 2, [2], True)})
    assert seen == [["1"], ["2"]]


def test_cursor_pages_follow_next_cursor() -> None:
    bodies = {
        None: {"data": [{"id": "3"}, {"id": "2"}], "meta": {"next_cursor": "abc"}},
        "abc": {"data": [{"id": "1"}], "meta": {"next_cursor": None}},
    }

    async def scenario() -> list[str]:
        with respx.mock(base_url=BASE) as mock:
            mock.get("/members").mock(
                side_effect=lambda request: httpx.Response(
                    200, json=bodies[request.url.params.get("cursor")]
                )
            )
            http = client(SleepRecorder())
            ids = [
                item["id"]
                async for data in http.cursor_pages("/members", params={"limit": 1000})
                for item in data
            ]
            await http.aclose()
            return ids

    assert run(scenario) == ["3", "2", "1"]
