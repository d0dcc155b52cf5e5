"""The MailerLite flavor of the sandbox: the "connect" API (`/api/...`) over SQLite.

It behaves as `reference/mailerlite-api.md` describes: paths, envelopes, status codes,
error bodies, paging (page-based and cursor-based), batch, rate limits and quirks.
Where the reference marks a point unverified, the module that implements it says which
behaviour was chosen (see `routes_*`, `subscriber_writes`, `keys`, `routes_batch`).

    app = create_app(Path(".espform/sandbox.db"), token="secret", rate_limit=120)
    client = httpx.Client(transport=SandboxTransport(app),
                          base_url="https://connect.mailerlite.com",
                          headers={"Authorization": "Bearer secret"})

Choices on points the reference leaves open, in short: every list's largest `limit` is
1000 (over it: 422); a body that is not valid JSON counts as empty input (422 for the
missing keys, as Laravel does); group names may repeat, field names may not (ignoring
case); built-in fields can be renamed but not deleted (422); derived field keys that
collide get `_2`, `_3`, ...; unsubscribed/bounced/junk subscribers keep their status
when the API asks for active; a batch counts once against the per-minute budget.

`token=None` accepts any non-empty Bearer token; `rate_limit=None` enforces no budget
and sends no `x-ratelimit-*` headers (`espform sandbox serve` enforces 120 per minute
unless told otherwise). `clock` and
`sleep` may be injected (tests).

Admin API (sandbox only, JSON, no authentication, not counted, never faulted):

    GET    /_sandbox                    flavor and list of admin endpoints
    GET    /_sandbox/stats              {"total": n, "by_route": {"GET /api/groups": n, ...},
                                         "batched_total": n, "batched": {...},
                                         "throttled_total": n, "throttled": {...}}
                                        (API requests since the last reset; `batched`
                                        counts sub-requests of POST /api/batch,
                                        `throttled` those refused by the rate limit)
    DELETE /_sandbox/stats              reset the counters (204)
    POST   /_sandbox/faults             {"status": 429|500|503|..., "count": n,
                                         "retry_after": s, "latency_ms": ms, "drop": n}
                                        -> 201 {"added": n, "pending": n}; the next API
                                        requests are dropped (`drop`), then answered with
                                        `status` (`count`, default 1), each delayed by
                                        `latency_ms` (see `faults`)
    GET    /_sandbox/faults             {"pending": [{status, retry_after, latency_ms, drop}]}
    DELETE /_sandbox/faults             forget pending faults (204)
    POST   /_sandbox/subscribers        bulk seed, either
                                        {"subscribers": [{"email", "status"?, "fields"?,
                                                          "groups"?: [group id]}]}
                                        or {"generate": {"count": n,
                                            "email": "user{n}@example.test", "start"?: 1,
                                            "status"?: "active",
                                            "fields"?: {key: value | [values cycled]},
                                            "groups"?: [group id]}}
                                        -> 201 {"created": n, "skipped": n (known emails)}
    POST   /_sandbox/segments           {"name": str, "emails": [str]} or
                                        {"name": str, "filter": {"field": key|"status"|
                                                                 "email", "equals": value}}
                                        -> 201 {"data": segment}; filter segments are
                                        evaluated whenever they are read
    POST   /_sandbox/automations        {"name": str, "enabled"?: false,
                                         "triggers": [{"type": "subscriber_joins_group",
                                                       "group_ids": [group id]}]}
                                        -> 201 {"data": automation}; read only in /api

Admin errors answer 422 `{"message", "errors": {key: [message]}}` like the API.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from reconciler.sandbox.mailerlite.app import MailerLiteApp
from reconciler.sandbox.mailerlite.store import Clock, Store

__all__ = ["MailerLiteApp", "create_app"]


def create_app(
    db_path: Path,
    *,
    token: str | None = None,
    rate_limit: int | None = None,
    clock: Clock = time.time,
    sleep: Callable[[float], None] = time.sleep,
) -> MailerLiteApp:
    """Open (creating if needed) the MailerLite sandbox account stored at `db_path`
    (":memory:" for a throwaway one)."""
    return MailerLiteApp(
        Store(db_path, clock), token=token, rate_limit=rate_limit, clock=clock, sleep=sleep
    )
