"""Shared helpers for the Mailchimp provider tests (this module holds no tests).

The account on disk (`tests/fixtures/mailchimp/`): audience "Pet Care Club" with three
custom merge fields, two interest categories, two tags, two saved segments and a fuzzy
one; audience "Partner News" with one custom merge field and nothing else.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import httpx
import respx
from provider_support import SleepRecorder, run
from pydantic import SecretStr

from reconciler.config.provider import MailchimpProvider
from reconciler.engine.plan import Action, AttributeChange, Change
from reconciler.model import Address, Resource
from reconciler.providers.base import ApplyResult, Outcome
from reconciler.providers.mailchimp import Mailchimp

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "mailchimp"
BASE = "https://us6.api.mailchimp.com"
API = f"{BASE}/3.0"
KEY = "5f0c9e1d2b3a4c5d6e7f8091a2b3c4d5-us6"
ENV = "MAILCHIMP_API_KEY"

PETS = "b7e2c41f09"
PARTNERS = "4d19a0e6c3"
PETS_AT_HOME = "a1b2c3d4e5"
NEWSLETTER = "f0e1d2c3b4"
AUDIENCE = Address.of("mailchimp", "audience", "Pet Care Club")
CATEGORY = AUDIENCE.child("interest_category", "Pets at home")

#: Path → fixture of the whole account as read.
ACCOUNT: dict[str, str] = {
    "/3.0/lists": "lists",
    f"/3.0/lists/{PETS}/merge-fields": "merge-fields-pets",
    f"/3.0/lists/{PETS}/interest-categories": "interest-categories-pets",
    f"/3.0/lists/{PETS}/interest-categories/{PETS_AT_HOME}/interests": "interests-pets-at-home",
    f"/3.0/lists/{PETS}/interest-categories/{NEWSLETTER}/interests": "interests-newsletter",
    f"/3.0/lists/{PETS}/segments": "segments-pets",
    f"/3.0/lists/{PARTNERS}/merge-fields": "merge-fields-partners",
    f"/3.0/lists/{PARTNERS}/interest-categories": "interest-categories-empty",
    f"/3.0/lists/{PARTNERS}/segments": "segments-empty",
    f"/3.0/lists/{PETS}/webhooks": "webhooks-pets",
    f"/3.0/lists/{PARTNERS}/webhooks": "webhooks-empty",
}


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def config(**overrides: Any) -> MailchimpProvider:
    values: dict[str, Any] = {
        "type": "mailchimp",
        "api_key": SecretStr(KEY),
        "base_url": BASE,
        **overrides,
    }
    return MailchimpProvider(**values).model_copy(update={"credential_env": ENV})


def make_provider(
    *,
    sleep: SleepRecorder | None = None,
    max_attempts: int = 4,
    transport: httpx.AsyncBaseTransport | None = None,
    **overrides: Any,
) -> Mailchimp:
    return Mailchimp(
        config(**overrides),
        transport=transport,
        max_attempts=max_attempts,
        sleep=sleep or SleepRecorder(),
    )


def mock_account(mock: respx.MockRouter) -> dict[str, respx.Route]:
    """Routes answering the account's read with the fixtures."""
    return {
        path: mock.get(f"{BASE}{path}").respond(200, json=fixture(name))
        for path, name in ACCOUNT.items()
    }


def sent(request: httpx.Request) -> tuple[str, str, Any]:
    body = json.loads(request.content) if request.content else None
    return request.method, request.url.path, body


def apply(
    changes: Sequence[Change],
    routes: Callable[[respx.MockRouter], Any],
    *,
    read_first: bool = True,
) -> tuple[ApplyResult, list[Outcome], list[httpx.Request]]:
    """Read the fixture account, then apply; return result, progress and apply's requests."""
    reported: list[Outcome] = []

    async def scenario() -> tuple[ApplyResult, list[httpx.Request]]:
        with respx.mock(assert_all_called=False) as mock:
            routes(mock)
            mock_account(mock)
            provider = make_provider()
            try:
                if read_first:
                    await provider.read()
                before = len(mock.calls)
                result = await provider.apply(changes, reported.append)
            finally:
                await provider.aclose()
            return result, [call.request for call in list(mock.calls)[before:]]

    result, requests = run(scenario)
    return result, reported, requests


# --- changes ------------------------------------------------------------------------------


def create(resource: Resource) -> Change:
    return Change(resource.address, Action.CREATE, None, resource)


def delete(resource: Resource) -> Change:
    return Change(resource.address, Action.DELETE, resource, None)


def modify(before: Resource, after: Resource, *attributes: str) -> Change:
    """A rename when the key differs, otherwise an update of `attributes`."""
    action = Action.RENAME if before.key != after.key else Action.UPDATE
    changes = tuple(
        AttributeChange(name, getattr(before, name), getattr(after, name)) for name in attributes
    )
    return Change(after.address, action, before, after, changes)


def replace(before: Resource, after: Resource) -> Change:
    changes = (AttributeChange("type", before.type, after.type),)
    return Change(after.address, Action.REPLACE, before, after, changes, destructive=True)
