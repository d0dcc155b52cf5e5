"""create_provider for Mailchimp: the class by type, and the embedded sandbox."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import httpx
import pytest
from provider_support import SleepRecorder, run
from test_mailchimp_provider_support import KEY, config, fixture

from reconciler.providers import registry
from reconciler.providers.mailchimp import Mailchimp
from reconciler.providers.registry import create_provider
from reconciler.sandbox.core import SandboxRequest, SandboxResponse

KINDS = {"audience", "merge_field", "interest_category", "interest", "tag", "segment", "webhook"}


def test_mailchimp_config_gives_the_mailchimp_provider() -> None:
    provider = create_provider(config())
    assert isinstance(provider, Mailchimp)
    assert provider.name == "mailchimp"
    caps = provider.capabilities
    assert caps.kinds == caps.creatable == caps.deletable == KINDS
    # A webhook is its URL: a new URL is a new webhook, never a rename.
    assert caps.renamable == KINDS - {"webhook"}
    run(provider.aclose)


def test_transport_max_attempts_and_sleep_can_be_injected() -> None:
    answers = iter([httpx.Response(403), httpx.Response(503)])

    def handler(request: httpx.Request) -> httpx.Response:
        return next(answers, None) or httpx.Response(
            200, json=fixture("lists") | {"lists": [], "total_items": 0}
        )

    sleep = SleepRecorder()
    provider = create_provider(
        config(), transport=httpx.MockTransport(handler), max_attempts=3, sleep=sleep
    )
    state = run(provider.read)
    run(provider.aclose)
    assert len(state) == 0
    assert len(sleep.calls) == 2 and provider.request_count == 3


class FakeApp:
    """A sandbox app that answers every list as empty and records requests."""

    flavor = "mailchimp"

    def __init__(self) -> None:
        self.requests: list[SandboxRequest] = []
        self.closed = False

    def handle(self, request: SandboxRequest) -> SandboxResponse:
        self.requests.append(request)
        return SandboxResponse.json(200, {"lists": [], "total_items": 0})

    def close(self) -> None:
        self.closed = True


def test_sandbox_is_mounted_in_process_with_a_placeholder_key(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    app = FakeApp()
    opened: list[tuple[str, Any]] = []

    def fake_open_app(flavor: str, db_path: Any) -> FakeApp:
        opened.append((flavor, db_path))
        return app

    monkeypatch.setattr(registry, "open_app", fake_open_app)
    db = tmp_path / "mc.db"
    provider = create_provider(config(sandbox=db))
    run(provider.read)
    assert opened == [("mailchimp", db)]
    (request,) = app.requests
    assert request.path == "/3.0/lists"
    assert request.headers["host"] == "sandbox.invalid"
    credential = base64.b64decode(request.headers["authorization"].removeprefix("Basic "))
    assert KEY.encode() not in credential
    assert not app.closed
    run(provider.aclose)
    assert app.closed


def test_sandbox_needs_no_key(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(registry, "open_app", lambda flavor, db_path: FakeApp())
    provider = create_provider(config(sandbox=tmp_path / "s.db", api_key=None, base_url=None))
    assert isinstance(provider, Mailchimp)
    run(provider.aclose)
