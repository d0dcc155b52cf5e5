"""Transport-neutral request/response types, routing, and the flavor registry."""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qs

#: Flavor name -> module that defines `create_app(db_path, **options) -> SandboxApp`.
FLAVORS: dict[str, str] = {
    "mailerlite": "reconciler.sandbox.mailerlite",
    "mailchimp": "reconciler.sandbox.mailchimp",
}


@dataclass
class SandboxRequest:
    method: str
    path: str
    #: Query parameters with their raw names (`filter[status]`), each with all values.
    query: dict[str, list[str]] = field(default_factory=dict)
    #: Header names in lower case.
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    @classmethod
    def build(
        cls, method: str, path: str, query_string: str, headers: dict[str, str], body: bytes
    ) -> SandboxRequest:
        return cls(
            method=method.upper(),
            path=path,
            query=parse_qs(query_string, keep_blank_values=True),
            headers={k.lower(): v for k, v in headers.items()},
            body=body,
        )

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else default

    def json(self) -> Any:
        """The body parsed as JSON; None for an empty body. Raises ValueError if invalid."""
        if not self.body.strip():
            return None
        return json.loads(self.body)


#: A SandboxResponse with this status means "close the connection without answering";
#: the transport raises httpx.RemoteProtocolError and the server hangs up (fault injection).
DROP_CONNECTION = 0


@dataclass
class SandboxResponse:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(
        cls,
        status: int,
        payload: Any,
        headers: dict[str, str] | None = None,
        content_type: str = "application/json",
    ) -> SandboxResponse:
        return cls(
            status=status,
            body=json.dumps(payload).encode(),
            headers={"content-type": content_type, **(headers or {})},
        )

    @classmethod
    def empty(cls, status: int = 204, headers: dict[str, str] | None = None) -> SandboxResponse:
        return cls(status=status, body=b"", headers=dict(headers or {}))

    @classmethod
    def dropped(cls) -> SandboxResponse:
        """A response that is never sent: the connection is closed instead."""
        return cls(status=DROP_CONNECTION)

    @property
    def is_dropped(self) -> bool:
        return self.status == DROP_CONNECTION

    def payload(self) -> Any:
        return json.loads(self.body) if self.body else None


class SandboxApp(Protocol):
    flavor: str

    def handle(self, request: SandboxRequest) -> SandboxResponse: ...

    def close(self) -> None: ...


Handler = Callable[..., SandboxResponse]


class Router:
    """Maps `METHOD /path/{param}` patterns to handlers; params are passed by keyword."""

    def __init__(self) -> None:
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []

    def add(self, method: str, pattern: str, handler: Handler) -> None:
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern)
        self._routes.append((method.upper(), re.compile(f"^{regex}/?$"), handler))

    def match(self, method: str, path: str) -> tuple[Handler, dict[str, str]] | bool | None:
        """The handler and params; False when the path exists for other methods; None if unknown."""
        path_known = False
        for route_method, regex, handler in self._routes:
            found = regex.match(path)
            if found:
                if route_method == method.upper():
                    return handler, found.groupdict()
                path_known = True
        return False if path_known else None

    def methods_for(self, path: str) -> list[str]:
        """The methods routed for this path, in registration order (for 405 answers)."""
        methods: list[str] = []
        for route_method, regex, _handler in self._routes:
            if regex.match(path) and route_method not in methods:
                methods.append(route_method)
        return methods


def open_app(flavor: str, db_path: str | Path, **options: Any) -> SandboxApp:
    """Open (creating if needed) a sandbox account of the given flavor stored at db_path."""
    try:
        module_name = FLAVORS[flavor]
    except KeyError:
        raise ValueError(
            f"unknown sandbox flavor {flavor!r}; choose one of: {', '.join(sorted(FLAVORS))}"
        ) from None
    module = importlib.import_module(module_name)
    path = Path(db_path)
    if str(db_path) != ":memory:":
        # A sandbox path in a config is usually inside a fresh `.espform/` folder.
        path.parent.mkdir(parents=True, exist_ok=True)
    return module.create_app(path, **options)
