"""Fixtures for the sandbox tests. MailerLite fixtures are prefixed `ml_`."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from mailerlite_support import ML_TOKEN, MlApi, MlClock, ml_client_for

from reconciler.sandbox.mailerlite import MailerLiteApp, create_app
from reconciler.sandbox.server import make_server


@pytest.fixture
def ml_clock() -> MlClock:
    return MlClock()


@pytest.fixture
def ml_sleeps() -> list[float]:
    """Seconds the app was asked to sleep (injected latency), instead of sleeping."""
    return []


@pytest.fixture
def ml_db_path(tmp_path: Path) -> Path:
    return tmp_path / "mailerlite.db"


@pytest.fixture
def ml_make_app(
    ml_db_path: Path, ml_clock: MlClock, ml_sleeps: list[float]
) -> Iterator[Callable[..., MailerLiteApp]]:
    """Opens apps on the test's database file (several may be open at once)."""
    opened: list[MailerLiteApp] = []

    def make(**options: Any) -> MailerLiteApp:
        options.setdefault("clock", ml_clock)
        options.setdefault("sleep", ml_sleeps.append)
        app = create_app(options.pop("db_path", ml_db_path), **options)
        opened.append(app)
        return app

    yield make
    for app in opened:
        app.close()


@pytest.fixture
def ml_app(ml_make_app: Callable[..., MailerLiteApp]) -> MailerLiteApp:
    return ml_make_app()


@pytest.fixture
def ml_make_client() -> Iterator[Callable[..., httpx.Client]]:
    """Clients on any app; `token=None` sends no Authorization header."""
    clients: list[httpx.Client] = []

    def make(app: MailerLiteApp, token: str | None = ML_TOKEN) -> httpx.Client:
        client = ml_client_for(app, token)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def ml_client(ml_app: MailerLiteApp, ml_make_client: Callable[..., httpx.Client]) -> httpx.Client:
    return ml_make_client(ml_app)


@pytest.fixture
def ml_api(ml_client: httpx.Client, ml_app: MailerLiteApp) -> MlApi:
    return MlApi(ml_client, ml_app)


@pytest.fixture
def ml_server(ml_app: MailerLiteApp, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The app served on a free loopback port in a background thread; yields its base URL."""
    # Loopback must never be routed through a proxy configured in the environment.
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    server = make_server(ml_app, "127.0.0.1", 0)
    # A short poll interval keeps shutdown (and so each test's teardown) quick.
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
