"""Mailchimp errors: problem documents become advice, throttling is retried, keys stay secret."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import respx
from provider_support import SleepRecorder, run
from pydantic import SecretStr
from test_mailchimp_provider_support import (
    API,
    AUDIENCE,
    ENV,
    KEY,
    PETS,
    apply,
    config,
    create,
    fixture,
    make_provider,
    mock_account,
)

from reconciler.model import MergeField, State
from reconciler.providers.base import ProviderError
from reconciler.providers.mailchimp import Mailchimp

PROBLEM = {"content-type": "application/problem+json; charset=utf-8"}
LISTS = f"{API}/lists"


def problem(status: int, name: str) -> httpx.Response:
    return httpx.Response(status, json=fixture(name), headers=PROBLEM)


def read_with(
    answers: list[httpx.Response], *, max_attempts: int = 4
) -> tuple[State | ProviderError, int, SleepRecorder]:
    """Read the fixture account while `GET /lists` answers `answers` in turn first."""
    sleep = SleepRecorder()

    async def scenario() -> tuple[State | ProviderError, int]:
        with respx.mock(assert_all_called=False) as mock:
            mock_account(mock)
            mock.get(LISTS).mock(side_effect=[*answers, httpx.Response(200, json=fixture("lists"))])
            provider = make_provider(sleep=sleep, max_attempts=max_attempts)
            try:
                outcome: State | ProviderError = await provider.read()
            except ProviderError as exc:
                outcome = exc
            finally:
                await provider.aclose()
            return outcome, provider.request_count

    outcome, count = run(scenario)
    return outcome, count, sleep


def test_400_shows_title_detail_and_every_field_error() -> None:
    field = MergeField(address=AUDIENCE.child("merge_field", "MICROCHIPNUMBER"), type="dropdown")
    result, _, requests = apply(
        [create(field)],
        lambda m: m.post(f"{LISTS}/{PETS}/merge-fields").mock(
            return_value=problem(400, "error-400-merge-field")
        ),
    )
    assert len(requests) == 1  # a refusal is not retried
    error = result.outcomes[0].error
    assert error.startswith(f"Creating {field.address} failed")
    assert "400 Invalid Resource" in error
    assert "could not be validated" in error
    assert "tag: Merge tags may be at most 10 characters long." in error
    assert "options.choices: Please provide at least one choice." in error
    assert "Fix the configuration" in error


def test_401_names_the_env_var_and_data_center_but_never_the_key() -> None:
    outcome, count, sleep = read_with([problem(401, "error-401")])
    assert isinstance(outcome, ProviderError)
    message = str(outcome)
    assert ENV in message
    assert "data center" in message and "https://us6.api.mailchimp.com" in message
    assert "API Key Invalid" in message
    assert KEY not in message and KEY.split("-")[0] not in message
    assert (count, sleep.calls) == (1, [])


def test_a_key_echoed_by_the_server_is_redacted() -> None:
    body = {"title": "API Key Invalid", "status": 401, "detail": f"Key {KEY} is not valid."}
    outcome, _, _ = read_with([httpx.Response(401, json=body, headers=PROBLEM)])
    # The HTTP client scrubs every answer it reports before the Mailchimp layer reads it.
    assert KEY not in str(outcome) and "Key [redacted] is not valid" in str(outcome)


@pytest.mark.parametrize(
    "throttled",
    [
        pytest.param(lambda: problem(429, "error-429"), id="429"),
        pytest.param(lambda: httpx.Response(403), id="403-without-body"),
        pytest.param(lambda: problem(500, "error-500"), id="500"),
        pytest.param(lambda: httpx.Response(503, text=""), id="503"),
    ],
)
def test_throttling_and_server_errors_are_retried_with_backoff(throttled: Any) -> None:
    outcome, count, sleep = read_with([throttled(), throttled()])
    assert isinstance(outcome, State), outcome
    assert len(outcome.of_kind("audience")) == 2
    assert count == 11 + 2  # the account's 11 lists; every retry is a request
    # No Retry-After from Mailchimp: growing waits, with up to 50% jitter.
    assert len(sleep.calls) == 2
    assert 1.0 <= sleep.calls[0] <= 1.5 and 2.0 <= sleep.calls[1] <= 3.0


def test_a_403_with_a_body_is_a_refusal_and_not_retried() -> None:
    outcome, count, sleep = read_with([problem(403, "error-403-forbidden")])
    assert isinstance(outcome, ProviderError)
    assert (count, sleep.calls) == (1, [])
    assert "forbids" in str(outcome) and "User Disabled" in str(outcome)
    assert "This account has been disabled." in str(outcome)


def test_throttling_that_does_not_end_says_to_lower_the_connections() -> None:
    outcome, count, sleep = read_with([httpx.Response(403)] * 3, max_attempts=3)
    assert isinstance(outcome, ProviderError)
    assert count == 3 and len(sleep.calls) == 2
    assert "throttl" in str(outcome) and "max_connections" in str(outcome)

    outcome, _, _ = read_with([problem(429, "error-429")] * 3, max_attempts=3)
    assert "429" in str(outcome) and "10 simultaneous connections" in str(outcome)


def test_a_404_on_read_points_at_the_base_url() -> None:
    outcome, _, _ = read_with([problem(404, "error-404")])
    assert "provider.base_url" in str(outcome) and "Resource Not Found" in str(outcome)


def test_unreachable_server_says_where_it_tried() -> None:
    outcome, count, _ = read_with([httpx.ConnectError("connection refused")] * 2, max_attempts=2)
    assert isinstance(outcome, ProviderError)
    assert count == 2
    assert "could not reach Mailchimp at https://us6.api.mailchimp.com" in str(outcome)
    assert "connection refused" in str(outcome)


def test_missing_key_says_which_variable_to_set() -> None:
    with pytest.raises(ProviderError, match=ENV):
        Mailchimp(config(api_key=None))


def test_base_url_comes_from_the_key_data_center() -> None:
    provider = Mailchimp(config(base_url=None, api_key=SecretStr("0" * 32 + "-us21")))
    assert repr(provider) == "Mailchimp(api='https://us21.api.mailchimp.com')"
    run(provider.aclose)
    with pytest.raises(ProviderError, match="data center") as caught:
        Mailchimp(config(base_url=None, api_key=SecretStr("f" * 32)))
    assert "f" * 32 not in str(caught.value)


def test_the_key_is_in_no_repr() -> None:
    provider = make_provider()
    texts = [repr(provider), repr(provider._http), repr(provider._errors), repr(config())]
    run(provider.aclose)
    assert all(KEY not in text for text in texts)
