"""Collection paging (`count`/`offset`) and partial responses (`fields`/`exclude_fields`).

Per the fact sheet (section 3): `count` defaults to 10 and tops out at 1000, `offset` to
0, and every collection reports `total_items` regardless of paging. A `count` above 1000
is clamped to 1000 rather than refused (the sheet gives the maximum, not the answer to
exceeding it; clients page on `total_items`, so clamping is the harmless reading).

`fields` and `exclude_fields` take comma-separated dotted paths; a path into an array
applies to every element (`members.email_address`). An unknown *top-level* name in
`fields` gives 422 Requested Fields Invalid; deeper names, and `exclude_fields`, are not
checked (an empty collection offers nothing to check them against).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reconciler.sandbox.core import SandboxRequest
from reconciler.sandbox.mailchimp.problems import FieldError, fields_invalid, invalid_fields

DEFAULT_COUNT = 10
MAX_COUNT = 1000

#: A path tree: each key maps to its sub-tree, or to None for "the whole value".
PathTree = dict[str, "PathTree | None"]


@dataclass(frozen=True)
class Page:
    count: int
    offset: int


def read_page(request: SandboxRequest) -> Page:
    errors: list[FieldError] = []
    values = {}
    for name, default in (("count", DEFAULT_COUNT), ("offset", 0)):
        raw = request.arg(name)
        try:
            values[name] = default if raw in (None, "") else int(str(raw))
        except ValueError:
            errors.append(FieldError(name, "This value should be a whole number."))
            continue
        if values[name] < 0:
            errors.append(FieldError(name, "This value should be 0 or more."))
    if errors:
        raise invalid_fields(errors)
    return Page(count=min(values["count"], MAX_COUNT), offset=values["offset"])


def _split(request: SandboxRequest, name: str) -> list[str]:
    names: list[str] = []
    for value in request.query.get(name, []):
        names.extend(part.strip() for part in value.split(",") if part.strip())
    return names


def _tree(paths: list[str]) -> PathTree:
    root: PathTree = {}
    for path in paths:
        node = root
        parts = path.split(".")
        for depth, part in enumerate(parts):
            last = depth == len(parts) - 1
            if part in node and node[part] is None:
                break  # an ancestor is already wanted whole
            if last:
                node[part] = None
            else:
                child = node.get(part)
                if child is None:
                    child = {}
                    node[part] = child
                node = child
    return root


@dataclass
class Projection:
    """Which parts of a response the client asked for."""

    fields: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)

    @classmethod
    def from_request(cls, request: SandboxRequest) -> Projection:
        return cls(_split(request, "fields"), _split(request, "exclude_fields"))

    def wants(self, path: str) -> bool:
        """Whether any of the dotted `path` survives; lets handlers skip costly parts."""
        for excluded in self.exclude:
            if path == excluded or path.startswith(excluded + "."):
                return False
        if not self.fields:
            return True
        return any(
            f == path or f.startswith(path + ".") or path.startswith(f + ".") for f in self.fields
        )

    def apply(self, payload: Any) -> Any:
        if not isinstance(payload, dict) or not (self.fields or self.exclude):
            return payload
        # Only `fields` names are checked: handlers leave out parts a client excluded
        # (to save building them), so an excluded name may rightly be absent.
        unknown = sorted({p.split(".")[0] for p in self.fields} - set(payload))
        if unknown:
            raise fields_invalid(unknown)
        result = _keep(payload, _tree(self.fields)) if self.fields else payload
        if self.exclude:
            result = _drop(result, _tree(self.exclude))
        return result


def _keep(value: Any, tree: PathTree | None) -> Any:
    if tree is None:
        return value
    if isinstance(value, list):
        return [_keep(item, tree) for item in value]
    if isinstance(value, dict):
        return {k: _keep(v, tree[k]) for k, v in value.items() if k in tree}
    return value


def _drop(value: Any, tree: PathTree) -> Any:
    if isinstance(value, list):
        return [_drop(item, tree) for item in value]
    if not isinstance(value, dict):
        return value
    result: dict[str, Any] = {}
    for key, item in value.items():
        if key not in tree:
            result[key] = item
        elif (sub := tree[key]) is not None:
            result[key] = _drop(item, sub)
    return result


class SeekCache:
    """Where page N of a member query starts, so sequential paging stays linear.

    SQLite answers `OFFSET n` by stepping over n index entries, which makes reading a
    million members 1000 at a time quadratic. Each page served leaves a mark "the row at
    offset O is the first with rowid > R"; the next request for offset >= O seeks to R
    and offsets only the remainder. The query's total is kept too, since counting a
    million rows on every page would cost as much as the page. Both are dropped whenever
    the store changes.
    """

    MAX_QUERIES = 32
    MAX_MARKS = 4096

    def __init__(self) -> None:
        self._version: tuple[int, int] | None = None
        self._marks: dict[str, dict[int, int]] = {}
        self._totals: dict[str, int] = {}

    def _sync(self, version: tuple[int, int]) -> None:
        if version != self._version:
            self._version = version
            self._marks.clear()
            self._totals.clear()

    def total(self, version: tuple[int, int], key: str) -> int | None:
        """The remembered `total_items` of a query, if nothing changed since."""
        self._sync(version)
        return self._totals.get(key)

    def remember_total(self, version: tuple[int, int], key: str, total: int) -> None:
        self._sync(version)
        if len(self._totals) >= self.MAX_QUERIES:
            self._totals.clear()
        self._totals[key] = total

    def nearest(self, version: tuple[int, int], key: str, offset: int) -> tuple[int, int]:
        """(mark offset, rowid) of the closest mark at or before offset; (0, 0) if none."""
        self._sync(version)
        marks = self._marks.get(key)
        if not marks:
            return 0, 0
        best = max((o for o in marks if o <= offset), default=None)
        return (best, marks[best]) if best is not None else (0, 0)

    def remember(self, version: tuple[int, int], key: str, offset: int, rowid: int) -> None:
        self._sync(version)
        if key not in self._marks and len(self._marks) >= self.MAX_QUERIES:
            self._marks.clear()
        marks = self._marks.setdefault(key, {})
        if len(marks) >= self.MAX_MARKS:
            marks.clear()
        marks[offset] = rowid
