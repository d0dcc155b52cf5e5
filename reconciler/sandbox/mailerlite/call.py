"""`ApiCall`: what a route handler sees of one API request (top-level or inside a batch)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from reconciler.sandbox.core import SandboxRequest

#: Hosts for which links are written with https (the in-process transport keeps the real
#: host name); anything else is the loopback server, which speaks plain http.
HTTPS_HOSTS = frozenset({"connect.mailerlite.com"})


@dataclass
class ApiCall:
    method: str
    path: str
    query: dict[str, list[str]] = field(default_factory=dict)
    body: bytes = b""
    #: scheme://host of the request, used for the absolute URLs in paging links.
    origin: str = "https://connect.mailerlite.com"

    @classmethod
    def from_request(cls, request: SandboxRequest) -> ApiCall:
        return cls(
            method=request.method,
            path=request.path,
            query=request.query,
            body=request.body,
            origin=origin_of(request.headers),
        )

    @classmethod
    def for_batch(cls, method: str, target: str, body: Any, origin: str) -> ApiCall:
        """A sub-request of POST /api/batch; `target` is `api/...` with an optional query."""
        path, _, query_string = target.lstrip("/").partition("?")
        return cls(
            method=method.upper(),
            path="/" + path,
            query=parse_qs(query_string, keep_blank_values=True),
            body=b"" if body is None else json.dumps(body).encode(),
            origin=origin,
        )

    def arg(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else None

    def data(self) -> dict[str, Any]:
        """The JSON object body. Like Laravel, a body that is not valid JSON (or not an
        object) counts as no input, so the answer is the usual 422 for missing keys."""
        if not self.body.strip():
            return {}
        try:
            parsed = json.loads(self.body)
        except ValueError:
            return {}
        return parsed if isinstance(parsed, dict) else {}

    def url(self, path: str) -> str:
        return self.origin + path


def origin_of(headers: dict[str, str]) -> str:
    host = headers.get("host") or "connect.mailerlite.com"
    scheme = headers.get("x-forwarded-proto")
    if scheme is None:
        scheme = "https" if host.split(":")[0] in HTTPS_HOSTS else "http"
    return f"{scheme}://{host}"
