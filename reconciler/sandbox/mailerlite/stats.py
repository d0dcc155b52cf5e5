"""Request counters, kept in the database so that every process using the file adds up.

`http` counts API requests as they arrive (including those answered 401, 429 or with an
injected fault); `throttled` those refused by the rate limit; `batch` counts the
sub-requests carried inside POST /api/batch. Keys are
`METHOD /api/path/{param}` templates, or `METHOD (unknown route)`: never a raw path,
which may hold a token a client put in its base URL.
"""

from __future__ import annotations

import sqlite3
from typing import Any

HTTP = "http"
BATCH = "batch"
#: Requests refused with 429 by the per-minute budget (injected 429s are not counted).
THROTTLED = "throttled"
#: The route key of every request no route matches.
UNKNOWN_ROUTE = "(unknown route)"


def record(db: sqlite3.Connection, scope: str, route: str) -> None:
    db.execute(
        "INSERT INTO request_stats (scope, route, count) VALUES (?, ?, 1)"
        " ON CONFLICT (scope, route) DO UPDATE SET count = count + 1",
        (scope, route),
    )


def snapshot(db: sqlite3.Connection) -> dict[str, Any]:
    by_scope: dict[str, dict[str, int]] = {HTTP: {}, BATCH: {}, THROTTLED: {}}
    for scope, route, count in db.execute(
        "SELECT scope, route, count FROM request_stats ORDER BY scope, route"
    ):
        by_scope.setdefault(scope, {})[route] = count
    return {
        "total": sum(by_scope[HTTP].values()),
        "by_route": by_scope[HTTP],
        "batched_total": sum(by_scope[BATCH].values()),
        "batched": by_scope[BATCH],
        "throttled_total": sum(by_scope[THROTTLED].values()),
        "throttled": by_scope[THROTTLED],
    }


def reset(db: sqlite3.Connection) -> None:
    db.execute("DELETE FROM request_stats")
