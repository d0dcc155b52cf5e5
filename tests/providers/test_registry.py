"""create_provider: the class by type, test overrides, and the embedded sandbox."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from provider_support import TOKEN, SleepRecorder, config, fixture, run
from pydantic import SecretStr

from reconciler.providers import registry
from reconciler.providers.mailerlite import MailerLite
from reconciler.providers.registry import create_provider
from reconciler.sandbox.core import SandboxRequest, SandboxResponse


def test_mailerlite_config_gives_the_mailerlite_provider() -> None:
    provider = create_provider(config())
    assert isinstance(provider, MailerLite)
    assert provider.name == "mailerlite"
    assert provider.capabilities.creatable == frozenset({"field", "group", "webhook"})
    assert "group" in provider.capabilities.create_hints["segment"]
    run(provider.aclose)


def test_transport_max_attempts_and_sleep_can_be_injected() -> None:
    answers = iter([httpx.Response(503), httpx.Response(503)])
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.host)
        kind = request.url.path.rsplit("/", 1)[-1]
        if kind == "groups":
            return next(answers, None) or httpx.Response(200, json=fixture("groups-list"))
        return httpx.Response(200, json=fixture(f"{kind}-list"))

    sleep = SleepRecorder()
    provider = create_provider(
        config(), transport=httpx.MockTransport(handler), max_attempts=3, sleep=sleep
    )
    state = run(provider.read)
    run(provider.aclose)
    assert len(state.of_kind("group")) == 3
    assert len(sleep.calls) == 2
    # Two 503s and the third try at the groups, one request for each other list.
    assert provider.request_count == 6
    assert set(seen) == {"connect.mailerlite.com"}


class FakeApp:
    """A sandbox app that answers every list with an empty page and records requests."""

    flavor = "mailerlite"

    def __init__(self) -> None:
        self.requests: list[SandboxRequest] = []
        self.closed = False

    def handle(self, request: SandboxRequest) -> SandboxResponse:
        self.requests.append(request)
        return SandboxResponse.json(
            200, {"data": [], "links": {"next": None}, "meta": {"current_page": 1, "last_page": 1}}
        )

    def close(self) -> None:
        self.closed = True


def test_sandbox_is_mounted_in_process_with_a_placeholder_token(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    app = FakeApp()
    opened: list[tuple[str, Any]] = []

    def fake_open_app(flavor: str, db_path: Any) -> FakeApp:
        opened.append((flavor, db_path))
        return app

    monkeypatch.setattr(registry, "open_app", fake_open_app)
    db = tmp_path / "sandbox.db"
    provider = create_provider(config(sandbox=db, token=SecretStr(TOKEN)))
    state = run(provider.read)
    assert len(state) == 0
    assert opened == [("mailerlite", db)]
    assert sorted(r.path for r in app.requests) == [
        "/api/fields",
        "/api/groups",
        "/api/segments",
        "/api/webhooks",
    ]
    for request in app.requests:
        assert request.headers["authorization"] == "Bearer sandbox"
    assert not app.closed
    run(provider.aclose)
    assert app.closed


def test_sandbox_needs_no_token(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(registry, "open_app", lambda flavor, db_path: FakeApp())
    provider = create_provider(config(sandbox=tmp_path / "s.db", token=None))
    assert isinstance(provider, MailerLite)
    run(provider.aclose)
