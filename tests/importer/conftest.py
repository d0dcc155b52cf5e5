from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from reconciler.sandbox import open_app
from reconciler.sandbox.server import make_server


@pytest.fixture(autouse=True)
def _no_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests say which credential variables exist; the developer's own never leak in."""
    for name in ("MAILERLITE_API_KEY", "MAILERLITE_API_TOKEN", "MAILCHIMP_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_COLOR", "1")


@pytest.fixture
def serve() -> Iterator[Callable[[str, Path, str], str]]:
    """Serve a sandbox file over HTTP on loopback, requiring `key`; returns its root URL."""
    stops: list[Callable[[], None]] = []

    def start(flavor: str, db: Path, key: str) -> str:
        option = {"token": key} if flavor == "mailerlite" else {"api_key": key}
        app = open_app(flavor, db, **option)
        server = make_server(app)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()

        def stop() -> None:
            server.shutdown()
            server.server_close()
            app.close()

        stops.append(stop)
        host, port = server.server_address[:2]
        return f"http://{host}:{port}"

    yield start
    for stop in stops:
        stop()
