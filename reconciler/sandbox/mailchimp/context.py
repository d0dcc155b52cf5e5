"""What a resource handler receives (`Ctx`) and returns (`Reply`), and `_links` helpers.

Handlers run inside one store transaction; raising a `Problem` rolls it back.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from reconciler.sandbox.core import SandboxRequest
from reconciler.sandbox.mailchimp.paging import Page, Projection, SeekCache, read_page
from reconciler.sandbox.mailchimp.problems import FieldError, invalid_fields

#: Mailchimp's historical per-audience merge field allowance (fact sheet, section 6).
MERGE_FIELD_LIMIT = 30
#: Interest names per audience, across all categories (fact sheet, section 6).
INTEREST_LIMIT = 60


@dataclass
class Settings:
    """Account-wide knobs fixed when the app is created."""

    audience_limit: int | None = None
    merge_field_limit: int = MERGE_FIELD_LIMIT
    interest_limit: int = INTEREST_LIMIT


@dataclass
class Ctx:
    request: SandboxRequest
    db: sqlite3.Connection
    #: e.g. `http://127.0.0.1:8123`; `_links` hrefs are built on it.
    host_url: str
    projection: Projection
    body: Any
    settings: Settings
    seek: SeekCache
    version: Callable[[], tuple[int, int]]

    @property
    def api_url(self) -> str:
        return self.host_url + "/3.0"

    def page(self) -> Page:
        return read_page(self.request)

    def arg(self, name: str) -> str | None:
        value = self.request.arg(name)
        return value if value not in (None, "") else None

    def flag(self, name: str) -> bool:
        return (self.request.arg(name) or "").lower() == "true"

    def wants(self, path: str) -> bool:
        return self.projection.wants(path)

    def object_body(self) -> dict[str, Any]:
        """The body as a JSON object; anything else fails validation as a whole."""
        if self.body is None:
            return {}
        if not isinstance(self.body, dict):
            raise invalid_fields([FieldError("", "The request body must be a JSON object.")])
        return self.body


@dataclass
class Reply:
    status: int
    payload: Any = None
    headers: dict[str, str] = field(default_factory=dict)


def ok(payload: Any) -> Reply:
    return Reply(200, payload)


def no_content() -> Reply:
    return Reply(204)


def link(
    ctx: Ctx,
    rel: str,
    path: str,
    method: str = "GET",
    *,
    target: str | None = None,
    schema: str | None = None,
) -> dict[str, str]:
    """One `_links` entry; `target`/`schema` name a definition under the schema root."""
    entry = {"rel": rel, "href": ctx.api_url + path, "method": method}
    root = f"{ctx.host_url}/schema/3.0/Definitions/"
    if target:
        entry["targetSchema"] = root + target
    if schema:
        entry["schema"] = root + schema
    return entry


def item_links(
    ctx: Ctx,
    path: str,
    parent: str,
    kind: str,
    *,
    update: str | None = "PATCH",
    delete: bool = True,
    extra: list[dict[str, str]] | None = None,
) -> list[dict[str, str]]:
    """self/parent/update/delete links of one resource; `kind` is its schema folder."""
    links = [
        link(ctx, "self", path, target=f"{kind}/Response.json"),
        link(ctx, "parent", parent, target=f"{kind}/CollectionResponse.json"),
    ]
    if update:
        links.append(
            link(
                ctx,
                "update",
                path,
                update,
                target=f"{kind}/Response.json",
                schema=f"{kind}/{update}.json",
            )
        )
    if delete:
        links.append(link(ctx, "delete", path, "DELETE"))
    return links + list(extra or [])


def collection_links(
    ctx: Ctx, path: str, parent: str, kind: str, *, create: bool = True
) -> list[dict[str, str]]:
    links = [
        link(ctx, "self", path, target=f"{kind}/CollectionResponse.json"),
        link(ctx, "parent", parent),
    ]
    if create:
        links.append(
            link(
                ctx,
                "create",
                path,
                "POST",
                target=f"{kind}/Response.json",
                schema=f"{kind}/POST.json",
            )
        )
    return links


Handler = Callable[..., Reply]


@dataclass(frozen=True)
class Endpoint:
    """One API operation; `template` is relative to `/3.0` and names path params."""

    method: str
    template: str
    handler: Handler
