"""Mount a SandboxApp as an httpx transport: the embedded sandbox, no server, no socket."""

from __future__ import annotations

import asyncio

import httpx

from reconciler.sandbox.core import SandboxApp, SandboxRequest, SandboxResponse


def _to_sandbox(request: httpx.Request, body: bytes) -> SandboxRequest:
    return SandboxRequest.build(
        request.method,
        request.url.path,
        request.url.query.decode("ascii"),
        dict(request.headers),
        body,
    )


def _to_httpx(response: SandboxResponse, request: httpx.Request) -> httpx.Response:
    if response.is_dropped:
        # What httpx raises when a real server closes the socket without answering.
        raise httpx.RemoteProtocolError(
            "Server disconnected without sending a response.", request=request
        )
    return httpx.Response(
        response.status, headers=response.headers, content=response.body, request=request
    )


class SandboxTransport(httpx.AsyncBaseTransport, httpx.BaseTransport):
    """Serves httpx requests (sync or async clients) from a SandboxApp in this process.

    Async requests run in a worker thread so that concurrent requests really overlap,
    as they would against a server (the app serialises its own store access).
    """

    def __init__(self, app: SandboxApp) -> None:
        self.app = app

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        return _to_httpx(self.app.handle(_to_sandbox(request, body)), request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        response = await asyncio.to_thread(self.app.handle, _to_sandbox(request, body))
        return _to_httpx(response, request)
