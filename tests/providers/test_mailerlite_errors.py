"""MailerLite failures: messages that say what to do and never show the token."""

from __future__ import annotations

import logging

import httpx
import pytest
import respx
from provider_support import (
    BASE,
    ENV,
    TOKEN,
    SleepRecorder,
    config,
    fixture,
    make_provider,
    run,
)
from pydantic import SecretStr

from reconciler.providers.base import ProviderError
from reconciler.providers.mailerlite import MailerLite


def read_error(
    respond: dict[str, httpx.Response | list[httpx.Response]], **options: object
) -> tuple[str, int]:
    """Read with the given answers per list; return the error text and the request count."""

    async def scenario() -> tuple[str, int]:
        with respx.mock(base_url=BASE, assert_all_called=False) as mock:
            for kind in ("fields", "groups", "segments"):
                answer = respond.get(kind, httpx.Response(200, json=fixture(f"{kind}-list")))
                side_effect = answer if isinstance(answer, list) else [answer] * 10
                mock.get(f"/api/{kind}").mock(side_effect=side_effect)
            provider = make_provider(**options)  # type: ignore[arg-type]
            with pytest.raises(ProviderError) as caught:
                await provider.read()
            await provider.aclose()
            return str(caught.value), provider.request_count

    return run(scenario)


def test_401_names_the_environment_variable_and_hides_the_token(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    error, _ = read_error({"groups": httpx.Response(401, json=fixture("error-401"))})
    assert "rejected the API token" in error
    assert ENV in error
    assert TOKEN not in error
    assert TOKEN not in caplog.text


def test_401_without_a_known_variable_points_at_the_config() -> None:
    async def scenario() -> str:
        with respx.mock(base_url=BASE, assert_all_called=False) as mock:
            mock.get("/api/fields").respond(401, json=fixture("error-401"))
            mock.get("/api/groups").respond(401, json=fixture("error-401"))
            mock.get("/api/segments").respond(401, json=fixture("error-401"))
            provider = MailerLite(config().model_copy(update={"credential_env": None}))
            with pytest.raises(ProviderError) as caught:
                await provider.read()
            await provider.aclose()
            return str(caught.value)

    error = run(scenario)
    assert "provider.token" in error and TOKEN not in error


def test_429_after_retries_says_how_long_to_wait() -> None:
    sleep = SleepRecorder()
    limited = httpx.Response(429, headers={"Retry-After": "42"}, json=fixture("error-429"))
    error, _ = read_error({"fields": limited}, sleep=sleep, max_attempts=3)
    assert "Wait 42 seconds" in error
    assert "120 requests per minute" in error
    # The account's pacer waits out Retry-After (counted from the moment the 429 came)
    # before each retry, and holds back the account's other reads through it too.
    assert len(sleep.calls) >= 2
    assert sleep.calls == pytest.approx([42.0] * len(sleep.calls), abs=0.5)


def test_5xx_after_retries_blames_the_server_and_counts_every_attempt() -> None:
    error, count = read_error({"segments": httpx.Response(502)}, max_attempts=4)
    assert "502 after 4 attempts" in error
    assert "try again" in error
    # 2 good lists + 4 attempts at the failing one.
    assert count == 6


def test_request_count_includes_retries_on_success() -> None:
    async def scenario() -> int:
        with respx.mock(base_url=BASE) as mock:
            mock.get("/api/fields").mock(
                side_effect=[
                    httpx.Response(503),
                    httpx.Response(503),
                    httpx.Response(200, json=fixture("fields-list")),
                ]
            )
            mock.get("/api/groups").respond(200, json=fixture("groups-list"))
            mock.get("/api/segments").respond(200, json=fixture("segments-list"))
            provider = make_provider()
            await provider.read()
            await provider.aclose()
            return provider.request_count

    assert run(scenario) == 5


def test_403_and_422_say_what_to_do() -> None:
    error, _ = read_error({"groups": httpx.Response(403, json={"message": "Forbidden"})})
    assert "403" in error and "admin" in error
    error, _ = read_error({"fields": httpx.Response(422, json=fixture("error-422-name"))})
    assert "name: The name may not be greater than 255 characters." in error


def test_unreachable_server_says_so() -> None:
    error, count = read_error(
        {"fields": [httpx.ConnectError("Name or service not known")] * 2}, max_attempts=2
    )
    assert "could not reach MailerLite" in error and "Name or service not known" in error
    assert count >= 2


def test_a_missing_token_is_reported_before_any_request() -> None:
    with pytest.raises(ProviderError, match=ENV):
        MailerLite(config(token=None).model_copy(update={"credential_env": ENV}))


def test_repr_never_shows_the_token() -> None:
    provider = MailerLite(config(token=SecretStr(TOKEN)))
    assert TOKEN not in repr(provider)
    assert TOKEN not in repr(vars(provider))
    run(provider.aclose)
