"""Checking what an ESP answered before anything is built from it.

A 2xx answer is only trusted once its shape is known: the list is where it should be,
each item has the keys espform maps (ids not null, names text), a page holds no more
items than were asked for, and paging moves forward. Anything else raises `BadAnswer`,
a `ProviderError` whose message names the request (`GET /api/groups?limit=1000&page=3`),
the defect (`data[4].id is null`) and what to do, so the CLI prints one clear line
instead of a traceback, and a plan is never made from half a list.

Only the keys espform reads are checked; ESPs add keys freely and those are ignored.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from reconciler.engine.plan import Action, Change
from reconciler.providers.base import Outcome, ProviderError

__all__ = [
    "ID",
    "INT",
    "LIST",
    "MAX_PAGES",
    "NEEDS_ID",
    "OBJECT",
    "TEXT",
    "BadAnswer",
    "Kind",
    "PageGuard",
    "Shape",
    "check_items",
    "request_label",
    "unreadable_write",
    "written",
]

#: Pages one list may take when the answer reports no total: a million items at the
#: smallest page size espform asks for (100). Past it the paging is taken as endless.
MAX_PAGES = 10_000
#: Query parameters left out of a request's label: long and of no help to a reader.
_UNSHOWN_PARAMS = frozenset({"fields"})
#: base_url paths shown in a request's label: Mailchimp's API version, no one's secret.
_PUBLIC_PREFIXES = frozenset({"/3.0"})


class BadAnswer(ProviderError):
    """A 2xx answer espform cannot read: the wrong shape, or paging that never ends.

    For a write it is ambiguous (the write may have been carried out), so the apply
    re-reads the account rather than believe either way.
    """

    def __init__(self, request: str, defect: str, *, ambiguous: bool = False) -> None:
        self.request = request
        self.defect = defect
        after = (
            "The write may have been carried out; run `espform plan` to see what is left."
            if ambiguous
            else "This request changed nothing."
        )
        super().__init__(
            f"{request} answered something espform cannot read: {defect}. {after} "
            "Retry later; if it persists, report it to the ESP with this request.",
            ambiguous=ambiguous,
        )


def request_label(
    base_url: str, method: str, path: str, params: Mapping[str, str | int] | None = None
) -> str:
    """`GET /3.0/lists?count=1000&offset=0`: the path and the query, never the host (a
    Mailchimp host names the account's data center) nor a base_url path other than the
    public API version (a proxy's path may carry a token)."""
    prefix = httpx.URL(base_url).path.rstrip("/")
    prefix = prefix if prefix in _PUBLIC_PREFIXES else ""
    shown = {k: v for k, v in (params or {}).items() if k not in _UNSHOWN_PARAMS}
    query = "&".join(f"{k}={v}" for k, v in shown.items())
    return f"{method.upper()} {prefix}{path}" + (f"?{query}" if query else "")


# --- item shapes --------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    """What a value must be, in words for the message."""

    name: str
    accepts: Callable[[Any], bool]
    nullable: bool = False

    def or_null(self) -> Kind:
        return Kind(self.name, self.accepts, nullable=True)


def _is_id(value: Any) -> bool:
    # Ids are strings on MailerLite (beyond 2**53) and Mailchimp, integers for merge
    # fields and segments; a bool is an int to Python but never an id.
    if isinstance(value, bool):
        return False
    return (isinstance(value, str) and value.strip() != "") or isinstance(value, int)


ID = Kind("an id (text or a whole number)", _is_id)
TEXT = Kind("text", lambda v: isinstance(v, str))
INT = Kind("a whole number", lambda v: isinstance(v, int) and not isinstance(v, bool))
OBJECT = Kind("an object", lambda v: isinstance(v, dict))
LIST = Kind("a list", lambda v: isinstance(v, list))


@dataclass(frozen=True)
class Shape:
    """The keys of one item that espform maps: `required` must be present."""

    required: Mapping[str, Kind]
    optional: Mapping[str, Kind] = field(default_factory=dict)


def _type_word(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text" if value.strip() else "empty text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _value_defect(where: str, value: Any, kind: Kind) -> str | None:
    if value is None:
        return None if kind.nullable else f"{where} is null"
    if kind.accepts(value):
        return None
    return f"{where} is {_type_word(value)}, expected {kind.name}"


def item_defect(item: Any, shape: Shape, where: str) -> str | None:
    """What is wrong with one item, or None."""
    if not isinstance(item, dict):
        return f"{where} is {_type_word(item)}, expected an object"
    for key, kind in shape.required.items():
        if key not in item:
            return f"{where}.{key} is missing"
        defect = _value_defect(f"{where}.{key}", item[key], kind)
        if defect:
            return defect
    for key, kind in shape.optional.items():
        if key in item:
            defect = _value_defect(f"{where}.{key}", item[key], kind)
            if defect:
                return defect
    return None


def check_items(body: Any, key: str, shape: Shape | None, request: str) -> list[dict[str, Any]]:
    """`body[key]` as a list of items of `shape`, or BadAnswer naming the first defect."""
    if not isinstance(body, dict):
        raise BadAnswer(request, f"the answer is {_type_word(body)}, expected an object")
    if key not in body:
        raise BadAnswer(request, f"`{key}` is missing")
    items = body[key]
    if not isinstance(items, list):
        raise BadAnswer(request, f"`{key}` is {_type_word(items)}, expected a list")
    for number, item in enumerate(items):
        defect = item_defect(item, shape or Shape({}), f"{key}[{number}]")
        if defect:
            raise BadAnswer(request, defect)
    return items


def optional_int(container: Mapping[str, Any], key: str, where: str, request: str) -> int | None:
    """An integer the answer may leave out (or null), but not give as anything else."""
    value = container.get(key)
    defect = _value_defect(f"{where}.{key}", value, INT.or_null())
    if defect:
        raise BadAnswer(request, defect)
    return value


def section(body: dict[str, Any], key: str, request: str) -> dict[str, Any]:
    """`links` or `meta`: an object when present, empty when absent or null."""
    value = body.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadAnswer(request, f"`{key}` is {_type_word(value)}, expected an object")
    return value


# --- paging -------------------------------------------------------------------------


@dataclass
class PageGuard:
    """Stops a list whose pages would never end, or whose pages are not what was asked.

    One guard per list walk. `limit` is the page size asked for; `total` (items the
    answer reports, when it does) bounds the pages: a walk asking for more than
    `ceil(total / step) + 1` pages, or `MAX_PAGES` without a total, is endless. The
    step is the first page's size, since a server may cap pages below `limit`.
    """

    limit: int | None
    total: int | None = None
    pages: int = 0
    _cursors: set[str] = field(default_factory=set)
    _last_ids: tuple[Any, ...] | None = None
    _step: int = 0
    #: What bounded the pages, in the answer's words, when not `meta.total`.
    reported: str = ""

    def page(self, items: Sequence[Any], request: str) -> None:
        """Count a page read: refuse an oversized page and the same page over again."""
        self.pages += 1
        if self.pages == 1:
            self._step = len(items)
        if self.limit is not None and len(items) > self.limit:
            raise BadAnswer(
                request,
                f"the page holds {len(items)} items though at most {self.limit} were asked "
                "for, so the paging cannot be trusted",
            )
        ids = tuple(item.get("id", item.get("merge_id")) for item in items)
        if ids and None not in ids and ids == self._last_ids:
            raise BadAnswer(request, "the page repeats the page before it (endless paging)")
        self._last_ids = ids
        if self.pages > self.most_pages:
            told = self.reported or (
                f"{self.total} items reported" if self.total is not None else "no total reported"
            )
            raise BadAnswer(
                request,
                f"paging has not ended after {self.pages - 1} pages ({told}); stopped as endless",
            )

    @property
    def most_pages(self) -> int:
        step = self._step or self.limit
        if self.total is not None and step:
            return min(MAX_PAGES, math.ceil(self.total / step) + 1)
        return MAX_PAGES

    def cursor(self, value: Any, request: str) -> str | None:
        """The next cursor, or None at the end; a cursor seen before means a loop."""
        if value is None or value == "":
            return None
        if not isinstance(value, str | int) or isinstance(value, bool):
            raise BadAnswer(request, f"meta.next_cursor is {_type_word(value)}, expected text")
        cursor = str(value)
        if cursor in self._cursors:
            raise BadAnswer(
                request,
                f"meta.next_cursor {cursor[:40]!r} was followed before (endless paging)",
            )
        self._cursors.add(cursor)
        return cursor


# --- writes -------------------------------------------------------------------------


def written(body: Any, key: str | None, shape: Shape, request: str) -> dict[str, Any]:
    """The object a write answered with (`body[key]`, or the body itself when `key` is
    None), or an ambiguous BadAnswer: the write may have been carried out, and
    nothing in the answer proves it, so the account must be read to know."""
    where = key or "answer"
    found = body.get(key) if key is not None and isinstance(body, dict) else body
    if key is not None and isinstance(body, dict) and key not in body:
        raise BadAnswer(request, f"`{key}` is missing", ambiguous=True)
    defect = item_defect(found, shape, where)
    if defect:
        raise BadAnswer(request, defect, ambiguous=True)
    return found


#: Writes whose answer must carry the new object's id: without it espform cannot prove
#: the object exists, nor find it again by id.
NEEDS_ID = frozenset({Action.CREATE, Action.REPLACE})


def unreadable_write(change: Change, error: BadAnswer) -> Outcome:
    """A write answered 2xx with something unreadable: made or not, only a read tells,
    so the outcome is unknown (the apply re-reads; see `ambiguity`)."""
    return Outcome(change, ok=False, error=str(error), unknown=True)
