"""Glue between route modules and the core Router: endpoints that know their template,
the state handlers share, and small response helpers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from reconciler.sandbox.core import Router, SandboxResponse
from reconciler.sandbox.mailerlite.call import ApiCall
from reconciler.sandbox.mailerlite.members import Page
from reconciler.sandbox.mailerlite.paging import CursorPage, cursor_envelope
from reconciler.sandbox.mailerlite.store import Store
from reconciler.sandbox.mailerlite.views import GroupCountCache, Views

Handler = Callable[..., SandboxResponse]


@dataclass(frozen=True)
class Endpoint:
    """A handler plus its `METHOD /path/{param}` template, the key of request statistics."""

    template: str
    handler: Handler

    def __call__(self, call: ApiCall, **params: str) -> SandboxResponse:
        return self.handler(call, **params)


@dataclass(frozen=True)
class Account:
    """What every handler works on: the store and the caches derived from it."""

    store: Store
    counts: GroupCountCache


def add(router: Router, method: str, template: str, handler: Handler) -> None:
    router.add(method, template, Endpoint(f"{method} {template}", handler))


def ok(payload: Any, status: int = 200) -> SandboxResponse:
    return SandboxResponse.json(status, payload)


def no_content() -> SandboxResponse:
    return SandboxResponse.empty(204)


def member_page_response(
    views: Views, page: Page, call: ApiCall, per_page: int | str
) -> SandboxResponse:
    """A cursor envelope of subscribers; `include=groups` adds each one's groups."""
    with_groups = "groups" in (call.arg("include") or "").split(",")
    items = views.subscribers(page.rows, with_groups=with_groups)
    cursor_page = CursorPage(items, page.next_cursor, page.prev_cursor)
    return ok(cursor_envelope(cursor_page, call.url(call.path.rstrip("/")), per_page))
