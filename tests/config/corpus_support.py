"""Running espform in-process on a config in a temporary folder, counting its requests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import respx
from click.testing import CliRunner, Result

from reconciler.cli import main
from reconciler.sandbox.transport import SandboxTransport

#: Credentials a file may reference, set so that only the file's own defect is reported.
ENV = {"MAILERLITE_API_TOKEN": "corpus-token", "MAILCHIMP_API_KEY": "corpus-key-us1"}


def run_espform(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), env={**ENV, "NO_COLOR": "1"})


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def requests_sent(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every request espform sends, to a real host (respx) or to the embedded sandbox."""
    sent: list[str] = []

    def record(request: httpx.Request) -> httpx.Response:
        sent.append(f"{request.method} {request.url}")
        return httpx.Response(500)

    def sync(self: SandboxTransport, request: httpx.Request) -> httpx.Response:
        return record(request)

    async def asynchronous(self: SandboxTransport, request: httpx.Request) -> httpx.Response:
        return record(request)

    monkeypatch.setattr(SandboxTransport, "handle_request", sync)
    monkeypatch.setattr(SandboxTransport, "handle_async_request", asynchronous)
    with respx.mock(assert_all_called=False) as mock:
        mock.route().mock(side_effect=record)
        yield sent
