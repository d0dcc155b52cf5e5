"""Build the provider a configuration asks for: the real ESP or the embedded sandbox."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypedDict, TypeVar

import httpx
from pydantic import SecretStr

from reconciler.config.provider import MailchimpProvider, MailerLiteProvider, ProviderConfig
from reconciler.providers.base import Provider
from reconciler.providers.http import Sleep
from reconciler.providers.mailchimp import Mailchimp
from reconciler.providers.mailerlite import MailerLite
from reconciler.sandbox.core import open_app
from reconciler.sandbox.transport import SandboxTransport

__all__ = ["SANDBOX_BASE_URL", "create_provider"]

#: Requests to the embedded sandbox never leave the process; `.invalid` guarantees that
#: a misrouted one cannot reach a real host either.
SANDBOX_BASE_URL = "http://sandbox.invalid"
#: The sandbox accepts any bearer token; one is still sent so requests look real.
SANDBOX_TOKEN = SecretStr("sandbox")
#: Likewise any Mailchimp key; the suffix keeps it shaped like a real one.
SANDBOX_API_KEY = SecretStr("sandbox-us1")


def create_provider(
    config: ProviderConfig,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    max_attempts: int | None = None,
    sleep: Sleep | None = None,
) -> Provider:
    """The provider for `config.type`.

    With `config.sandbox` set, requests go to the sandbox stored at that path, mounted
    in-process, and `aclose()` closes it. An explicit `transport` (tests) replaces the
    network or, with `sandbox` set, the sandbox app that would otherwise be opened.
    """
    factory = _FACTORIES.get(config.type)
    if factory is None:
        raise ValueError(
            f"unknown provider type {config.type!r}; choose one of: {', '.join(sorted(_FACTORIES))}"
        )
    return factory(config, transport, max_attempts, sleep)


def _mailerlite(
    config: MailerLiteProvider,
    transport: httpx.AsyncBaseTransport | None,
    max_attempts: int | None,
    sleep: Sleep | None,
) -> Provider:
    # In a sandbox a stand-in replaces the real token, which only MailerLite ever sees.
    # The embedded sandbox enforces no limits, so requests to it are not paced.
    sandboxed = config.sandbox is not None
    config, transport, on_close = _sandboxed(config, transport, token=SANDBOX_TOKEN)
    return MailerLite(
        config,
        transport=transport,
        on_close=on_close,
        paced=not sandboxed,
        **_retry_options(max_attempts, sleep),
    )


def _mailchimp(
    config: MailchimpProvider,
    transport: httpx.AsyncBaseTransport | None,
    max_attempts: int | None,
    sleep: Sleep | None,
) -> Provider:
    # In a sandbox a stand-in replaces the real key, which only Mailchimp ever sees.
    sandboxed = config.sandbox is not None
    config, transport, on_close = _sandboxed(config, transport, api_key=SANDBOX_API_KEY)
    return Mailchimp(
        config,
        transport=transport,
        on_close=on_close,
        paced=not sandboxed,
        **_retry_options(max_attempts, sleep),
    )


_Config = TypeVar("_Config", MailerLiteProvider, MailchimpProvider)


def _sandboxed(
    config: _Config, transport: httpx.AsyncBaseTransport | None, **credential: SecretStr
) -> tuple[_Config, httpx.AsyncBaseTransport | None, Callable[[], None] | None]:
    """`config` pointed at its sandbox, if it names one, with the stand-in `credential`;
    the sandbox app is opened unless a `transport` replaces it, and the returned
    callback closes it."""
    if config.sandbox is None:
        return config, transport, None
    on_close: Callable[[], None] | None = None
    if transport is None:
        app = open_app(config.type, config.sandbox)
        transport = SandboxTransport(app)
        on_close = app.close
    config = config.model_copy(update={"base_url": SANDBOX_BASE_URL, **credential})
    return config, transport, on_close


class _RetryOptions(TypedDict, total=False):
    max_attempts: int
    sleep: Sleep


def _retry_options(max_attempts: int | None, sleep: Sleep | None) -> _RetryOptions:
    """Only the overrides given, so each provider keeps its own defaults otherwise."""
    options: _RetryOptions = {}
    if max_attempts is not None:
        options["max_attempts"] = max_attempts
    if sleep is not None:
        options["sleep"] = sleep
    return options


_Factory = Callable[
    [ProviderConfig, httpx.AsyncBaseTransport | None, int | None, Sleep | None], Provider
]
_FACTORIES: dict[str, _Factory] = {"mailerlite": _mailerlite, "mailchimp": _mailchimp}
