"""Messages and reprs that name the API show scheme://host[:port] only.

The config refuses a base URL with a user name, password, query or fragment; these
tests build providers in code, past the config, to show that nothing else leaks either.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from provider_support import SleepRecorder, run
from pydantic import SecretStr

from reconciler.config.provider import MailchimpProvider, MailerLiteProvider
from reconciler.providers.base import ProviderError
from reconciler.providers.http import HttpClient, api_origin
from reconciler.providers.mailchimp import Mailchimp
from reconciler.providers.mailerlite import MailerLite

PASSWORD = "hunter2-proxy-pass"
URL = f"https://bob:{PASSWORD}@api.example.com:8443/esp?sig={PASSWORD}#{PASSWORD}"
ORIGIN = "https://api.example.com:8443"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (URL, ORIGIN),
        ("https://connect.mailerlite.com", "https://connect.mailerlite.com"),
        ("HTTP://Sandbox.Local/3.0/", "http://sandbox.local"),
        (f"http://{PASSWORD}@[::1]:8000/api", "http://[::1]:8000"),
        (f"https://{PASSWORD}@host:99999", "the configured base URL"),
        (PASSWORD, "the configured base URL"),
    ],
)
def test_api_origin_keeps_scheme_host_and_port_only(url: str, shown: str) -> None:
    assert api_origin(url) == shown


def _refused(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


def _mailerlite(transport: httpx.AsyncBaseTransport) -> MailerLite:
    config = MailerLiteProvider(type="mailerlite", token=SecretStr("t" * 20), base_url=URL)
    return MailerLite(config, transport=transport, max_attempts=1, sleep=SleepRecorder())


def _mailchimp(transport: httpx.AsyncBaseTransport) -> Mailchimp:
    config = MailchimpProvider(type="mailchimp", api_key=SecretStr("0" * 32 + "-us6"), base_url=URL)
    return Mailchimp(config, transport=transport, max_attempts=1, sleep=SleepRecorder())


def _read_error(provider: Any) -> str:
    async def scenario() -> str:
        try:
            await provider.read()
        except ProviderError as exc:
            return str(exc)
        finally:
            await provider.aclose()
        raise AssertionError("the read should have failed")

    return run(scenario)


def _not_json(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, text="<html>a login page</html>")


def _not_found(request: httpx.Request) -> httpx.Response:
    return httpx.Response(404, json={"message": "Not Found", "title": "Resource Not Found"})


def _unauthorized(request: httpx.Request) -> httpx.Response:
    return httpx.Response(401, json={"message": "Unauthenticated.", "title": "API Key Invalid"})


@pytest.mark.parametrize("make", [_mailerlite, _mailchimp], ids=["mailerlite", "mailchimp"])
@pytest.mark.parametrize(
    "handler",
    [_refused, _not_found, _not_json, _unauthorized],
    ids=["unreachable", "404", "not-json", "401"],
)
def test_errors_and_reprs_name_only_the_origin(
    make: Callable[[httpx.AsyncBaseTransport], Any],
    handler: Callable[[httpx.Request], httpx.Response],
) -> None:
    provider = make(httpx.MockTransport(handler))
    reprs = [repr(provider), repr(provider._http), repr(provider._errors)]
    error = _read_error(provider)

    assert PASSWORD not in "\n".join([*reprs, error])
    assert "/esp" not in "\n".join([*reprs, error])
    assert all(ORIGIN in text for text in reprs)
    # MailerLite's advice on a rejected token does not name the API; every other does.
    if not (make is _mailerlite and handler is _unauthorized):
        assert ORIGIN in error


def test_http_client_repr_shows_the_origin() -> None:
    http = HttpClient(URL)
    try:
        assert repr(http) == f"HttpClient(api='{ORIGIN}', requests=0)"
    finally:
        run(http.aclose)
